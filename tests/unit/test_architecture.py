"""The layering rule and the cost of importing the chat-facing code, checked in CI."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_dependencies_point_one_way():
    """bot -> workers -> knowledge, never upwards; no platform below bot/, no Celery in
    knowledge/, Slack and Discord independent (the import-linter contracts in pyproject)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_command_line_loads_no_ml_libraries_until_it_needs_them():
    heavy = ("torch", "transformers", "llama_index.core", "pymilvus")
    code = f"import sys, bot.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
