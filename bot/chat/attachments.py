"""Files attached to a question, for any platform: text files are read into it, anything else
gets one honest line, and nothing is dropped without a word (pure functions; the adapters
download).

A file's size is checked from what the platform says before anything is downloaded, and the
download itself stops past the limit (a platform's size can be wrong). Its words are the
asker's, as untrusted as the question itself: they go into the question, inside its tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

#: Files read into the question, by name; any `text/*` type is read too.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".log", ".json", ".csv", ".yaml", ".yml"})
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".svg"})


@dataclass(frozen=True)
class Attached:
    """A file as the platform describes it (nothing downloaded yet)."""

    name: str
    mimetype: str
    size: int
    url: str


Kind = Literal["text", "image", "other"]


def kind_of(file: Attached) -> Kind:
    suffix = PurePosixPath(file.name.lower()).suffix
    mime = file.mimetype.lower().split(";")[0].strip()
    if mime.startswith("image/") or suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix in TEXT_SUFFIXES or mime.startswith("text/") or mime == "application/json":
        return "text"
    return "other"


def to_read(files: Sequence[Attached], max_bytes: int) -> list[Attached]:
    """The files worth downloading: text, within the limit, with a link to fetch them by."""
    return [f for f in files if kind_of(f) == "text" and 0 < f.size <= max_bytes and f.url]


def question_with(text: str, read: Sequence[tuple[str, str]]) -> str:
    """The question followed by each file read, named (the model sees where each begins)."""
    parts = [text] if text else []
    parts += [f"Attached file {shown_name(name)}:\n{content.strip()}" for name, content in read]
    return "\n\n".join(parts)


def left_unread(
    files: Sequence[Attached], read: Sequence[str], max_bytes: int, *, has_text: bool
) -> str | None:
    """One line saying which files were not read and why; None when every file was read."""
    missed = [f for f in files if f.name not in read]
    if not missed:
        return None
    reasons = []
    for f in missed:
        kind = kind_of(f)
        if kind == "image":
            reasons.append("I can't read images yet")
        elif kind == "text" and f.size > max_bytes:
            sizes = f"{f.size // 1024} KB; I read up to {max_bytes // 1024} KB"
            reasons.append(f"{shown_name(f.name)} is too large for me to read ({sizes})")
        elif kind == "text":
            reasons.append(f"I couldn't open {shown_name(f.name)}")
        else:
            reasons.append(f"I can only read text files, not {shown_name(f.name)}")
    said = "; ".join(dict.fromkeys(reasons))
    then = "I answered from your text." if has_text else "please type your question."
    return f"{said[0].upper()}{said[1:]}; {then}"


def shown_name(name: str) -> str:
    """A file name as the bot repeats it: its last part, printable, short, and unable to carry
    markup (an attacker names files too)."""
    base = PurePosixPath(name.replace("\\", "/")).name or "file"
    clean = "".join(ch for ch in base if ch.isprintable() and ch not in "<>@*_`|[]()#")
    return f"“{clean[:60] or 'file'}”"
