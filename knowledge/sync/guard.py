"""An HTTP client whose every connection goes to an address the source may reach.

The check runs where the connection is made: the host name is resolved here, each address is
checked (`Allowed.address_refusal`), and the socket connects to the checked address itself, so a
name can't resolve to a public address for a check and to 127.0.0.1 for the connection (DNS
rebinding). TLS still verifies the certificate against the host name. Proxies from the
environment are not used: through a proxy, the address reached could not be checked.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

import httpcore
import httpx

from knowledge.sync.allowed import Allowed


class AddressRefusedError(httpcore.ConnectError):
    """The host resolves only to addresses the source may not reach."""


class CheckedBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, opened only to checked addresses."""

    def __init__(self, allowed: Allowed) -> None:
        self.allowed = allowed
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved: {exc}") from exc
        refused = ""
        failure: Exception | None = None
        for *_, address in found:
            ip = str(address[0])
            why = self.allowed.address_refusal(ip)
            if why:
                refused = refused or why
                continue
            try:
                return self._sockets.connect_tcp(ip, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # another of its addresses may answer
                failure = exc
        if failure is not None:
            raise failure
        raise AddressRefusedError(f"not connecting to {host}: {refused}")


def checked_client(allowed: Allowed, *, timeout_s: float, user_agent: str) -> httpx.Client:
    """A client that never follows redirects by itself (the caller checks each hop) and
    connects only where `allowed` says."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx takes no network backend; its pool is httpcore's, which does.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=CheckedBackend(allowed)
    )
    return httpx.Client(
        transport=transport,
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
    )


def refused_address(exc: BaseException) -> str:
    """The refusal behind a failed request, or '' when it failed for another reason."""
    while exc is not None:
        if isinstance(exc, AddressRefusedError):
            return str(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return ""
