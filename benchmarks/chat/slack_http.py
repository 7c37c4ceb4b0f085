"""The Slack HTTP endpoint under abuse (issue: nothing lost in silence, item 7): the real
`python -m bot.slack` process in HTTP Events mode, as the Procfile runs it.

Prints: how long an unsigned 200 MB POST is held and the adapter's peak memory after it; how
many threads the adapter runs while 3,000 connections sit idle, how fast a signed request is
acknowledged meanwhile, and when the server has closed the idle ones.

Usage: .venv/bin/python benchmarks/chat/slack_http.py [--idle 3000]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for tests.support

from benchmarks.chat.adapters import SECRET, free_port, start_adapter
from tests.support.slack_api import SlackStandIn, app_mention, post_event


def status_of(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return line.split(":", 1)[1].strip()
    return "?"


def big_unsigned_post(port: int, megabytes: int) -> tuple[str, float]:
    """Send headers for `megabytes` of body, then the body, until the server answers."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as raw:
        head = ("POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                f"Content-Length: {megabytes * 1_000_000}\r\n\r\n")  # fmt: skip
        raw.sendall(head.encode())
        raw.setblocking(False)
        chunk = b"x" * 1_000_000
        for _ in range(megabytes):
            try:
                answer = raw.recv(64)
                if answer:
                    return answer.split(b"\r\n")[0].decode(), time.perf_counter() - started
            except BlockingIOError:
                pass
            try:
                raw.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        raw.setblocking(True)
        answer = raw.recv(64)
    return answer.split(b"\r\n")[0].decode() or "(closed)", time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=3000)
    idle_count = parser.parse_args().idle
    slack = SlackStandIn().start()
    port = free_port()
    env = {
        "SUPPORTBOT_SLACK_BOT_TOKEN": "xoxb-bench",
        "SUPPORTBOT_SLACK_SIGNING_SECRET": SECRET,
        "SUPPORTBOT_SLACK_MODE": "http",
        "SUPPORTBOT_SLACK_API_URL": slack.url,
        "SUPPORTBOT_SLACK_PORT": str(port),
        "SUPPORTBOT_BROKER_URL": "redis://127.0.0.1:6379/14",
    }
    with tempfile.TemporaryDirectory() as tmp:
        env["SUPPORTBOT_DATA_DIR"] = str(Path(tmp) / "data")
        adapter = start_adapter(env, Path(tmp) / "slack.log", port)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            rss_before = status_of(adapter.pid, "VmRSS")
            line, seconds = big_unsigned_post(port, 200)
            print("== unsigned 200 MB POST ==")
            print(f"answer: {line} after {seconds:.2f} s; adapter memory {rss_before} before, "
                  f"peak {status_of(adapter.pid, 'VmHWM')}")  # fmt: skip

            print(f"\n== {idle_count} idle connections ==")
            idle = [socket.create_connection(("127.0.0.1", port), timeout=120)
                    for _ in range(idle_count)]  # fmt: skip
            threads = status_of(adapter.pid, "Threads")
            status, ack = post_event(url, app_mention("EvBench", "refund?"), secret=SECRET)
            print(f"adapter threads while they are open: {threads}; a signed event meanwhile: "
                  f"{status} in {ack * 1000:.1f} ms")  # fmt: skip
            started = time.perf_counter()
            for connection in idle:
                connection.recv(1)  # b"" once the server closes it
            print(f"all {idle_count} closed by the server after "
                  f"{time.perf_counter() - started:.1f} s idle")  # fmt: skip
            for connection in idle:
                connection.close()
        finally:
            adapter.terminate()
            adapter.wait(30)
            slack.stop()


if __name__ == "__main__":
    main()
