"""Decompression with a ceiling: a gzip or deflate body is inflated piece by piece and abandoned
as soon as it passes the size limit, so a 0.5 MB file that inflates to 512 MB (a "zip bomb")
costs the limit, not the 512 MB. Used for `Content-Encoding` and for `.xml.gz` sitemaps alike.
"""

from __future__ import annotations

import zlib

GZIP_MAGIC = b"\x1f\x8b"
#: zlib's window bits per encoding: gzip header, zlib header, or raw deflate (sent by some
#: servers as "deflate").
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw": -zlib.MAX_WBITS}
ENCODINGS = ("gzip", "x-gzip", "deflate")


class TooLargeError(ValueError):
    """The inflated body passed the limit."""


class BrokenError(ValueError):
    """The body is not valid compressed data."""


class Inflater:
    """Inflates one body fed in pieces; raises `TooLargeError` once the output passes `limit`."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.kind = "gzip" if encoding in ("gzip", "x-gzip") else "deflate"
        self.limit = limit
        self.produced = 0
        self._inflater = zlib.decompressobj(_WBITS[self.kind])
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            room = self.limit - self.produced
            try:
                piece = self._inflater.decompress(data, room + 1)
            except zlib.error as exc:
                if self.kind == "deflate" and not self._started:  # raw deflate after all
                    self.kind, self._inflater = "raw", zlib.decompressobj(_WBITS["raw"])
                    continue
                raise BrokenError(f"broken {self.kind} data: {exc}") from exc
            self._started = True
            self.produced += len(piece)
            if self.produced > self.limit:
                raise TooLargeError(f"inflates to more than {self.limit / 1e6:g} MB")
            out += piece
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:  # a gzip file may hold several members, one after another
                data = self._inflater.unused_data
                if data and self.kind == "gzip":
                    self._inflater = zlib.decompressobj(_WBITS["gzip"])
                else:
                    break
        return bytes(out)

    def finish(self) -> bytes:
        """What is left once the input has ended; a body cut short is broken."""
        if not self._inflater.eof and self._started:
            tail = self._inflater.flush()
            self.produced += len(tail)
            if self.produced > self.limit:
                raise TooLargeError(f"inflates to more than {self.limit / 1e6:g} MB")
            if self.kind == "gzip":
                raise BrokenError("broken gzip data: the file ends early")
            return tail
        return b""


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """A whole compressed body, inflated up to `limit` bytes. Raises `TooLargeError` or
    `BrokenError`."""
    inflater = Inflater(encoding, limit)
    return inflater.feed(body) + inflater.finish()
