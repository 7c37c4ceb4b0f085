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


def send_completion(
    handler: BaseHTTPRequestHandler, content: str, *, model: str = "tgi", status: int = 200
) -> None:
    """Answer the request `handler` holds with one complete chat completion."""
    body = chat_completion(content, model=model)
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def chunk_event(delta: str, model: str = "tgi", *, last: bool = False) -> bytes:
    """One server-sent event of a streamed chat completion (`stream=True`) adding `delta`."""
    chunk = {
        "id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": delta},
                     "finish_reason": "stop" if last else None}],
    }  # fmt: skip
    return f"data: {json.dumps(chunk)}\n\n".encode()


def stream_start(handler: BaseHTTPRequestHandler) -> None:
    """The headers of a streamed completion; events follow, then `DONE`."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.end_headers()


DONE = b"data: [DONE]\n\n"


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
