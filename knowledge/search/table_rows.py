"""The chunk table's rows as columns: what lets 100k chunks fit in a few hundred MB.

A list of 100k `Chunk` objects holds every text as a Python string, two bytes a character once a
heading trail's "›" is in it, and a page's title, url and path once per chunk: about 270 MB. Here
the short fields are lists whose repeated values share one string, each text is a slice of one
UTF-8 buffer, and each chunk's stored sentence vectors a slice of one int8 matrix; the saved
table's buffer and matrix are mapped from disk (`knowledge.search.table_file`), so only the slices a
search returns are read. A `Chunk` is made when one is asked for.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass
from typing import overload

import numpy as np

from knowledge.index.store import PRIVATE, RESULT_FIELDS

#: A chunk's short fields, in `Chunk`'s order; its text and privacy are kept apart.
FIELDS = ("chunk_id", "doc_id", "title", "url", "section", "collection", "path")


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a search returns of a chunk: its text and where it comes from."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    url: str = ""
    section: str = ""
    collection: str = ""
    path: str = ""
    private: bool = False

    @classmethod
    def of(cls, chunk_id: str, text: str, fields: Mapping[str, object]) -> Chunk:
        """A chunk from its stored fields (a Milvus row or a node's metadata); a missing field is
        '', a missing page id is the chunk's own."""
        found = {name: str(fields.get(name) or "") for name in RESULT_FIELDS}
        found["doc_id"] = found["doc_id"] or chunk_id
        return cls(chunk_id, text=text, private=bool(fields.get(PRIVATE)), **found)


@dataclass(frozen=True)
class ChunkRows(Sequence[Chunk]):
    """Chunks as columns; `rows[i]` makes chunk i. `text` is UTF-8, chunk i's bytes are
    `text[offsets[i]:offsets[i + 1]]`."""

    columns: dict[str, list[str]]
    private: np.ndarray
    text: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, chunks: Iterable[Chunk]) -> ChunkRows:
        chunks = list(chunks)
        columns = shared({f: [getattr(c, f) for c in chunks] for f in FIELDS})
        encoded = [c.text.encode() for c in chunks]
        return cls(columns, np.array([c.private for c in chunks], dtype=bool),
                   np.frombuffer(b"".join(encoded), dtype=np.uint8), _offsets(encoded))  # fmt: skip

    def take(self, keep: Sequence[int]) -> ChunkRows:
        """These rows only, in this order."""
        texts = [self.text[self.offsets[i] : self.offsets[i + 1]].tobytes() for i in keep]
        return ChunkRows({f: [values[i] for i in keep] for f, values in self.columns.items()},
                         self.private[list(keep)], np.frombuffer(b"".join(texts), np.uint8),
                         _offsets(texts))  # fmt: skip

    def __add__(self, other: object) -> ChunkRows:
        if not isinstance(other, ChunkRows):
            return NotImplemented
        offsets = np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]])
        return ChunkRows({f: self.columns[f] + other.columns[f] for f in FIELDS},
                         np.concatenate([self.private, other.private]),
                         np.concatenate([self.text, other.text]), offsets)  # fmt: skip

    def text_of(self, i: int) -> str:
        return self.text[self.offsets[i] : self.offsets[i + 1]].tobytes().decode()

    def texts(self) -> Iterator[str]:
        return (self.text_of(i) for i in range(len(self)))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        short = {f: self.columns[f][i] for f in FIELDS}
        return Chunk(text=self.text_of(i), private=bool(self.private[i]), **short)


@dataclass(frozen=True)
class SentenceRows:
    """Every chunk's stored sentence vectors as one int8 matrix: chunk i's are rows
    `spans[i]:spans[i + 1]` (none kept: an empty span). The same bytes as `encode_vectors`."""

    matrix: np.ndarray
    spans: np.ndarray

    @classmethod
    def of(cls, blobs: Sequence[str], dim: int) -> SentenceRows:
        """From each chunk's base64 blob ("" where it keeps none), in the table's order."""
        return cls.joined([_decoded(blob, dim) for blob in blobs], dim)

    @classmethod
    def joined(cls, parts: Sequence[np.ndarray], dim: int) -> SentenceRows:
        """From each chunk's rows (an empty array where it keeps none)."""
        matrix = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.int8)
        return cls(matrix.astype(np.int8, copy=False), _offsets(parts))

    def rows(self, i: int) -> np.ndarray:
        return self.matrix[self.spans[i] : self.spans[i + 1]]

    def blob(self, i: int) -> str:
        """Chunk i's vectors as `knowledge.search.rerank` reads them; "" where none are kept."""
        rows = self.rows(i)
        return base64.b64encode(rows.tobytes()).decode("ascii") if len(rows) else ""


def shared(columns: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The short fields' columns with each repeated value one string: a page's chunks repeat
    its title, url and path, and a string read back from a file is a new copy each time."""
    seen: dict[str, str] = {}
    return {f: [seen.setdefault(v, v) for v in columns[f]] for f in FIELDS}


def _offsets(parts: Sequence[Sized]) -> np.ndarray:
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(part) for part in parts], out=offsets[1:])
    return offsets


def _decoded(blob: str, dim: int) -> np.ndarray:
    """One chunk's stored sentence rows; none where the blob is not whole rows of `dim` (another
    embedding model's, or damaged): a search then embeds that chunk's sentences itself."""
    try:
        raw = np.frombuffer(base64.b64decode(blob, validate=True), dtype=np.int8)
    except ValueError:
        raw = np.zeros(0, dtype=np.int8)
    if dim == 0 or raw.size % dim:
        return np.zeros((0, dim), dtype=np.int8)
    return raw.reshape(-1, dim)
