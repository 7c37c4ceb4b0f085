"""The report over a big records database (issue: see what the bot doesn't know).

A generator fills a fresh SQLite records file with N questions over 60 days in five channels:
answered, declined, voted up and down, escalated, resolved, with the pages they cited. Their
words are made from parts (topics, phrasings, details, a version half the time): about a third of
them are worded as no other is, while the questions about one topic mean the same.

Prints, for each N: the time to generate, the time to build the report (records read, gaps
embedded and grouped) and to render the page, the rows and gaps found, and, with
--screenshot, a PNG of the page in headless Chromium. Then the retention and erasure checks on
the smallest N: rows whose words are kept before and after `expire` and `forget`, and whether a
tuning export still holds the forgotten person's words.

Usage: .venv/bin/python benchmarks/chat/report.py [--sizes 10000 100000]
       [--screenshot docs/report.png]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

from sqlalchemy import func, select

from bot.report import page
from knowledge.index.embedding import load_embedding
from knowledge.records import privacy, report
from knowledge.records.export import Consent, export
from knowledge.records.rows import answer_row, question_row
from knowledge.records.store import Records
from knowledge.records.tables import AskedQuestion, StoredAnswer, Vote
from knowledge.settings import Settings
from tests.support.answers import answered, asked

PAGES = [(f"Page {n}", f"https://help.example/page-{n}") for n in range(60)]
TOPICS = {  # what people ask; the first five the docs don't cover
    "pay with crypto": ["pay with bitcoin", "use crypto to pay", "accept cryptocurrency"],
    "an on-premise install": ["self-host it", "run it on our own servers", "install on-prem"],
    "a lifetime licence": ["buy a lifetime plan", "pay once forever", "get a perpetual licence"],
    "a Linux ARM build": ["run it on a raspberry pi", "get an arm64 linux build", "use it on arm"],
    "a student discount": ["get an education discount", "a discount as a student", "edu pricing"],
    "refunds": ["get my money back", "refund my yearly plan", "cancel and get a refund"],
    "passwords": ["reset my password", "change my password", "recover a lost password"],
    "exports": ["export my notes", "download all my data", "export to pdf"],
    "seats": ["add a seat", "invite a teammate", "remove a user from my team"],
    "sync": ["sync between devices", "fix a sync conflict", "sync stopped working"],
}
STARTS = ["how do i", "can i", "is it possible to", "how can we", "what's the way to", "help me"]
DETAILS = ["", " on my mac", " for my team", " today", " from the app", " on windows",
           " after the update", " with a free account", " on android",
           " in the web app"]  # fmt: skip
CHANNELS = ["C0SUPPORT", "C0BILLING", "C0ASKAI", "C0TEAM", "D0DIRECT"]


def generate(store: Records, n: int, now: datetime, seed: int = 7) -> float:
    """N questions and answers, written in bulk; returns the seconds it took."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    started = time.perf_counter()
    with store.sessions.begin() as session:
        for i in range(n):
            topic = rng.choice(topics)
            uncovered = topics.index(topic) < 5
            version = (
                f" in version {rng.randrange(1, 40)}.{rng.randrange(10)}"
                if rng.random() < 0.5
                else ""
            )
            text = (
                f"{rng.choice(STARTS)} {rng.choice(TOPICS[topic])}{rng.choice(DETAILS)}{version}?"
            )
            question = asked(f"Gen{i}", text, channel=rng.choice(CHANNELS),
                             user=f"U{rng.randrange(2000):04d}", thread=f"T{i}")  # fmt: skip
            declined = uncovered and rng.random() < 0.8
            title, url = PAGES[(topics.index(topic) * 6 + rng.randrange(6)) % len(PAGES)]
            said = "I can't find that in our docs." if declined else f"See {title} [1]."
            answer = answered(said, question=text, declined=declined,
                              confidence="none" if declined else "high")  # fmt: skip
            answer.retrieved[0] = answer.retrieved[0].model_copy(update={
                "title": title, "url": url, "similarity": 0.3 if uncovered else 0.7})  # fmt: skip
            answer.citations[0] = answer.citations[0].model_copy(
                update={"title": title, "url": url}
            )
            row = question_row(question, "supportbot.deliver.slack", {"channel": "C"})
            at = now - timedelta(seconds=rng.uniform(0, 60 * 86400))
            row.asked_at, row.state = at, "delivered"
            if rng.random() < 0.05:
                row.escalated_at, row.escalated_by = at + timedelta(minutes=5), row.user
            if rng.random() < 0.3:
                row.resolved_at, row.resolved_by = at + timedelta(minutes=9), row.user
            stored = answer_row(question, answer)
            stored.answered_at, stored.delivered_at = at, at + timedelta(seconds=rng.uniform(1, 9))
            stored.message_ref, stored.place = f"C/{i}.5", f"C/{i}"
            row.answer = stored
            session.add(row)
            if rng.random() < 0.25:
                value = -1 if (uncovered or rng.random() < 0.15) else 1
                stored.votes.append(Vote(user=f"U{rng.randrange(2000):04d}", value=value, at=at))
            if i % 5000 == 4999:
                session.flush()
    return time.perf_counter() - started


