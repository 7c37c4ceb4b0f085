"""Builds the brand-voice tuning set from the sample help center: `python samples/voice/build.py`.

Each section of each page becomes a question whose answer gives the section's first two
sentences, each cited, in a voice that a check can see: it opens with "Hi there!", closes with
"— Orbit Support", and never says "simply" or "just". The prompt holds the section and one other
section (in either order, so the right number must be read), fenced as the bot fences them.
Whole pages are held out (a fifth), so held-out questions are about text tuning never saw.
Writes sft.jsonl and sft.heldout.jsonl beside this file, the format `supportbot feedback export`
writes and `supportbot tune --data` reads.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from knowledge.answers.prompt import DEFAULT_VOICE, build_messages
from knowledge.models import Source

HERE = Path(__file__).parent
DOCS = HERE.parent / "orbit-help"
GREETING, SIGN_OFF = "Hi there!", "— Orbit Support"
VOICE = (
    DEFAULT_VOICE.read_text(encoding="utf-8").strip()
    + f'\n- Open with "{GREETING}" and sign off with "{SIGN_OFF}". Never write "simply" or "just".'
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sections(page: Path) -> list[Source]:
    """A page's sections that say something, each as a source the prompt would show."""
    text = page.read_text(encoding="utf-8")
    meta = dict(re.findall(r"^(title|url): (.+)$", text.split("---")[1], re.MULTILINE))
    found = []
    for block in re.split(r"^## ", text.split("---", 2)[2], flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        body = re.sub(r"(?:^|\s)(?:\d+\.|[-*])\s+", " ", " ".join(body.split())).strip()
        if len(body) > 60:
            found.append(Source(doc_id=page.stem, title=f"{meta['title']}: {heading.strip()}",
                                url=meta["url"], text=body, score=1.0))  # fmt: skip
    return found


def question(source: Source) -> str:
    """How a user might ask for the section: casual, short, lowercase."""
    page, _, heading = source.title.partition(": ")
    return f"{page.lower()}: what about {heading.lower()}?"


def answer(source: Source, number: int) -> str:
    """The section's first two sentences, cited, in the voice."""
    said = [s.strip() for s in _SENTENCE.split(source.text)[:2] if s.strip()]
    body = " ".join(f"{s[:-1]} [{number}]{s[-1]}" if s[-1] in ".!?" else f"{s} [{number}]"
                    for s in said)  # fmt: skip
    return f"{GREETING} {body}\n\n{SIGN_OFF}"


def main() -> None:
    rng = random.Random(0)
    pages = sorted(DOCS.rglob("*.md"))
    everything = [s for page in pages for s in sections(page)]
    held_out_pages = set(rng.sample([p.stem for p in pages], k=len(pages) // 5))
    rows: dict[str, list[str]] = {"sft.jsonl": [], "sft.heldout.jsonl": []}
    for source in everything:
        other = rng.choice([s for s in everything if s.doc_id != source.doc_id])
        shown = [source, other] if rng.random() < 0.5 else [other, source]
        number = shown.index(source) + 1
        messages = build_messages(question(source), shown, voice=VOICE)
        messages.append({"role": "assistant", "content": answer(source, number)})
        name = "sft.heldout.jsonl" if source.doc_id in held_out_pages else "sft.jsonl"
        rows[name].append(json.dumps({"messages": messages}, ensure_ascii=False))
    for name, lines in rows.items():
        (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(lines)} examples")


if __name__ == "__main__":
    main()
