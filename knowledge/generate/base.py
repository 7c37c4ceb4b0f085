"""What every generator backend offers the answer pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from knowledge.models import ModelInfo

Message = dict[str, str]


class ModelLoadError(RuntimeError):
    """The configured model could not be loaded; the message names the repo and the setting."""


class Generator(Protocol):
    """Turns chat messages into text. Loaded once per process, then called per question."""

    info: ModelInfo

    def chat(self, messages: Sequence[Message], *, max_new_tokens: int) -> str | None:
        """The model's reply, or None for a backend that cannot write (extractive)."""
        ...
