"""The embedding model's ONNX export: made by the first process that loads the model, the same
vectors as sentence-transformers, and a later process loads it without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from knowledge.index.embedding import load_embedding
from knowledge.index.onnx_embedding import OnnxEmbedding
from tests.conftest import make_settings

TEXTS = [
    "how much is the team plan per seat?",
    "x",
    "Reset your password from the sign-in page, then check your spam folder. " * 40,  # > 256
]


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data", embedding_cache_dir=tmp_path / "cache")


def test_the_export_embeds_exactly_as_the_torch_model(settings):
    torch_model = load_embedding(settings)  # nothing exported yet: loads torch, then exports
    assert not isinstance(torch_model, OnnxEmbedding)
    exported = load_embedding(settings)
    assert isinstance(exported, OnnxEmbedding)
    batched = np.array(exported.get_text_embedding_batch(TEXTS))
    one_by_one = np.array([exported.get_query_embedding(t) for t in TEXTS])
    reference = np.array(torch_model.get_text_embedding_batch(TEXTS))
    assert batched.shape == reference.shape == (3, 384)
    assert np.abs(batched - reference).max() < 1e-5
    assert np.abs(one_by_one - reference).max() < 1e-5  # padding changes nothing


def test_a_process_with_the_export_loads_no_torch(settings):
    load_embedding(settings)  # makes the export
    cache = str(settings.embedding_cache_dir)
    code = (
        "import sys; from pathlib import Path; "
        "from knowledge.index.embedding import load_embedding; "
        "from knowledge.settings import Settings; "
        f"s = Settings(_env_file=None, embedding_cache_dir=Path({cache!r})); "
        "e = load_embedding(s); e.get_query_embedding('hello'); "
        "print(type(e).__name__, sorted(m for m in ('torch', 'sentence_transformers', "
        "'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "OnnxEmbedding []"
