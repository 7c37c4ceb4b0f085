"""Per-channel governance shared by every platform: which collections, and who takes over."""

from __future__ import annotations

from pydantic import BaseModel


class ChannelPolicy(BaseModel):
    """What one channel may draw on, and who it hands off to when the docs fall short."""

    collections: list[str] | None = None
    handoff: str | None = None
