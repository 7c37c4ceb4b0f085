"""When the machine refuses a write: a full disk, a file over a size limit, a read-only folder.

An ingest or a sync that meets one stops; the index keeps its previous version of every page (new
chunks go in before old ones are deleted, and the ingest record is written last), and a re-run
picks up where it stopped. The person running it needs one line that names the folder and the
reason, not a traceback: Milvus Lite reports its own failed writes as a MilvusException that
quotes the OS error, so the message is read from there too.
"""

from __future__ import annotations

import errno
import re

from knowledge.settings import Settings

#: "[Errno 28] No space left on device", as an OSError or quoted in another library's error.
_QUOTED = re.compile(r"\[Errno (\d+)\] ([^)>\]\n]+)")
#: Errors that mean "this machine won't take the write", not "the input is bad".
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES,
                           errno.EPERM, errno.EIO})  # fmt: skip


def write_failure(exc: BaseException, settings: Settings) -> str:
    """One line for a refused write anywhere in `exc`'s chain, naming where the index lives;
    '' for any other error."""
    found: BaseException | None = exc
    while found is not None:
        code, reason = _errno(found)
        if code in _WRITE_ERRNOS:
            where = (f"the data folder {settings.data_dir}" if settings.uses_milvus_lite
                     else "the Milvus server")  # fmt: skip
            return (f"{where} refused a write: {reason} (errno {code}). Free some space (or fix "
                    "the folder) and run it again; the index keeps what it had.")  # fmt: skip
        found = found.__cause__ or found.__context__
    return ""


def _errno(exc: BaseException) -> tuple[int | None, str]:
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno, exc.strerror or str(exc)
    quoted = _QUOTED.search(str(exc))
    return (int(quoted.group(1)), quoted.group(2).strip()) if quoted else (None, "")