def words_kept(store: Records) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).where(AskedQuestion.text != "")) or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    embed = load_embedding(Settings(_env_file=None)).get_text_embedding_batch
    now = datetime.now(UTC)
    print("questions | generate s | build s | render s | in 28 days | gaps | biggest gap")
    with tempfile.TemporaryDirectory() as root:
        for n in args.sizes:
            store = Records(f"sqlite:///{Path(root) / f'records{n}.sqlite'}")
            made = generate(store, n, now)
            started = time.perf_counter()
            built = report.build(store, embed, now=now)
            build_s = time.perf_counter() - started
            started = time.perf_counter()
            html = page.render(built, inline_js=True)
            render_s = time.perf_counter() - started
            biggest = built.gaps[0].size if built.gaps else 0
            print(f"{n:>9,} | {made:10.1f} | {build_s:7.1f} | {render_s:8.2f} | "
                  f"{built.asked:10,} | {len(built.gaps):4} | {biggest}")  # fmt: skip
            if args.screenshot and n == min(args.sizes):
                shoot(html, args.screenshot, Path(root))
            if n == min(args.sizes):
                erasure(store, Path(root), now)
            store.close()


def shoot(html: str, out: Path, root: Path) -> None:
    from playwright.sync_api import sync_playwright

    file = root / "report.html"
    file.write_text(html, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        tab = browser.new_page(viewport={"width": 1280, "height": 1700})
        tab.goto(file.as_uri())
        tab.wait_for_selector("#outcomes .main-svg")
        out.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(out))  # the top of the page: totals, charts, the gaps
        browser.close()
    print(f"screenshot: {out}")


def erasure(store: Records, root: Path, now: datetime) -> None:
    """Retention and forgetting, counted: words kept before and after, and an export."""
    consent = Consent(workspaces=frozenset({"slack:T1"}))
    with store.session() as session:
        up = StoredAnswer.votes.any(Vote.value > 0)
        someone = session.scalar(select(AskedQuestion.user).join(StoredAnswer).where(up).limit(1))
    out = root / "sft.jsonl"
    with store.session() as session:  # their questions no one else worded the same way
        theirs = set(session.scalars(select(AskedQuestion.text).where(
            AskedQuestion.user == someone)))  # fmt: skip
        others = set(session.scalars(select(AskedQuestion.text).where(
            AskedQuestion.user != someone, AskedQuestion.text.in_(theirs))))  # fmt: skip
        words = sorted(theirs - others - {""})

    def holding() -> tuple[int, int]:
        """The export's lines, and those holding one of that person's questions."""
        export(store, out, format="sft", voice="", sources=1, source_chars=100, held_out=0,
               consent=consent)  # fmt: skip
        lines = out.read_text().splitlines()
        return len(lines), sum(1 for line in lines if any(w in line for w in words))

    print(f"\nerasure of {someone} ({len(words)} questions worded as no one else did):")
    print(f"  before: words kept {words_kept(store):,}; export {holding()} (lines, theirs)")
    removed = privacy.forget(store, someone)
    with store.session() as session:
        left = session.scalar(select(func.count()).where(AskedQuestion.user == someone))
    print(f"  forget: {removed.summary()}")
    print(f"  after: words kept {words_kept(store):,}; rows naming them {left}; "
          f"export {holding()} (lines, theirs)")  # fmt: skip
    started = time.perf_counter()
    expired = privacy.expire(store, now - timedelta(days=30))
    print(f"retention 30 days: {expired.summary()} in {time.perf_counter() - started:.1f} s; "
          f"words kept {words_kept(store):,}")  # fmt: skip


if __name__ == "__main__":
    main()
