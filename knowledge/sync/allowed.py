"""What a site source may fetch: pure decisions, made for every URL and every address.

A sitemap, a redirect or a child sitemap is written by whoever controls the site, so none of
them may send the sync elsewhere:

- **hosts**: a URL is fetched only on the source's own host (the sitemap's) or a host listed for
  it in `sources.yml` (`hosts:`), over http or https. The host is read with the same URL parser
  the request uses, so `https://docs.example.com@evil.example/` is evil.example, as it is to the
  client.
- **addresses**: whatever a name resolves to is checked when the connection is made (a name that
  resolved to a public address at first can be re-pointed at 127.0.0.1: DNS rebinding). Loopback,
  private and shared ranges are refused unless the source allows them
  (`allow_private_network: true`, for an intranet wiki); link-local addresses, where cloud
  metadata services answer (169.254.169.254, fd00:ec2::254), never.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

SCHEMES = ("http", "https")
#: A host name (IDNs arrive as xn-- punycode) or an IP address: nothing else is a place to fetch.
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")
_DEFAULT_PORTS = (None, 80, 443)
#: Cloud metadata services outside the link-local range (AWS over IPv6, Alibaba Cloud).
METADATA = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200"))
#: Carrier-grade NAT, which `is_private` doesn't cover: a private network all the same.
_SHARED = ipaddress.ip_network("100.64.0.0/10")

#: A host as compared: (lowercase name, port), the port None for a default one (80, 443), so
#: `http://help.example.com` and `https://help.example.com` are the same site.
HostKey = tuple[str, int | None]


def host_key(url: str | httpx.URL) -> HostKey | None:
    """The host a request to `url` goes to; None when `url` is not an http(s) URL with a host."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    if parsed.scheme not in SCHEMES or not _HOST.fullmatch(parsed.host):
        return None
    port = parsed.port
    return parsed.host.lower().rstrip("."), None if port in _DEFAULT_PORTS else port


def shown(key: HostKey) -> str:
    return key[0] if key[1] is None else f"{key[0]}:{key[1]}"


def listed_host(entry: str) -> HostKey | None:
    """A `hosts:` entry: `docs.example.com`, `docs.example.com:8443` or a URL."""
    entry = entry.strip()
    return host_key(entry if "://" in entry else f"http://{entry}")


@dataclass(frozen=True)
class Allowed:
    """Where one source may fetch from."""

    hosts: frozenset[HostKey]
    private_network: bool = False

    @classmethod
    def site(
        cls, sitemap: str, extra_hosts: Iterable[str] = (), *, private_network: bool = False
    ) -> Allowed:
        keys = {host_key(sitemap), *(listed_host(h) for h in extra_hosts)}
        return cls(frozenset(k for k in keys if k is not None), private_network)

    def url_refusal(self, url: str | httpx.URL) -> str:
        """Why `url` may not be fetched, or '' when it may."""
        key = host_key(url)
        if key is None:
            return "not an http(s) link"
        if key not in self.hosts:
            return f"on {shown(key)}, not one of the source's hosts (sources.yml: `hosts:`)"
        return ""

    def address_refusal(self, ip: str) -> str:
        """Why a connection to `ip` is refused, or '' when it may be made."""
        return address_refusal(ip, private_network=self.private_network)


def address_refusal(ip: str, *, private_network: bool) -> str:
    """Why a connection to `ip` is refused, or '' when it may be made (see the module)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return f"{ip} is not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_link_local or address in METADATA:
        return f"{ip} is a link-local address, where cloud metadata services answer; never reached"
    if address.is_multicast or address.is_unspecified:
        return f"{ip} is not a web server's address; never reached"
    if address.is_global:
        return ""
    if address.is_reserved and not address.is_loopback:
        return f"{ip} is not a web server's address; never reached"
    kind = "loopback" if address.is_loopback else "private"
    if address in _SHARED or address.is_private or address.is_loopback:
        if private_network:
            return ""
        return (f"{ip} is a {kind} address; a source reaches one only with "
                "allow_private_network: true")  # fmt: skip
    return f"{ip} is not a public address; never reached"
