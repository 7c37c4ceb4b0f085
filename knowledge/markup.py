"""Pure text helpers for help-center pages: front matter, headings, anchors, titles."""

from __future__ import annotations

import re
import unicodedata

import yaml
from markdown_it import MarkdownIt

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
_TABLE_ROW = re.compile(r"^\s*\|")
#: CommonMark with tables: knows code fences, lists, quotes, so a fenced `---` is no underline.
_MARKDOWN = MarkdownIt("commonmark").enable("table")
_INLINE_MARKUP = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Return (front matter, body). Malformed or non-mapping front matter counts as none."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return {str(k): v for k, v in meta.items()}, text[match.end() :]


def plain_heading(text: str) -> str:
    """Heading text without emphasis, code ticks or link targets."""
    return _INLINE_MARKUP.sub(lambda m: m.group(1) or "", text).strip()


def setext_to_atx(text: str) -> str:
    """Rewrite `Title\\n=====` headings as `# Title` so one heading syntax is left to parse.

    A markdown parser finds them, so a `---` inside a code fence (a YAML example), under a list
    item or after a quote stays what it is. A `---` under a table row is not taken either
    (CommonMark would make the row a heading; help centers mean a table).
    """
    lines = text.split("\n")
    tokens = _MARKDOWN.parse(text)
    found = [
        (token.map, token.markup, tokens[i + 1].content)
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.markup in ("=", "-") and token.map
    ]
    for (start, end), rule, content in reversed(found):
        if _TABLE_ROW.match(lines[start]):
            continue
        level = "#" if rule == "=" else "##"
        lines[start:end] = [f"{level} {' '.join(content.split())}"]
    return "\n".join(lines)


def leading_title(text: str) -> str:
    """The page's title when the page opens with a level-1 heading, else ''.

    A heading deeper in the page names a section, not the page, so it is not taken as a title.
    """
    match = _ATX.match(text.lstrip())
    return plain_heading(match.group(2)) if match and match.group(1) == "#" else ""


def slugify(heading: str) -> str:
    """GitHub-style anchor slug: lowercase, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", plain_heading(heading)).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return re.sub(r" ", "-", text.strip())


def title_from_path(stem: str) -> str:
    """A readable title from a file name: `reset-your_password` -> `Reset your password`."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem
