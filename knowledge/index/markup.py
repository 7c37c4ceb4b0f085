"""Pure text helpers for help-center pages: front matter, headings, anchors, titles, and markup
turned into the plain text a person reads in a quote."""

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


_EMBED = re.compile(r"!\[\[[^\]]*\]\]")
_WIKI_LINK = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_CALLOUT = re.compile(r"^\[!(\w+)\][-+]?\s*")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_EMPHASIS = re.compile(r"(\*\*|__|==|~~|\*|`)(?=\S)(.+?)(?<=\S)\1")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def readable(line: str) -> str:
    """One line of markdown as a person reads it: link and wiki-link labels, callouts as
    "Warning: ...", quote markers and emphasis gone, a table row as its cells, a table's rule
    line as nothing. For quotes shown to people; the index keeps the markdown."""
    text = line.strip()
    while text.startswith(">"):  # quotes and callouts, nested or not
        text = text[1:].lstrip()
    text = _CALLOUT.sub(lambda m: f"{m.group(1).capitalize()}: ", text)
    if _TABLE_RULE.match(text):
        return ""
    if text.startswith("|") and text.endswith("|") and len(text) > 1:
        text = " · ".join(cell.strip() for cell in text[1:-1].split("|") if cell.strip())
    text = _EMBED.sub("", text)
    text = _WIKI_LINK.sub(lambda m: (m.group(2) or m.group(1).replace("#", " › ")).strip(), text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub(" ", text)
    previous = None
    while previous != text:  # **bold `code`**: the outer marks, then the inner
        previous, text = text, _EMPHASIS.sub(lambda m: m.group(2), text)
    return " ".join(text.split()).rstrip(":") if text.endswith(": ") else " ".join(text.split())
