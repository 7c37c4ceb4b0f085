"""Where a team's docs live, read from `sources.yml` into typed entries.

```yaml
sources:
  - name: help-center
    sitemap: https://help.example.com/sitemap.xml
    hosts: [cdn.example.com]      # other hosts its pages and redirects may be on
    every_minutes: 60
    notify: slack:C0123456789     # told which pages each sync added, changed or removed
  - name: product-docs
    git: https://github.com/example/docs.git
    folder: docs                  # the docs' folder inside the repository
    base_url: https://docs.example.com
  - name: handbook
    folder: /srv/handbook
    base_url: https://handbook.example.com
    private: true                 # answered only in channels that name its collection
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from knowledge.index.links import public_link
from knowledge.sync.allowed import Allowed, listed_host

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CHANNEL = re.compile(r"^[a-z]+:[A-Za-z0-9_-]+$")

SourceKind = Literal["sitemap", "git", "folder"]
#: What the records call a `supportbot ingest PATH` run, beside the configured sources.
INGEST_SOURCE = "ingest"


class SourceError(ValueError):
    """The sources file is missing, unreadable or wrong; the message says where and why."""


class Source(BaseModel):
    """One place docs come from: a `sitemap`, a `git` repository (with the docs' `folder` in it),
    or a local `folder`."""

    name: str = Field(description="Unique; names the source's folder under the data dir.")
    sitemap: str = Field("", description="A sitemap.xml URL (or a sitemap index).")
    git: str = Field("", description="A Git repository URL or path to clone and pull.")
    branch: str = Field("", description="The Git branch; empty: the repository's default.")
    folder: str = Field(
        "", description="A local folder; with `git`, the docs' folder inside the repository."
    )
    collection: str = Field("", description="The collection its pages go to; empty: the name.")
    base_url: str = Field("", description="Where a file's page is published (folder and git).")
    every_minutes: float = Field(60, gt=0, description="How often beat syncs it.")
    requests_per_second: float = Field(2.0, gt=0, description="Politeness towards a website.")
    timeout_s: float = Field(20.0, gt=0, description="A page that takes longer is skipped.")
    notify: str = Field(
        "",
        description="A chat channel told which pages each sync added, changed or removed: "
        "slack:CHANNEL_ID or discord:CHANNEL_ID.",
    )
    hosts: list[str] = Field(
        default_factory=list,
        description="A site's other hosts (name or name:port): where its pages, redirects and "
        "sitemaps may also be. Anything else a sitemap or a redirect names is not fetched.",
    )
    allow_private_network: bool = Field(
        False,
        description="A site on a private network (an intranet wiki): its hosts may resolve to "
        "loopback and private addresses. Link-local (cloud metadata) addresses never.",
    )
    private: bool = Field(
        False,
        description="Its collection is private: answered only in channels whose policy names "
        "it, never by default.",
    )

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError("use letters, digits, '.', '_' or '-' (it names a folder)")
        return name

    @field_validator("sitemap")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("a sitemap is an http(s) URL")
        return url

    @field_validator("base_url")
    @classmethod
    def _public_url(cls, url: str) -> str:
        if url and not public_link(url):
            raise ValueError("a base URL is an http(s) URL, such as https://docs.example.com")
        return url

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        bad = [h for h in hosts if listed_host(h) is None]
        if bad:
            raise ValueError(f"not a host name: {', '.join(bad)} (write docs.example.com[:PORT])")
        return hosts

    @field_validator("notify")
    @classmethod
    def _channel(cls, notify: str) -> str:
        if notify and not _CHANNEL.match(notify):
            raise ValueError("write it as PLATFORM:CHANNEL_ID, e.g. slack:C0123456789")
        return notify

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if bool(self.sitemap) + bool(self.git) + bool(self.folder and not self.git) != 1:
            raise ValueError("give exactly one of `sitemap`, `git` or `folder`")
        return self

    @property
    def kind(self) -> SourceKind:
        return "sitemap" if self.sitemap else "git" if self.git else "folder"

    @property
    def location(self) -> str:
        """What a person reads in `supportbot sources`."""
        return self.sitemap or (f"{self.git} {self.folder}".strip() if self.git else self.folder)

    @property
    def notify_channel(self) -> tuple[str, str] | None:
        """(platform, channel id) of the channel told about changes, if any."""
        platform, _, channel = self.notify.partition(":")
        return (platform, channel) if self.notify else None

    @property
    def target_collection(self) -> str:
        return self.collection or self.name

    def allowed(self) -> Allowed:
        """Where a site source may fetch from (see `knowledge.sync.allowed`)."""
        return Allowed.site(self.sitemap, self.hosts, private_network=self.allow_private_network)


class SourcesFile(BaseModel):
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return self


def load_sources(path: Path) -> list[Source]:
    """The configured sources; none when the file doesn't exist. Raises `SourceError`."""
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return SourcesFile.model_validate(raw).sources
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SourceError(f"{path}: cannot be read: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise SourceError(f"{path}: {problems}") from exc


def is_sitemap_url(text: str) -> bool:
    """`supportbot ingest https://host/sitemap.xml` syncs a site instead of reading a folder."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and parts.path.endswith((".xml", ".xml.gz"))


def site_source(
    url: str, collection: str | None, *, private: bool = False, private_network: bool = False
) -> Source:
    """The source for a one-off `supportbot ingest SITEMAP_URL`: named after the host, so a re-run
    finds its mirror and fetches only what changed."""
    host = urlsplit(url).hostname or "site"
    return Source(name=host, sitemap=url, collection=collection or "", private=private,
                  allow_private_network=private_network)  # fmt: skip
