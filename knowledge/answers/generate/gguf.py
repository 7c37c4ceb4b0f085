"""A model kept as one GGUF file (as Ollama and LM Studio keep them), made an ordinary folder once.

transformers reads GGUF (with the `gguf` package) by dequantising every tensor to float32, which
takes seconds to tens of seconds, and a model read that way refuses `save_pretrained`. So the
first process to need it converts it: the model built from the file's config, its weights
loaded, saved with the tokenizer (chat template included) under the model cache, in a folder
named by the file's digest. Every later process loads that folder in about a second, and LoRA
tuning works on it as on any model. `SUPPORTBOT_BASE_MODEL` names a local `.gguf` file, or a
file in a Hub repo as `owner/repo/file.gguf` (fetched with huggingface_hub).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

from knowledge.settings import Settings

logger = logging.getLogger(__name__)
_CHUNK = 1 << 20


def is_gguf(name: str) -> bool:
    """Whether a base model setting names a GGUF file rather than a repo or folder (pure)."""
    return name.lower().endswith(".gguf")


def hub_parts(name: str) -> tuple[str, str] | None:
    """`owner/repo/path/file.gguf` -> (repo, file in it); None for a local path (pure)."""
    if Path(name).expanduser().exists() or name.startswith((".", "/", "~")):
        return None
    parts = name.split("/")
    if len(parts) < 3:
        return None
    return "/".join(parts[:2]), "/".join(parts[2:])


def gguf_file(name: str, revision: str, settings: Settings) -> Path:
    """The GGUF file itself: a local path, or downloaded from its Hub repo (cache honoured)."""
    found = hub_parts(name)
    if found is None:
        path = Path(name).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no GGUF file at {path}")
        return path
    from huggingface_hub import hf_hub_download

    repo, filename = found
    return Path(
        hf_hub_download(
            repo_id=repo,
            filename=filename,
            revision=revision or None,
            token=settings.hf_token.get_secret_value() or None,
            local_files_only=settings.hf_offline,
            cache_dir=settings.hf_cache_dir,
        )
    )


def digest(path: Path) -> str:
    """The file's SHA-256: the converted folder belongs to these bytes, whatever their name."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_CHUNK):
            sha.update(block)
    return sha.hexdigest()


def converted_folder(path: Path, cache: Path) -> Path:
    """Where the file's converted model is (or will be) kept."""
    return cache / f"{path.stem}-{digest(path)[:16]}"


def converted(path: Path, cache: Path) -> Path:
    """The GGUF file as a model folder, converted the first time (about 2 s plus the reading
    for a 135M model on two cores). Written to a temporary folder and renamed, so a process that
    dies half-way, or two converting at once, never leave a half-written model."""
    folder = converted_folder(path, cache)
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("Converting %s once into %s", path.name, folder)
    cache.mkdir(parents=True, exist_ok=True)
    read = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    config = read.config
    if hasattr(config, "quantization_config"):  # the weights are dequantised: plain float32,
        del config.quantization_config  # which the Trainer would otherwise refuse to tune
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(read.state_dict())
    model.generation_config = read.generation_config
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(folder)
        except OSError:  # another process finished first: its folder is the same model
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
