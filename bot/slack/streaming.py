"""An answer being written, streamed with Slack's own streaming API where the workspace has it
(`chat.startStream`, `chat.appendStream`, `chat.stopStream`), else shown by editing one message
(`bot.chat.delivering.show_draft`), the fallback every workspace has.

A stream is the question's placeholder message, like the edited draft: the records hold its id,
`stream:{ts}:{sent}:{digest}`, where `sent` counts the characters appended so far and `digest`
fingerprints them. Each draft carries the whole text so far, so a draft appends only what
follows `sent`, after moving the records from the old id to the new one (the first draft to
move them appends; a racing one is dropped, its text carried by the next). A draft that does
not extend what was streamed (the answer was written again) appends nothing. When the answer is
posted, as its own message with sources and buttons, the stream is stopped and removed.

The budget: Slack meters streams per workspace. A refused start (429, or a workspace without
the feature) falls back to the edited draft; after a 429 no stream is started for a minute,
and after a refusal that won't change (no such method, a missing scope) none in this process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from knowledge.records.store import DRAFTING
from workers.records import records

logger = logging.getLogger(__name__)
PREFIX = "stream:"
#: Refusals of a start that the workspace will keep giving: stop trying in this process.
UNAVAILABLE = frozenset(
    {"unknown_method", "method_deprecated", "missing_scope", "not_allowed_token_type",
     "feature_not_enabled", "team_not_allowed"}
)  # fmt: skip
BUDGET_PAUSE_S = 60.0


@dataclass(frozen=True)
class Streamed:
    """A stream's message, how much of the draft it shows, and a fingerprint of that."""

    ts: str
    sent: int
    digest: str

    @classmethod
    def of(cls, ref: str) -> Streamed | None:
        """The stream a placeholder id names; None for an ordinary message's id."""
        if not ref.startswith(PREFIX):
            return None
        ts, sent, digest = ref.removeprefix(PREFIX).split(":")
        return cls(ts, int(sent), digest)

    @classmethod
    def showing(cls, ts: str, text: str) -> Streamed:
        return cls(ts, len(text), fingerprint(text))

    @property
    def ref(self) -> str:
        return f"{PREFIX}{self.ts}:{self.sent}:{self.digest}"

    def more(self, text: str) -> str | None:
        """What `text` adds to what was streamed; None when it doesn't begin with that."""
        if len(text) < self.sent or fingerprint(text[: self.sent]) != self.digest:
            return None
        return text[self.sent :]


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class Streams:
    """Native streams of drafts through one client, while the workspace allows them."""

    def __init__(self, client: WebClient, *, enabled: bool = True) -> None:
        self.client = client
        self.enabled = enabled
        self.paused_until = 0.0
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def show(self, key: str, text: str, channel: str, thread_ts: str) -> bool | None:
        """Stream `text` (the draft so far) into the question's thread: True once shown, False
        when this draft is dropped, None when no stream can be had (show the edited draft)."""
        with self._lock(key):  # one draft of a question at a time in this process
            try:
                current = records().placeholder(key)
            except OperationalError:
                return False
            streamed = Streamed.of(current)
            if streamed is not None:
                return self._append(key, text, channel, streamed, current)
            if not self.enabled or time.monotonic() < self.paused_until:
                return None
            return self._start(key, text, channel, thread_ts, current)

    def stop(self, channel: str, ref: str) -> bool:
        """Stop the stream `ref` names, if it is one (before its message is removed)."""
        streamed = Streamed.of(ref)
        if streamed is None:
            return False
        try:
            self.client.chat_stopStream(channel=channel, ts=streamed.ts)
        except SlackApiError as exc:  # stopped already, or gone: it is removed next anyway
            logger.debug("Could not stop the stream %s: %s", streamed.ts, exc.response.get("error"))
        return True

    def _start(self, key: str, text: str, channel: str, thread_ts: str, was: str) -> bool | None:
        try:
            asked = records().question(key)
        except OperationalError:
            return False
        if asked is None:
            return False
        try:
            sent = self.client.chat_startStream(
                channel=channel, thread_ts=thread_ts, markdown_text=text,
                recipient_team_id=asked.workspace or None, recipient_user_id=asked.user or None,
            )  # fmt: skip
        except SlackApiError as exc:
            self._refused(exc)
            return None
        except OSError as exc:
            logger.warning("Could not start a stream for %s: %s", key, exc)
            return None
        streamed = Streamed.showing(str(sent["ts"]), text)
        if not _note(key, streamed.ref, was):  # answered meanwhile, or another draft got there
            self._discard(channel, streamed.ref)
            return False
        if was:  # the place-in-line message (or an edited draft) it replaces
            self._discard(channel, was)
        return True

    def _append(self, key: str, text: str, channel: str, streamed: Streamed, was: str) -> bool:
        more = streamed.more(text)
        if not more:
            return more == ""  # nothing new; or a rewritten answer, which the post will replace
        if not _note(key, Streamed.showing(streamed.ts, text).ref, was):
            return False
        try:
            self.client.chat_appendStream(channel=channel, ts=streamed.ts, markdown_text=more)
        except (SlackApiError, OSError) as exc:  # a courtesy: the answer is posted regardless
            logger.warning("Could not append to the stream of %s: %s", key, exc)
            return False
        return True

    def _refused(self, exc: SlackApiError) -> None:
        error = str(exc.response.get("error", ""))
        if error in UNAVAILABLE:
            logger.warning("This workspace has no native streaming (%s): drafts are shown by "
                           "editing a message", error)  # fmt: skip
            self.enabled = False
        else:  # the budget (429) or a passing failure: edited drafts for a while
            logger.info("Slack refused a stream (%s); edited drafts for %.0f s", error,
                        BUDGET_PAUSE_S)  # fmt: skip
            self.paused_until = time.monotonic() + BUDGET_PAUSE_S

    def _discard(self, channel: str, ref: str) -> None:
        self.stop(channel, ref)
        ts = message_ts(ref)
        try:
            self.client.chat_delete(channel=channel, ts=ts)
        except (SlackApiError, OSError) as exc:
            logger.warning("Could not remove the message %s: %s", ts, exc)

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            if len(self._locks) > 1000:  # drop the locks of questions long answered
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())


def message_ts(ref: str) -> str:
    """The ts of a placeholder's message, stream or not."""
    streamed = Streamed.of(ref)
    return streamed.ts if streamed else ref


def _note(key: str, ref: str, was: str) -> bool:
    try:
        return records().told_ahead(key, DRAFTING, ref, was=was)
    except OperationalError:
        logger.warning("Could not note the stream of %s: the records are unreachable", key)
        return False
