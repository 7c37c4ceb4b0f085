"""The brand-voice model from the Hugging Face Hub, run inside the worker process.

A base model plus an optional LoRA adapter, each at a pinned revision, fetched with
huggingface_hub (token, local cache and offline mode honoured) and run with transformers + peft.
Loaded once per process; torch and transformers are imported only here, when a model is loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.answers.generate import gguf
from knowledge.answers.generate.base import Message, ModelLoadError, OnText
from knowledge.answers.generate.batching import Batcher
from knowledge.models import ModelInfo
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def fetch(repo: str, revision: str, settings: Settings) -> Path:
    """A local snapshot of a Hub repo at a revision (a local folder is used as it is)."""
    if Path(repo).is_dir():
        return Path(repo)
    from huggingface_hub import snapshot_download

    token = settings.hf_token.get_secret_value() or None
    return Path(
        snapshot_download(
            repo_id=repo,
            revision=revision or None,
            token=token,
            local_files_only=settings.hf_offline,
            cache_dir=settings.hf_cache_dir,
        )
    )


def base_folder(settings: Settings) -> Path:
    """The base model as a folder transformers loads: a Hub snapshot, a local folder, or a GGUF
    file converted once into the model cache (`knowledge.answers.generate.gguf`)."""
    if gguf.is_gguf(settings.base_model):
        file = gguf.gguf_file(settings.base_model, settings.base_revision, settings)
        return gguf.converted(file, settings.resolved_model_cache_dir)
    return fetch(settings.base_model, settings.base_revision, settings)


def locate_gguf(settings: Settings) -> str:
    """Where a GGUF base model would load from, for `doctor` (the file is read for its digest)."""
    try:
        file = gguf.gguf_file(
            settings.base_model, settings.base_revision,
            settings.model_copy(update={"hf_offline": True}),
        )  # fmt: skip
    except Exception as exc:
        raise ModelLoadError(
            f"GGUF model {settings.base_model!r}: {why(exc)} (SUPPORTBOT_BASE_MODEL)"
        ) from exc
    folder = gguf.converted_folder(file, settings.resolved_model_cache_dir)
    state = "converted" if (folder / "config.json").is_file() else "converted at first start"
    return f"{file} (GGUF, {file.stat().st_size / 1e6:.0f} MB; {state}: {folder})"


def locate(settings: Settings) -> str:
    """Where the base model (and adapter) would load from, found without downloading anything.
    Raises `ModelLoadError` (saying what to change) when one can't be had."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import LocalEntryNotFoundError

    found = []
    parts = [("BASE", settings.base_model, settings.base_revision)]
    if gguf.is_gguf(settings.base_model):
        found.append(locate_gguf(settings))
        parts = []
    if settings.adapter_model:
        parts.append(("ADAPTER", settings.adapter_model, settings.adapter_revision))
    for setting, repo, revision in parts:
        if Path(repo).is_dir():
            found.append(f"{repo} (local folder)")
            continue
        try:
            snapshot = fetch(repo, revision, settings.model_copy(update={"hf_offline": True}))
            found.append(f"{repo}@{resolved_revision(snapshot, revision)[:12]} (in the Hub cache)")
            continue
        except Exception as exc:  # not cached, or not even a valid repo id / folder
            missing: Exception = exc
        if isinstance(missing, LocalEntryNotFoundError) and not settings.hf_offline:
            token = settings.hf_token.get_secret_value() or None
            try:
                HfApi(token=token).model_info(repo, revision=revision or None)
                found.append(f"{repo}@{revision} (on the Hub; downloaded at first start)")
                continue
            except Exception as exc:
                missing = exc
        raise ModelLoadError(
            f"{repo!r} at revision {revision!r}: {why(missing)} (SUPPORTBOT_{setting}_MODEL, "
            f"SUPPORTBOT_{setting}_REVISION)"
        )
    return ", adapter ".join(found)


def why(exc: Exception) -> str:
    """One line a person can act on, for the usual ways a Hub download fails."""
    from huggingface_hub.errors import (
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, LocalEntryNotFoundError):
        return "it is not in the local Hub cache and the Hub can't be reached (offline?)"
    # huggingface_hub's HTTP library has changed (requests, httpx, httpx2): match by family name
    network = {"TransportError", "ConnectionError", "Timeout", "TimeoutException"}
    if any(cls.__name__ in network for cls in type(exc).__mro__):
        return f"the Hub can't be reached ({type(exc).__name__}) and it isn't in the local cache"
    if isinstance(exc, RevisionNotFoundError):
        return "the repo has no such revision"
    if isinstance(exc, RepositoryNotFoundError):
        return "no such repo on the Hub, or it is private and no token was given"
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"


