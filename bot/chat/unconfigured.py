"""What an adapter does when its tokens are missing: say which, then exit or stand by.

Under `honcho start` one process exiting stops all the others, so the Procfile's adapters stand by
(`--stand-by`) instead: the worker and the other platform keep running.
"""

from __future__ import annotations

import logging
import signal
import threading


def report(platform: str, missing: list[str], *, stand_by: bool) -> int:
    """Log what is missing; with `stand_by`, wait for SIGTERM/SIGINT. The exit code to use."""
    logger = logging.getLogger(f"supportbot.{platform.lower()}")
    if not stand_by:
        logger.error("%s adapter not started: set %s (see README).", platform, ", ".join(missing))
        return 2
    # Handlers first, then the log line: whoever reads "Standing by" may stop us at once. A Python
    # handler (not sigwait) also catches a signal the kernel hands to another thread, as it may
    # when an imported library started one.
    stopped = threading.Event()
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: stopped.set())
    logger.error(
        "%s adapter not started: set %s (see README). Standing by; the other processes run on.",
        platform,
        ", ".join(missing),
    )
    while not stopped.wait(timeout=3600):  # a wait with a timeout lets the handler run
        pass
    return 0
