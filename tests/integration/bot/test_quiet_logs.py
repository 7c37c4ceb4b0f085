"""What a person sees on stderr from `supportbot search` and `supportbot ask`: the program's own
lines only, never a library's progress bar or warning (pymilvus's mvccTs fallback, the bars of a
GGUF file's conversion)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DOCS, SMALL_MODEL, SUPPORTBOT

#: A line the program logs itself (`knowledge.logs`, compact on the command line).
OWN_LINE = re.compile(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) (knowledge|workers|bot)(\.\w+)*: ")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A person's environment: none of the switches the test process itself set (importing
    `knowledge` turns tqdm's bars off here), an index of the sample docs, nothing cached."""
    root = tmp_path_factory.mktemp("quiet")
    inherited = ("SUPPORTBOT_", "TQDM_", "HF_HUB_DISABLE", "TRANSFORMERS_VERBOSITY")
    person = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    person |= {
        "SUPPORTBOT_DATA_DIR": str(root / "data"),
        "SUPPORTBOT_MODEL_CACHE_DIR": str(root / "models"),
        "SUPPORTBOT_HF_CACHE_DIR": str(root / "hub"),
        "SUPPORTBOT_HF_OFFLINE": "true",
    }
    ingested = _run(["ingest", str(SAMPLE_DOCS)], person)
    assert ingested.returncode == 0, ingested.stderr
    return person


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SUPPORTBOT, *argv], env=env, capture_output=True, text=True, timeout=540, check=False
    )


def _foreign(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not OWN_LINE.match(line)]


def test_a_search_says_nothing_on_stderr(env):
    found = _run(["search", "how do I reset my password", "-k", "2"], env)
    assert found.returncode == 0
    assert "Reset your password" in found.stdout
    assert _foreign(found.stderr) == []


def test_an_answer_by_a_model_converted_on_first_use_shows_no_library_bars(env):
    """The first use of a GGUF file converts it (transformers draws a bar per tensor there)."""
    asked = _run(
        ["ask", "how do I reset my password"],
        {**env, "SUPPORTBOT_GENERATOR": "hub", "SUPPORTBOT_BASE_MODEL": str(SMALL_MODEL)},
    )
    assert asked.returncode == 0, asked.stderr
    assert any(Path(env["SUPPORTBOT_MODEL_CACHE_DIR"]).iterdir())  # it was converted, here
    assert asked.stdout.strip()
    assert _foreign(asked.stderr) == []


def test_the_programs_own_warning_is_all_there_is_when_the_model_is_missing(env):
    asked = _run(["ask", "how do I reset my password"], {**env, "SUPPORTBOT_GENERATOR": "auto"})
    assert asked.returncode == 0
    assert "Reset your password" in asked.stdout
    own = [line for line in asked.stderr.splitlines() if OWN_LINE.match(line)]
    assert len(own) == 1 and "it is not in the local Hub cache" in own[0], asked.stderr
    assert _foreign(asked.stderr) == []
