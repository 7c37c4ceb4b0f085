"""How long the `supportbot` command takes to start, as a person at a terminal feels it
(issue: a new user's first hour).

Each command runs as its own process, `--runs` times, after one untimed warm-up run (so the
disk cache is warm); the figures are the median and the slowest run, in seconds. `search` and
`ask` run against the sample help center, ingested once into a temporary data folder; `ask`
uses the extractive backend (no model download). Goals: `--help` and argument errors under 1 s;
`search` under 5 s on this 2-core machine.

Usage: .venv/bin/python benchmarks/chat/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUPPORTBOT = str(Path(sys.executable).parent / "supportbot")
COMMANDS = {
    "--help": ["--help"],
    "search --help": ["search", "--help"],
    "argument error (--mode bogus)": ["search", "x", "--mode", "bogus"],
    "doctor": ["doctor"],
    "search": ["search", "how much is the team plan per seat?", "-k", "3"],
    "ask (extractive)": ["ask", "how much is the team plan per seat?"],
}
GOALS = {"--help": 1.0, "search --help": 1.0, "argument error (--mode bogus)": 1.0, "search": 5.0}


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [SUPPORTBOT, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
        env["SUPPORTBOT_DATA_DIR"] = str(Path(tmp) / "data")
        env["SUPPORTBOT_GENERATOR"] = "extractive"
        subprocess.run(
            [SUPPORTBOT, "ingest", str(REPO / "samples" / "orbit-help")], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"supportbot start-up, {runs} runs each after a warm-up (seconds)")
        print(f"{'command':<32} {'median':>7} {'slowest':>8} {'goal':>6}")
        for name, argv in COMMANDS.items():
            timed(argv, env)
            times = [timed(argv, env) for _ in range(runs)]
            median, goal = statistics.median(times), GOALS.get(name)
            verdict = "" if goal is None else ("  ok" if median < goal else "  MISSED")
            shown = f"{goal:.0f} s" if goal else "-"
            print(f"{name:<32} {median:>7.2f} {max(times):>8.2f} {shown:>6}{verdict}")


if __name__ == "__main__":
    main()
