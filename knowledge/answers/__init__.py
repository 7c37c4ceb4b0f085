"""From ranked pages to what is said: decline or answer, the prompt, a model (`generate/`), and
the checks after it (citations, grounding), plus how well that does on a question set.
Imports `knowledge.search`, `knowledge.index` and the shared modules, never records or tuning."""
