"""A follow-up asked while an earlier question of its thread is still being answered waits its
turn: it is answered after that one is posted, with that answer as context (the thread the adapter
read it from didn't hold it yet). Pure functions; the `answer` task brings the records."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.models import Turn
from knowledge.records.store import Earlier

#: How often a follow-up looks again whether the questions ahead of it in its thread are posted.
WAIT_TURN_S = 2.0


def ahead(earlier: Sequence[Earlier]) -> list[str]:
    """The earlier questions of the thread still waiting for their answer to be posted."""
    return [question.key for question in earlier if question.waiting]


def caught_up(history: Sequence[Turn], earlier: Sequence[Earlier], waited_for: Sequence[str]
              ) -> list[Turn]:  # fmt: skip
    """The thread as the adapter read it, plus the answers it could not yet hold: those of the
    questions this one waited for (a decline or a failure adds nothing)."""
    waited = set(waited_for)
    late = [Turn(role="assistant", content=question.answer) for question in earlier
            if question.key in waited and question.answer]  # fmt: skip
    return [*history, *late]
