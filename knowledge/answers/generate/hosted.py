"""The same prompt sent to a hosted model: an HF Inference Endpoint or Provider, TGI or vLLM.

Two clients, by where the model runs:
- the Hugging Face Hub (Inference Providers, by model id) or an Inference Endpoint
  (`*.endpoints.huggingface.cloud`): `huggingface_hub.InferenceClient`, which honours the Hub
  token and offline mode (`HF_HUB_OFFLINE`), as every Hub call here does;
- a team's own server (TGI, vLLM, or any OpenAI-compatible one, on its network): the `openai`
  client. Such a server is not the Hub, so an air-gapped install (`HF_HUB_OFFLINE=1`) can use it.

The brand-voice adapter: a server that serves LoRA adapters by name (vLLM `--enable-lora
--lora-modules brand=<adapter>`, TGI `LORA_ADAPTERS=<adapter repo>`) answers with it when the
request names it as the model: `SUPPORTBOT_HOSTED_ADAPTER`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from knowledge.answers.generate.base import Message, ModelLoadError, OnText
from knowledge.models import ModelInfo
from knowledge.settings import Settings

#: Hosts whose models are reached through the Hub's own client.
HUB_HOSTS = ("huggingface.co", "huggingface.cloud", "hf.space")


class GenerationError(RuntimeError):
    """The hosted model did not answer (network, quota, server error)."""


def on_the_hub(url: str) -> bool:
    """Is this server the Hugging Face Hub or one of its Inference Endpoints?"""
    host = (urlparse(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in HUB_HOSTS)


def openai_base_url(url: str) -> str:
    """The OpenAI client's base URL for a server given by its root or by its `/v1`."""
    root = url.rstrip("/")
    return root if root.endswith("/v1") else f"{root}/v1"


class HostedGenerator:
    """Chat completion on a hosted model, naming the brand-voice adapter when it is served."""

    def __init__(self, settings: Settings) -> None:
        base = settings.hosted_model or settings.base_model
        if not (settings.hosted_url or base):
            raise ModelLoadError(
                "The hosted backend needs SUPPORTBOT_HOSTED_URL (an endpoint or server URL) "
                "or SUPPORTBOT_HOSTED_MODEL (a model id served by Inference Providers)."
            )
        token = settings.hf_token.get_secret_value() or None
        self.model: str | None = settings.hosted_adapter or base
        self.client: Any
        if settings.hosted_url and not on_the_hub(settings.hosted_url):
            from openai import OpenAI

            self.client = OpenAI(
                base_url=openai_base_url(settings.hosted_url),
                api_key=token or "none",  # servers without auth ignore it; the client wants one
                timeout=settings.hosted_timeout_s,
                max_retries=0,  # the worker's retry schedule decides, not the client
            )
            self._create = self.client.chat.completions.create
        else:
            from huggingface_hub import InferenceClient

            if settings.hosted_url:
                self.client = InferenceClient(
                    base_url=settings.hosted_url, token=token, timeout=settings.hosted_timeout_s
                )
            else:
                self.client = InferenceClient(
                    model=base, token=token, timeout=settings.hosted_timeout_s
                )
                self.model = None  # the client is bound to it
            self._create = self.client.chat_completion
        self.info = ModelInfo(
            backend="hosted",
            repo=base,
            revision=settings.base_revision,
            adapter_repo=settings.adapter_model or settings.hosted_adapter,
            adapter_revision=settings.adapter_revision if settings.adapter_model else "",
        )

    def chat(
        self, messages: Sequence[Message], *, max_new_tokens: int, on_text: OnText | None = None
    ) -> str:
        """One chat completion; streamed (`stream=True`, OpenAI's and TGI's server-sent events)
        when someone follows the reply as it is written."""
        request = {"messages": list(messages), "model": self.model or "tgi",
                   "max_tokens": max_new_tokens, "temperature": 0.0}  # fmt: skip
        try:
            if on_text is None:
                reply = self._create(**request)
                return (reply.choices[0].message.content or "").strip()
            written = ""
            for chunk in self._create(**request, stream=True):
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    written += delta
                    on_text(written)
        except Exception as exc:
            raise GenerationError(f"The hosted model did not answer: {exc}") from exc
        return written.strip()
