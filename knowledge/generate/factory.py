"""Pick and load the configured backend; fall back to quoting only when told to."""

from __future__ import annotations

import logging

from knowledge.generate.base import Generator, ModelLoadError
from knowledge.generate.extractive import ExtractiveGenerator
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def load_generator(settings: Settings) -> Generator:
    """Load once at start-up. A model that can't load raises, unless the fallback is set."""
    try:
        if settings.generator == "extractive":
            return ExtractiveGenerator()
        if settings.generator == "hosted":
            from knowledge.generate.hosted import HostedGenerator

            return HostedGenerator(settings)
        from knowledge.generate.hub import HubGenerator

        return HubGenerator.load(settings)
    except ModelLoadError as exc:
        if settings.generator_fallback != "extractive":
            raise
        logger.warning("%s Answering by quoting the docs (generator_fallback=extractive).", exc)
        return ExtractiveGenerator(note="fallback")
