"""The embedding model as an ONNX graph: the same vectors as sentence-transformers, without
importing torch, transformers and sentence-transformers (7 of the 9 seconds a `supportbot
search` spent starting on two cores).

The first process that loads the model with sentence-transformers exports it (mean pooling and
normalisation included) into a cache folder keyed by the model's files, once; later processes
load the graph with onnxruntime and the tokenizer with `tokenizers`. Only models built as
Transformer -> mean Pooling -> Normalize are exported (all-MiniLM-L6-v2 is); any other keeps
the sentence-transformers path. fp32, so the vectors match the torch ones (within 1e-6).
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

logger = logging.getLogger(__name__)
GRAPH = "model.onnx"
TOKENIZER = "tokenizer.json"
SHAPE = "shape.json"  # what the graph takes: input names and the window


def local_folder(location: str) -> Path | None:
    """The model's files on this disk: a folder, or a Hub repo already in the local cache."""
    if Path(location).is_dir():
        return Path(location)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(location, local_files_only=True))
    except Exception:  # not downloaded yet: sentence-transformers will, then we export
        return None


def export_folder(location: str, cache: Path) -> Path | None:
    """The export's folder for this model, named by what its files are (path, sizes, times)."""
    folder = local_folder(location)
    if folder is None:
        return None
    fingerprint = hashlib.sha256(str(folder.resolve()).encode())
    for file in sorted(folder.rglob("*")):
        if file.is_file():
            stat = file.stat()
            fingerprint.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return cache / fingerprint.hexdigest()[:24]


def find(location: str, cache: Path) -> Path | None:
    """A finished export of this model, if there is one and onnxruntime can run it."""
    folder = export_folder(location, cache)
    if folder is None or not (folder / SHAPE).exists():
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    return folder


def export(model: Any, location: str, cache: Path) -> Path | None:
    """Write the ONNX graph of a loaded SentenceTransformer (`model`), if its layout allows;
    best effort: any failure is logged and the torch path simply stays."""
    if not exportable(model):
        return None
    folder = export_folder(location, cache)
    if folder is None:
        return None
    from filelock import FileLock

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(folder / "exporting.lock"):
            if not (folder / SHAPE).exists():  # else another process did it meanwhile
                _write(model, folder)
    except Exception as exc:
        logger.warning("Could not export the embedding model to ONNX (%s: %s); it keeps loading "
                       "with torch.", type(exc).__name__, exc)  # fmt: skip
        return None
    return folder


def exportable(model: Any) -> bool:
    """Transformer -> mean Pooling -> Normalize: what the graph reproduces exactly."""
    try:
        layout = [type(m).__name__ for m in model]
        pooling = model[1].get_config_dict().get("pooling_mode")
    except Exception:
        return False
    return layout == ["Transformer", "Pooling", "Normalize"] and pooling == "mean"


def _write(model: Any, folder: Path) -> None:
    import torch

    transformer = model[0].auto_model
    names = [n for n in model.tokenizer.model_input_names if n != "position_ids"]

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            given = dict(zip(names, inputs, strict=True))
            tokens = self.transformer(**given).last_hidden_state
            mask = given["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = model.tokenizer(["a", "a longer text"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
    partial = folder / f"{GRAPH}.partial"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape checks that hold for encoders
        torch.onnx.export(
            Pooled().eval(), tuple(sample[n] for n in names), str(partial), input_names=names,
            output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip
    partial.replace(folder / GRAPH)
    model.tokenizer.backend_tokenizer.save(str(folder / TOKENIZER))
    shape = {"inputs": names, "max_tokens": int(model.max_seq_length)}
    (folder / SHAPE).write_text(json.dumps(shape))  # last: its presence means "finished"


class OnnxEmbedding(BaseEmbedding):
    """A LlamaIndex embedding over an exported graph: onnxruntime and `tokenizers`, no torch."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _inputs: list[str] = PrivateAttr()

    def __init__(self, folder: Path, *, embed_batch_size: int = 64) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        super().__init__(model_name=str(folder), embed_batch_size=embed_batch_size)
        shape = json.loads((folder / SHAPE).read_text())
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        # A spinning thread after each call steals the core the search needs next (~4 ms).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(folder / GRAPH), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self._tokenizer.enable_truncation(shape["max_tokens"])
        self._tokenizer.enable_padding()
        self._inputs = shape["inputs"]

    @property
    def tokenizer_json(self) -> str:
        """The tokenizer, for counting tokens the way the model reads them."""
        return str(self._tokenizer.to_str())

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        encoded = self._tokenizer.encode_batch(list(texts))
        columns = {"input_ids": "ids", "attention_mask": "attention_mask",
                   "token_type_ids": "type_ids"}  # fmt: skip
        feed = {
            name: np.array([getattr(e, columns[name]) for e in encoded], dtype=np.int64)
            for name in self._inputs
        }
        return self._session.run(None, feed)[0].tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