def resolved_revision(snapshot: Path, requested: str) -> str:
    """The commit a snapshot folder stands for (Hub cache folders are named by commit)."""
    name = snapshot.name
    return name if len(name) == 40 and all(c in "0123456789abcdef" for c in name) else requested


def pick_device(setting: str) -> str:
    import torch

    if setting != "auto":
        return setting
    return "cuda" if torch.cuda.is_available() else "cpu"


class HubGenerator:
    """A causal LM with its chat template. Concurrent questions (a worker with `--pool threads`)
    are generated together in batches (`Batcher`); one at a time, each is its own batch."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        device: str,
        info: ModelInfo,
        *,
        max_batch: int = 16,
        window_s: float = 0.01,
        no_repeat_ngram: int = 0,
        repetition_penalty: float = 1.0,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.info = info
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id
        eos = model.generation_config.eos_token_id
        stop = {pad, *(eos if isinstance(eos, list) else [eos])} - {None}
        decoding: dict[str, Any] = {}
        if no_repeat_ngram:
            decoding["no_repeat_ngram_size"] = no_repeat_ngram
        if repetition_penalty != 1.0:
            decoding["repetition_penalty"] = repetition_penalty
        self.batcher = Batcher(model, pad=pad, stop=stop, max_batch=max_batch, window_s=window_s,
                               decoding=decoding)  # fmt: skip

    @classmethod
    def load(cls, settings: Settings) -> HubGenerator:
        """Fetch and load; any failure becomes a `ModelLoadError` naming what to change."""
        repo, revision = settings.base_model, settings.base_revision
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            base_dir = base_folder(settings)
            tokenizer = AutoTokenizer.from_pretrained(base_dir)
            if not tokenizer.chat_template:
                raise ValueError("its tokenizer has no chat template; use an instruct model")
            device = pick_device(settings.device)
            dtype = torch.float32 if device == "cpu" else "auto"
            model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=dtype)
            if gguf.is_gguf(repo):  # the converted folder is named by the file's digest
                revision = f"sha256:{base_dir.name.rsplit('-', 1)[-1]}"
            info = ModelInfo(
                backend="hub", repo=repo, revision=resolved_revision(base_dir, revision)
            )
            if settings.adapter_model:
                repo, revision = settings.adapter_model, settings.adapter_revision
                from peft import PeftModel

                adapter_dir = fetch(repo, revision, settings)
                model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
                info.adapter_repo = repo
                info.adapter_revision = resolved_revision(adapter_dir, revision)
            model.to(device).eval()  # type: ignore[arg-type]  # transformers stubs
        except Exception as exc:
            setting = "ADAPTER" if repo == settings.adapter_model and repo else "BASE"
            raise ModelLoadError(
                f"Could not load model {repo!r} at revision {revision!r}: {why(exc)}. Check "
                f"SUPPORTBOT_{setting}_MODEL and SUPPORTBOT_{setting}_REVISION (and "
                "SUPPORTBOT_HF_TOKEN for a private repo)."
            ) from exc
        logger.info("Loaded %s on %s", info.model_dump(exclude_defaults=True), device)
        return cls(
            model,
            tokenizer,
            device,
            info,
            max_batch=settings.generate_batch,
            window_s=settings.generate_window_ms / 1000,
            no_repeat_ngram=settings.no_repeat_ngram,
            repetition_penalty=settings.repetition_penalty,
        )

    def chat(
        self, messages: Sequence[Message], *, max_new_tokens: int, on_text: OnText | None = None
    ) -> str:
        prompt = self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        on_token = None
        if on_text is not None:
            written: list[int] = []

            def on_token(token: int) -> None:
                written.append(token)
                text = self.tokenizer.decode(written, skip_special_tokens=True)
                if not text.endswith("\ufffd"):  # not half a character (a byte-level token)
                    on_text(text)

        tokens = self.batcher.generate(list(prompt), max_new_tokens, on_token)
        return self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
