"""A tiny causal LM and LoRA adapter built on the spot, laid out as a Hub cache.

The real loading code (`snapshot_download` → transformers → peft) then runs offline against it:
the same path that loads a Hub repo in production, with a model small enough for CPU tests.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]


@dataclass(frozen=True)
class TinyHub:
    """Where the fake Hub cache is, and the repos and commits in it."""

    cache_dir: Path
    base_repo: str
    base_commit: str
    adapter_repo: str
    adapter_commit: str


def build_tokenizer(corpus: list[str]):  # -> PreTrainedTokenizerFast, imported lazily
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL, show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        chat_template=CHAT_TEMPLATE,
    )


def build_base(folder: Path, corpus: list[str]) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = build_tokenizer(corpus)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def train_adapter(base: Path, folder: Path, texts: list[str], steps: int = 20) -> None:
    """A few real LoRA training steps, so the adapter's weights are not the identity."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"),
    )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=64)
    for _ in range(steps):
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(folder)


def to_hub_cache(cache_dir: Path, repo: str, files: Path) -> str:
    """Lay `files` out as huggingface_hub's cache does for `repo` at revision main."""
    digest = hashlib.sha1()
    for file in sorted(files.iterdir()):
        digest.update(file.name.encode() + file.read_bytes())
    commit = digest.hexdigest()
    root = cache_dir / f"models--{repo.replace('/', '--')}"
    shutil.copytree(files, root / "snapshots" / commit)
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
    return commit


def build_tiny_hub(workdir: Path, corpus: list[str]) -> TinyHub:
    base, adapter, cache = workdir / "base", workdir / "adapter", workdir / "hub"
    build_base(base, corpus)
    train_adapter(base, adapter, corpus[:8])
    return TinyHub(
        cache_dir=cache,
        base_repo="acme/tiny-chat",
        base_commit=to_hub_cache(cache, "acme/tiny-chat", base),
        adapter_repo="acme/tiny-chat-voice",
        adapter_commit=to_hub_cache(cache, "acme/tiny-chat-voice", adapter),
    )
