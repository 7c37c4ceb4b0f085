"""What an OpenAI-compatible /v1/chat/completions server (TGI, vLLM, an Endpoint) answers."""

from __future__ import annotations

import json


def chat_completion(content: str, model: str = "tgi") -> bytes:
    """A complete chat-completion response body holding one assistant message."""
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
        }
    ).encode()
