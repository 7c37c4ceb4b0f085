"""What an adapter does when its tokens are missing: say which, then exit or stand by.

Under `honcho start` one process exiting stops all the others, so the Procfile's adapters stand by
(`--stand-by`) instead: the worker and the other platform keep running.
"""

from __future__ import annotations

import logging
import signal


def report(platform: str, missing: list[str], *, stand_by: bool) -> int:
    """Log what is missing; with `stand_by`, wait for SIGTERM/SIGINT. The exit code to use."""
    logger = logging.getLogger(f"supportbot.{platform.lower()}")
    logger.error("%s adapter not started: set %s (see README).", platform, ", ".join(missing))
    if not stand_by:
        return 2
    logger.info("Standing by; the other processes run on. Set the variables and restart.")
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # so sigwait, not the default handler, gets it
    signal.sigwait(stop)
    return 0
