"""A heartbeat for long work: a thread that calls `beat()` every few seconds until the work ends.

A sync tells the records it is alive (so a dead worker's sync is found, see `tasks`), and a
delivery renews its post's lease while a platform client retries (see `bot.chat.delivering`):
in both, silence is how a dead process is told from a slow one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def beating(every_s: float, beat: Callable[[], object], *, name: str) -> Iterator[None]:
    """Run the body while a thread calls `beat()` every `every_s` seconds (not at the start)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every_s):
            beat()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
