"""What the sync's boundary costs, and what it saves, printed in one run (issue: nothing leaks).

1. Peak memory reading a gzip sitemap of ~0.5 MB that inflates to 512 MB, each way in its own
   process: inflated whole then parsed (how the sync read `.xml.gz` before: `gzip.decompress`)
   against `parse_sitemap`, which inflates piece by piece and stops at the 20 MB limit.
2. Fetch time per page from a local site, 200 pages: the sync's `Fetcher` (every URL and
   redirect hop checked, every connection's address checked, gzip inflated under a cap, robots.txt
   and pacing as before) against a plain `httpx.Client` fetching the same pages; and a site whose
   every page redirects once, the same two ways.

Usage: .venv/bin/python benchmarks/retrieval/hostile_sync.py [--pages 200] [--inflated-mb 512]
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

import httpx
from pytest_httpserver import HTTPServer

from knowledge.sync.allowed import Allowed
from knowledge.sync.fetch import Fetcher
from tests.support.docs_site import DocsSite, article

LIMIT = 20_000_000  # SUPPORTBOT_MAX_FILE_MB's default
READ_WHOLE = """
import gzip, resource, sys
from defusedxml import ElementTree
body = open(sys.argv[1], "rb").read()
try:
    ElementTree.fromstring(gzip.decompress(body))
except Exception as exc:
    print(type(exc).__name__)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
READ_CAPPED = """
import resource, sys
from knowledge.sync.sitemap import SitemapError, parse_sitemap
body = open(sys.argv[1], "rb").read()
try:
    parse_sitemap(body, max_bytes=int(sys.argv[2]))
except SitemapError as exc:
    print(exc)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def bomb(path: Path, megabytes: int) -> int:
    """A sitemap that is mostly whitespace: valid XML, compressed about 1,000 to 1."""
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as out:
        out.write(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/0.9">')
        block = b" " * 1_000_000
        for _ in range(megabytes):
            out.write(block)
        out.write(b"</urlset>")
    path.write_bytes(raw.getvalue())
    return len(raw.getvalue())


def peak_mb(script: str, *args: str) -> tuple[float, str]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    *said, peak = done.stdout.strip().splitlines()
    return float(peak), " ".join(said)


def memory(megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sitemap.xml.gz"
        size = bomb(path, megabytes)
        whole, _ = peak_mb(READ_WHOLE, str(path))
        capped, why = peak_mb(READ_CAPPED, str(path), str(LIMIT))
    print(f"\n1. A {size / 1e6:.2f} MB gzip sitemap inflating to {megabytes} MB")
    print(f"   inflated whole, then parsed: peak {whole:,.0f} MB")
    print(f"   parse_sitemap, 20 MB limit:  peak {capped:,.0f} MB ({why})")
    print(f"   ratio: {whole / capped:.1f}x less memory")


def fetch_all(get, urls: list[str]) -> float:  # get: url -> bytes
    started = time.perf_counter()
    for url in urls:
        if not get(url):
            raise SystemExit(f"{url} gave no body")
    return (time.perf_counter() - started) / len(urls) * 1000


def speed(pages: int) -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    site = DocsSite(server)
    for n in range(pages):
        site.put(f"/hc/{n}", article(f"Article {n}", ("Steps", f"Open Settings, step {n}.")), "")
        site.redirects[f"/old/{n}"] = site.url(f"/hc/{n}")
    direct = [site.url(f"/hc/{n}") for n in range(pages)]
    moved = [site.url(f"/old/{n}") for n in range(pages)]
    allowed = Allowed.site(site.sitemap_url, private_network=True)
    rows = []
    for label, urls in (("direct", direct), ("one redirect each", moved)):
        with httpx.Client(follow_redirects=True) as plain:
            plain_ms = fetch_all(lambda u, c=plain: c.get(u).content, urls)
        with Fetcher(allowed=allowed, requests_per_second=1e9, timeout_s=10,
                     max_bytes=LIMIT) as fetcher:  # fmt: skip
            fetcher.get(direct[0])  # robots.txt read once, as in a sync
            checked_ms = fetch_all(lambda u, f=fetcher: f.get(u).body, urls)
        rows.append((label, plain_ms, checked_ms))
    site.close()
    server.clear()
    server.stop()
    print(f"\n2. Fetching {pages} pages from a site on 127.0.0.1, ms per page")
    print(f"   {'pages':<18} {'plain httpx':>12} {'Fetcher':>9} {'ratio':>7}")
    for label, plain_ms, checked_ms in rows:
        print(f"   {label:<18} {plain_ms:>12.2f} {checked_ms:>9.2f} {checked_ms / plain_ms:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--inflated-mb", type=int, default=512)
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    memory(options.inflated_mb)
    speed(options.pages)


if __name__ == "__main__":
    main()
