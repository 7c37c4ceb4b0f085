"""What every generator backend offers the answer pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from knowledge.models import ModelInfo

Message = dict[str, str]
#: Told the reply so far, each time the model adds to it (a streamed answer: see `workers.tasks`).
OnText = Callable[[str], None]


class ModelLoadError(RuntimeError):
    """The configured model could not be loaded; the message names the repo and the setting."""


class Generator(Protocol):
    """Turns chat messages into text. Loaded once per process, then called per question."""

    info: ModelInfo

    def chat(
        self, messages: Sequence[Message], *, max_new_tokens: int, on_text: OnText | None = None
    ) -> str | None:
        """The model's reply, or None for a backend that cannot write (extractive). With
        `on_text`, it is told the reply so far as the model writes it."""
        ...
