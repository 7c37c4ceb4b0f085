"""The same prompt sent to a hosted model: an HF Inference Endpoint or Provider, TGI or vLLM."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.generate.base import Message, ModelLoadError
from knowledge.models import ModelInfo
from knowledge.settings import Settings


class GenerationError(RuntimeError):
    """The hosted model did not answer (network, quota, server error)."""


class HostedGenerator:
    """Chat completion through `huggingface_hub.InferenceClient`."""

    def __init__(self, settings: Settings) -> None:
        from huggingface_hub import InferenceClient

        model = settings.hosted_model or settings.base_model
        if not (settings.hosted_url or model):
            raise ModelLoadError(
                "The hosted backend needs SUPPORTBOT_HOSTED_URL (an endpoint or server URL) "
                "or SUPPORTBOT_HOSTED_MODEL (a model id served by Inference Providers)."
            )
        token = settings.hf_token.get_secret_value() or None
        if settings.hosted_url:
            self.client = InferenceClient(
                base_url=settings.hosted_url, token=token, timeout=settings.hosted_timeout_s
            )
        else:
            self.client = InferenceClient(
                model=model, token=token, timeout=settings.hosted_timeout_s
            )
        self.model = model if settings.hosted_url else None
        self.info = ModelInfo(
            backend="hosted",
            repo=model,
            revision=settings.base_revision,
            adapter_repo=settings.adapter_model,
            adapter_revision=settings.adapter_revision if settings.adapter_model else "",
        )

    def chat(self, messages: Sequence[Message], *, max_new_tokens: int) -> str:
        try:
            reply = self.client.chat_completion(
                messages=list(messages),
                model=self.model,
                max_tokens=max_new_tokens,
                temperature=0.0,
            )
        except Exception as exc:
            raise GenerationError(f"The hosted model did not answer: {exc}") from exc
        return (reply.choices[0].message.content or "").strip()
