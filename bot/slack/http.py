"""HTTP Events mode's server: cheap to attack, since its URL is public.

waitress (a production WSGI server) holds idle and slow connections on one event loop instead of
a thread each, closes them after `idle_timeout_s`, caps headers and bodies before the app sees
them, and runs requests on a fixed number of threads. In front of Bolt, `signed_only` checks
Slack's signature on the raw bytes before anything parses them: a forged request costs one HMAC.

The body cap: Slack's own payloads are small. A message holds at most 40,000 characters (under
250 KB as escaped JSON); a modal submission at most 100 blocks of inputs of 3,000 characters
each. 1 MB is several times the largest, and a 200 MB POST is refused after its headers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
MAX_HEADER_BYTES = 16_384
THREADS = 16  # each request only checks, claims and enqueues: milliseconds
#: Open connections at most (idle ones cost a socket, not a thread); past it, new ones wait. A
#: flood larger than this is for the proxy in front (TLS, rate limits) to absorb.
CONNECTIONS = 4096

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def signed_only(app: WsgiApp, signing_secret: str) -> WsgiApp:
    """Answer 401 to any request whose body is not signed with the app's secret (or whose
    timestamp is over 5 minutes old), before `app` parses a byte of it."""
    verifier = SignatureVerifier(signing_secret)

    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if not verifier.is_valid(
            body=body,
            timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            signature=environ.get("HTTP_X_SLACK_SIGNATURE"),
        ):
            logger.debug("Refused an unsigned or stale request from %s", environ.get("REMOTE_ADDR"))
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"invalid signature"]
        environ["wsgi.input"] = io.BytesIO(body)
        return app(environ, start_response)

    return guarded


def make_server(app: WsgiApp, host: str, port: int, *, idle_timeout_s: int = 30) -> Any:
    """A waitress server for `app` (`.run()` serves, `.close()` stops, `.effective_port`)."""
    from waitress.server import create_server

    return create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        connection_limit=CONNECTIONS,
        channel_timeout=idle_timeout_s,  # a connection with no traffic is closed after this
        cleanup_interval=max(1, idle_timeout_s // 2),
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=MAX_HEADER_BYTES,
        backlog=1024,
        asyncore_use_poll=True,  # select() stops at 1,024 sockets
        ident="supportbot",
        expose_tracebacks=False,
    )
