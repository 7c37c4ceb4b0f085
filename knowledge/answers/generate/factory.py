"""Pick and load the configured backend.

`auto` (the default) serves the Hub model when it can be loaded and quotes the docs when it can't
(no network to the Hub, say), saying so once; `hub` refuses to start without its model, and
`generator_fallback=extractive` turns that refusal into quoting too.
"""

from __future__ import annotations

import logging

from knowledge.answers.generate.base import Generator, ModelLoadError
from knowledge.answers.generate.extractive import ExtractiveGenerator
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def load_generator(settings: Settings) -> Generator:
    """Load once at start-up. A model that can't load raises, unless a fallback applies."""
    try:
        if settings.generator == "extractive":
            return ExtractiveGenerator()
        if settings.generator == "hosted":
            from knowledge.answers.generate.hosted import HostedGenerator

            return HostedGenerator(settings)
        from knowledge.answers.generate.hub import HubGenerator

        return HubGenerator.load(settings)
    except ModelLoadError as exc:
        if settings.generator == "auto":
            logger.warning("%s Answering by quoting the docs (SUPPORTBOT_GENERATOR=auto).", exc)
            return ExtractiveGenerator(note="auto")
        if settings.generator_fallback != "extractive":
            raise ModelLoadError(
                f"{exc} To answer by quoting the docs instead, set SUPPORTBOT_GENERATOR=auto or "
                "extractive."
            ) from exc
        logger.warning("%s Answering by quoting the docs (generator_fallback=extractive).", exc)
        return ExtractiveGenerator(note="fallback")
