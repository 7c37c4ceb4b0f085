"""Shared fixtures: the sample help center and settings isolated in a temporary folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from knowledge.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO / "samples" / "orbit-help"
#: A real instruct model (SmolLM2-135M-Instruct, GGUF), which `make setup` fetches from its wheel.
SMALL_MODEL = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
#: The `supportbot` command this environment installed, run as a person runs it.
SUPPORTBOT = str(Path(sys.executable).parent / "supportbot")


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings that ignore any developer `.env`, rooted in a temporary folder."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def help_center(tmp_path: Path) -> Path:
    """A private copy of the sample docs that a test may edit."""
    target = tmp_path / "orbit-help"
    shutil.copytree(SAMPLE_DOCS, target)
    return target


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Settings for the real small model on the Hub backend, converted once per test run."""
    assert SMALL_MODEL.is_file(), f"{SMALL_MODEL} is missing: `make setup` fetches it"
    return {
        "generator": "hub",
        "base_model": str(SMALL_MODEL),
        "model_cache_dir": tmp_path_factory.mktemp("models"),
        "hf_offline": True,
        "device": "cpu",
    }


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory):
    """The sample help center, ingested once for every test that only reads it."""
    from knowledge.search.base import KnowledgeBase

    kb = KnowledgeBase(make_settings(tmp_path_factory.mktemp("sample_kb") / "data"))
    report = kb.ingest([SAMPLE_DOCS])
    assert report.problems == []
    assert report.added == report.documents == 33
    yield kb
    kb.close()
