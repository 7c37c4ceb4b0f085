"""The core, with no chat platform and no task queue: the docs' way from a file to an answer.

The stages, in the data's order: `index` (read, chunk, embed, store) -> `search` (a question to
ranked pages) -> `answers` (prompt, generate, check, decline) -> `records` (every question's life
and its feedback) -> `tuning` (the next brand-voice adapter). `sync` brings the docs in from where
they live. Shared by all: `settings`, `models` (the plain data that crosses processes), `logs`,
`files`, `disk`. Each stage imports only those before it (the import-linter contracts).
"""

import os

# No library draws progress bars into a log: llama_index, transformers (a GGUF file's one-time
# conversion) and TRL use tqdm, which reads TQDM_DISABLE once, when it is first imported. Every
# supportbot process imports this package before any of them, so the default is set here; the
# command line's own bars are rich's (`bot/cli/progress.py`), which this leaves alone.
os.environ.setdefault("TQDM_DISABLE", "1")
