"""Download a file attached to a Slack message: only from Slack's own file hosts (the bot's token
goes nowhere else), only up to the size limit, whatever the file claims."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)


def allowed_host(url: str, api_url: str) -> bool:
    """Slack's file hosts (files.slack.com and the like), or the Web API's own host (a proxy or
    a test stand-in), over the API's scheme."""
    target, api = urlsplit(url), urlsplit(api_url)
    host = target.hostname or ""
    if target.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    return bool(host) and (target.scheme, target.netloc) == (api.scheme, api.netloc)


def download(url: str, token: str, api_url: str, max_bytes: int) -> str | None:
    """The file's text, or None: not a Slack host, an error, or larger than `max_bytes`."""
    if not allowed_host(url, api_url):
        logger.warning("Not downloading an attachment from %s: not a Slack file host", url)
        return None
    try:
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"},
                          timeout=10, follow_redirects=False) as response:  # fmt: skip
            if response.status_code != 200:
                logger.warning(
                    "An attachment could not be downloaded: HTTP %s", response.status_code
                )
                return None
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    logger.warning("An attachment outgrew its stated size; not read")
                    return None
    except httpx.HTTPError as exc:
        logger.warning("An attachment could not be downloaded: %s", exc)
        return None
    return body.decode("utf-8", errors="replace")
