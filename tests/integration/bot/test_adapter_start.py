"""Adapters without their tokens: they say what is missing, and under honcho they stand by."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("adapter", "variable"),
    [("bot.slack", "SUPPORTBOT_SLACK_BOT_TOKEN"), ("bot.discord", "SUPPORTBOT_DISCORD_TOKEN")],
)
def test_an_adapter_without_tokens_names_them_and_stands_by_when_asked(adapter, variable, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env["SUPPORTBOT_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", adapter]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert f"not started: set {variable}" in done.stderr

    standing = subprocess.Popen(
        [*command, "--stand-by"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    assert standing.stderr is not None
    for line in standing.stderr:
        if "Standing by" in line:
            break
    assert standing.poll() is None  # still running, so honcho keeps the other processes
    standing.send_signal(signal.SIGTERM)
    assert standing.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "command",
    [["-m", "bot.slack"], ["-m", "celery", "-A", "workers.main", "worker", "--pool", "solo"]],
    ids=["adapter", "worker"],
)
def test_a_bad_setting_stops_a_process_with_one_line_naming_it(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env |= {"SUPPORTBOT_DATA_DIR": str(tmp_path), "SUPPORTBOT_TOP_K": "lots"}
    done = subprocess.run(
        [sys.executable, *command], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if "Cannot start" in line]
    assert "SUPPORTBOT_TOP_K" in line
