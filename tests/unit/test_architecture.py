"""The layering rule and the cost of importing the chat-facing code, checked in CI."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_dependencies_point_one_way():
    """bot -> workers -> knowledge, never upwards; no platform below bot/, no Celery in
    knowledge/, Slack and Discord independent; knowledge/'s stages in the data's order, the
    records without generation, tuning read by the command line only (pyproject's contracts)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "argv", [["--help"], ["search", "--help"], ["search", "x", "--mode", "bogus"], ["ask"]]
)
def test_help_and_argument_errors_load_no_ml_libraries(argv):
    heavy = ("torch", "transformers", "llama_index.core", "pymilvus", "sentence_transformers")
    code = (
        "import sys; from bot.cli.commands import main; sys.argv = ['supportbot', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == "LOADED []"
