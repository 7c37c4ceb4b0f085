"""Concurrent questions share one `generate`: the in-process model answers them as a batch.

A model step costs about the same for one sequence as for thirty-two (on a GPU the time per
token is overhead, not arithmetic), so answering questions one at a time behind a lock wastes
most of the hardware. Requests that arrive while the model is busy, or within `window_s` of the
first, are left-padded into one batch (up to `max_batch`, those asking for the same number of new
tokens together) and generated at once; each caller gets its own tokens back. With a single
caller it is the old behaviour plus `window_s` of waiting. A caller may also follow its row as
it is generated (`on_token`), to stream the answer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

#: Told each new token of one row as the batch is generated.
OnToken = Callable[[int], None]


@dataclass(eq=False)  # requests are told apart by identity, never by their prompts
class _Request:
    prompt: list[int]
    max_new_tokens: int
    on_token: OnToken | None = None
    done: Future[list[int]] = field(default_factory=Future)


def left_pad(prompts: list[list[int]], pad: int) -> tuple[list[list[int]], list[list[int]]]:
    """Input ids and attention masks with every prompt right-aligned (pure)."""
    width = max(len(p) for p in prompts)
    ids = [[pad] * (width - len(p)) + p for p in prompts]
    mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompts]
    return ids, mask


def new_tokens(row: list[int], stop: set[int]) -> list[int]:
    """A generated row's tokens up to (not including) the first stop token (pure)."""
    for i, token in enumerate(row):
        if token in stop:
            return row[:i]
    return row


class RowStreamer:
    """What `generate` tells, step by step, split into each request's row: its new tokens up to
    its first stop token (a transformers streamer; the first call is the prompts)."""

    def __init__(self, batch: list[_Request], stop: set[int]) -> None:
        self.batch = batch
        self.stop = stop
        self.prompts_seen = False
        self.finished = [r.on_token is None for r in batch]

    def put(self, value: Any) -> None:
        if not self.prompts_seen:
            self.prompts_seen = True
            return
        for i, token in enumerate(value.reshape(-1).tolist()):
            if self.finished[i]:
                continue
            if token in self.stop:
                self.finished[i] = True
                continue
            try:
                self.batch[i].on_token(token)  # type: ignore[misc]  # None rows are finished
            except Exception:  # a follower's trouble never stops the batch
                self.finished[i] = True

    def end(self) -> None:
        pass


class Batcher:
    """One thread that owns the model and runs every `generate`; callers wait on a future."""

    def __init__(
        self,
        model: Any,
        *,
        pad: int,
        stop: set[int],
        max_batch: int = 16,
        window_s: float = 0.01,
        decoding: dict[str, Any] | None = None,
    ) -> None:
        """`decoding`: more `generate` options (no_repeat_ngram_size, repetition_penalty)."""
        self.model = model
        self.decoding = decoding or {}
        self.pad = pad
        self.stop = stop
        self.max_batch = max_batch
        self.window_s = window_s
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="generate", daemon=True)
        self._thread.start()

    def generate(
        self, prompt: list[int], max_new_tokens: int, on_token: OnToken | None = None
    ) -> list[int]:
        """The new tokens for one prompt; blocks until its batch has run, telling `on_token`
        each one as it comes."""
        request = _Request(prompt, max_new_tokens, on_token)
        self._queue.put(request)
        return request.done.result()

    def _run(self) -> None:
        waiting: list[_Request] = []
        while True:
            # a new batch waits up to `window_s` for company; requests left over from the last
            # round (another `max_new_tokens`) go at once, with whatever has queued meanwhile
            window = 0.0 if waiting else self.window_s
            if not waiting:
                waiting.append(self._queue.get())
            deadline = time.monotonic() + window
            while len(waiting) < self.max_batch:
                left = deadline - time.monotonic()
                try:
                    request = (
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                waiting.append(request)
            wanted = waiting[0].max_new_tokens
            batch = [r for r in waiting if r.max_new_tokens == wanted][: self.max_batch]
            waiting = [r for r in waiting if all(r is not b for b in batch)]
            self._answer(batch, wanted)

    def _answer(self, batch: list[_Request], max_new_tokens: int) -> None:
        import torch

        try:
            ids, mask = left_pad([r.prompt for r in batch], self.pad)
            device = self.model.device
            followed = any(r.on_token is not None for r in batch)
            with torch.inference_mode():
                output = self.model.generate(
                    input_ids=torch.tensor(ids, device=device),
                    attention_mask=torch.tensor(mask, device=device),
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=self.pad,
                    streamer=RowStreamer(batch, self.stop) if followed else None,
                    **self.decoding,
                )
            rows = output[:, len(ids[0]) :].tolist()
        except BaseException as exc:  # every caller hears of it; the thread goes on
            for request in batch:
                request.done.set_exception(exc)
            return
        for request, row in zip(batch, rows, strict=True):
            request.done.set_result(new_tokens(row, self.stop))
