"""Find and read help-center files into LlamaIndex `Document`s, one clear problem per bad file.

Each document carries what a citation needs (`title`, `url`) and what governance needs
(`collection`, and `private` for a collection served only where a channel names it). Reading
never raises for a single bad file: it is reported and skipped.

A file's own words are untrusted: a passage that addresses the bot is left out (see
`injection`), a title loses its line breaks, and a `url:` that is not a plain http(s) link (or,
with a base URL, one on another host) is not used; each is flagged in the ingest report. A page
with no public URL is cited by its title alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from llama_index.core import Document
from llama_index.core.readers.base import BaseReader
from llama_index.readers.file import FlatReader, PDFReader

from knowledge.index.injection import without_instructions
from knowledge.index.links import plain_title, public_link, same_host
from knowledge.index.markup import leading_title, setext_to_atx, split_front_matter, title_from_path
from knowledge.models import FileProblem, plural

MARKDOWN = {".md", ".markdown", ".mdx"}
TEXT = {".txt", ".text", ".rst"}
HTML = {".html", ".htm"}
PDF = {".pdf"}
SUPPORTED = MARKDOWN | TEXT | HTML | PDF
_SNIFF_BYTES = 8192
#: A link inside a docs folder can point anywhere (`faq.md -> ../.env`); what is ingested can be
#: quoted to anyone who asks, so only files that really lie inside the folder are read.
OUTSIDE = "a link to a file outside the folder being ingested; not read"


class HtmlMarkdownReader(BaseReader):
    """Reads an HTML page as markdown, so headings survive for section anchors."""

    def load_data(self, file: Path, extra_info: dict | None = None) -> list[Document]:
        import html2text

        converter = html2text.HTML2Text()
        converter.body_width = 0
        converter.ignore_images = True
        raw = file.read_text(encoding="utf-8")
        text = converter.handle(raw)
        metadata = {"html_title": _html_title(raw), **(extra_info or {})}
        return [Document(text=text, metadata=metadata)]


def _html_title(raw: str) -> str:
    start, end = raw.lower().find("<title>"), raw.lower().find("</title>")
    return raw[start + 7 : end].strip() if 0 <= start < end else ""


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and where it came from."""

    path: Path
    root: Path
    collection: str

    @property
    def relative(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def doc_id(self) -> str:
        """Stable across runs: the root folder's name plus the path below it."""
        return f"{self.root.name}/{self.relative}"


def discover(
    paths: Iterable[Path], collection: str | None
) -> tuple[list[SourceFile], list[FileProblem], list[str]]:
    """Expand paths into files; return (files, problems, scopes whose missing docs may be deleted).

    Without an explicit collection, a file's collection is the top-level folder it sits in below
    the ingested folder (or that folder's own name for files directly inside it).
    """
    files: list[SourceFile] = []
    problems: list[FileProblem] = []
    scopes: list[str] = []
    for given in paths:
        path = given.expanduser().resolve()
        if not path.exists():
            problems.append(FileProblem(path=str(given), reason="no such file or folder"))
            continue
        if path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                problems.append(FileProblem(path=str(given), reason=_unsupported(path)))
                continue
            files.append(SourceFile(path, path.parent, collection or path.parent.name))
            continue
        scopes.append(path.name)
        found = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        if not found:
            problems.append(FileProblem(path=str(given), reason="folder holds no files"))
        for file in found:
            if not file.resolve().is_relative_to(path):
                problems.append(FileProblem(path=str(file), reason=OUTSIDE))
                continue
            if file.suffix.lower() not in SUPPORTED:
                problems.append(FileProblem(path=str(file), reason=_unsupported(file)))
                continue
            parts = file.relative_to(path).parts
            folder_collection = parts[0] if len(parts) > 1 else path.name
            files.append(SourceFile(file, path, collection or folder_collection))
    return files, problems, scopes


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED))
    return f"unsupported file type {path.suffix or '(none)'!r}; supported: {kinds}"


@dataclass(frozen=True)
class Read:
    """A file read into a Document, and what was flagged in it (the run goes on with it)."""

    document: Document
    flags: list[str]


def read(
    source: SourceFile, *, base_url: str | None, max_bytes: int, private: bool = False
) -> Read:
    """Read one file into a Document with citable metadata. Raises `ValueError` with the reason."""
    size = source.path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    suffix = source.path.suffix.lower()
    if suffix not in PDF:
        _check_text(source.path)
    try:
        loaded = _reader(suffix).load_data(source.path)
    except Exception as exc:  # a reader's own error is the file's problem, not the run's
        raise ValueError(f"could not be read: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(doc.text for doc in loaded)
    meta: dict[str, object] = {}
    if suffix in MARKDOWN:
        meta, text = split_front_matter(text)
    text = setext_to_atx(text.replace("\r\n", "\n")).strip()
    text, left_out = without_instructions(text)
    flags = []
    if left_out:
        flags.append(f"{plural(len(left_out), 'passage')} addressed to the bot left out of the "
                     f"index: “{_excerpt(left_out[0])}”")  # fmt: skip
    if not text:
        raise ValueError("document has no text")
    html_title = str(loaded[0].metadata.get("html_title", "")) if loaded else ""
    title = plain_title(str(meta.get("title") or leading_title(text) or html_title))
    title = title or title_from_path(source.path.stem)
    url, why = _citable_url(str(meta.get("url") or ""), source, base_url)
    flags += [why] if why else []
    metadata: dict[str, object] = {
        "title": title,
        "url": url,
        "collection": source.collection,
        "path": source.relative,
        "scope": source.root.name,
    }
    if private:  # only when set: a public page's metadata (so its hash) is as it always was
        metadata["private"] = True
    return Read(Document(id_=source.doc_id, text=text, metadata=metadata), flags)


def _check_text(path: Path) -> None:
    head = path.open("rb").read(_SNIFF_BYTES)
    if b"\x00" in head:
        raise ValueError("binary file (holds NUL bytes), not text")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from exc


def _reader(suffix: str) -> BaseReader:
    if suffix in PDF:
        return PDFReader(return_full_document=True)
    if suffix in HTML:
        return HtmlMarkdownReader()
    return FlatReader()


def _citable_url(given: str, source: SourceFile, base_url: str | None) -> tuple[str, str]:
    """(the page's link, why the file's own `url:` was not used): the file's own when it is a
    public link (on the base URL's host, when there is one), else base URL + path, else none."""
    derived = public_link(f"{base_url.rstrip('/')}/{quote(source.relative.rsplit('.', 1)[0])}"
                          if base_url else "")  # fmt: skip
    if not given:
        return derived, ""
    instead = f"cited at {derived}" if derived else "cited by its title, without a link"
    link = public_link(given)
    if not link:
        return derived, f"its url “{_excerpt(given)}” is not an http(s) link: {instead}"
    if base_url and not same_host(link, base_url):
        return derived, f"its url {_excerpt(link)} is not on the base URL's host: {instead}"
    return link, ""


def _excerpt(text: str, limit: int = 80) -> str:
    """A file's own words in a report line: one line, short, no markup that a console or a
    chat would act on."""
    flat = " ".join(text.split()).replace("[", "(").replace("]", ")")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
