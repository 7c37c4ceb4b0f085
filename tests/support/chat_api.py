"""What an OpenAI-compatible /v1/chat/completions server (TGI, vLLM, an Endpoint) answers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A model stand-in on 127.0.0.1 (a free port), served from a thread; `shutdown()` it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class BrokenModel(BaseHTTPRequestHandler):
    """A hosted model that answers every request with a 500."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass
