"""Docs sync figures, printed in one run (issue: docs stay fresh).

A 1,000-page help center is served on 127.0.0.1 (tests/support/docs_site.py: a sitemap with
lastmod, ETags answered with 304) and synced into a fresh index, in this process:

1. the first sync (every page fetched and embedded);
2. a re-sync with nothing changed, twice: with the sitemap's lastmod (pages skipped without a
   request) and without it (each page asked for with its ETag: a 304);
3. a re-sync after one page changed: the time from the change to answering from the new text is
   at most the schedule's interval plus this;
4. answer latency (extractive backend) while a sync embeds as many new pages again in another
   thread, as the worker's threads do, against idle: p50/p95 and the ratio.

Usage: .venv/bin/python benchmarks/retrieval/sync.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

from pytest_httpserver import HTTPServer

from knowledge.answers.answer import Answerer
from knowledge.answers.evaluation import percentile
from knowledge.answers.generate import load_generator
from knowledge.search.base import KnowledgeBase
from knowledge.settings import Settings
from knowledge.sync.run import sync
from knowledge.sync.sources import Source
from tests.support.docs_site import DocsSite, article

TOPICS = ("billing", "exports", "sign-in", "sharing", "mobile", "imports", "webhooks", "seats")
QUESTIONS = [
    "how do I change the billing contact for article 17?",
    "why did my export for article 250 fail?",
    "where do I turn on sign-in alerts, as in article 512?",
    "how many seats does article 733 allow?",
]


def page(number: int, version: int = 1) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return article(
        f"Article {number}: {topic}",
        ("Overview", f"Article {number} explains {topic} for workspace admins, version {version}."),
        ("Steps", f"Open Settings, choose {topic.title()}, then follow step {number % 7 + 1}."),
        ("Limits", f"Each workspace may use {number % 50 + 5} {topic} actions per hour."),
    )


def timed_sync(kb: KnowledgeBase, source: Source, label: str) -> float:
    report = sync(kb, source)
    ingest = report.ingest
    print(
        f"{label:44} {report.seconds:7.1f} s  fetched {report.fetched:5}  skipped "
        f"{report.skipped:5}  embedded {ingest.added + ingest.updated:5}  unchanged "
        f"{ingest.unchanged:5}  problems {len(report.problems)}"
    )
    return report.seconds


def latencies(answerer: Answerer, rounds: int) -> list[float]:
    found = []
    for i in range(rounds):
        started = time.perf_counter()
        answerer.answer(QUESTIONS[i % len(QUESTIONS)])
        found.append((time.perf_counter() - started) * 1000)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    server = HTTPServer(threaded=True)
    server.start()
    site = DocsSite(server)
    for n in range(args.pages):
        site.put(f"/hc/articles/{n}", page(n), "2026-11-01")
    source = Source(
        name="help",
        sitemap=site.sitemap_url,
        requests_per_second=10_000,
        allow_private_network=True,
    )  # the stand-in site is on 127.0.0.1
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), generator="extractive")
        kb = KnowledgeBase(settings)
        print(f"== a {args.pages}-page site on 127.0.0.1 ==")
        timed_sync(kb, source, "first sync")
        timed_sync(kb, source, "re-sync, nothing changed (lastmod)")
        site.lastmod.clear()
        requests_before = sum(site.requests.values())
        timed_sync(kb, source, "re-sync, nothing changed (no lastmod: ETags)")
        print(f"{'':44} requests {sum(site.requests.values()) - requests_before}, "
              f"bodies sent {sum(site.bodies_sent.values()) - args.pages}")  # fmt: skip
        for n in range(args.pages):
            site.lastmod[f"/hc/articles/{n}"] = "2026-11-01"
        site.put("/hc/articles/17", page(17, version=2), "2026-11-28")
        one = timed_sync(kb, source, "re-sync, one page changed")
        print(
            f"{'':44} change -> answerable from the new text: at most the interval + "
            f"{one:.1f} s (1-minute schedule: <= {60 + one:.0f} s)"
        )

        answerer = Answerer(kb, load_generator(settings), settings)
        latencies(answerer, 3)  # warm
        idle = latencies(answerer, 40)
        for n in range(args.pages, 2 * args.pages):
            site.put(f"/hc/articles/{n}", page(n), "2026-11-28")
        syncing = threading.Thread(target=sync, args=(kb, source))
        syncing.start()
        busy: list[float] = []
        while syncing.is_alive():
            busy += latencies(answerer, 1)
        syncing.join()
        print("\n== answer latency (extractive), ms ==")
        print(f"idle                        p50 {percentile(idle, 0.5):7.1f}  p95 "
              f"{percentile(idle, 0.95):7.1f}  ({len(idle)} answers)")  # fmt: skip
        print(f"during a {args.pages}-page sync    p50 {percentile(busy, 0.5):7.1f}  p95 "
              f"{percentile(busy, 0.95):7.1f}  ({len(busy)} answers)")  # fmt: skip
        p50, p95 = (percentile(busy, q) / percentile(idle, q) for q in (0.5, 0.95))
        print(f"ratio                       p50 x{p50:.1f}  p95 x{p95:.1f}")
        kb.close()
    site.close()
    server.stop()


if __name__ == "__main__":
    main()
