"""`supportbot tune`: a LoRA adapter on the base model, trained with TRL (SFT, or DPO on
preference pairs) + PEFT, checked on the held-out split before and after, written with a card.

The loss before training is the base model's (a fresh LoRA adds nothing until trained); the
current adapter's held-out loss is measured too, so a worse adapter is never published unasked.
Loss is not enough: the answers to the held-out prompts are generated before and after and
checked for what they say (`knowledge.tuning.gate`); an adapter that lost content is refused.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from knowledge.answers.generate.hub import base_folder, fetch, pick_device, resolved_revision
from knowledge.settings import Settings
from knowledge.tuning.data import TuningData, TuningDataError, as_prompt_completion
from knowledge.tuning.gate import check_answers, refusals

Method = Literal["sft", "dpo"]


@dataclass
class TuneOptions:
    output_dir: Path
    method: Method = "sft"
    epochs: float = 3.0
    learning_rate: float = 2e-4
    lora_r: int = 16
    lora_alpha: int = 32
    batch_size: int = 4
    max_length: int = 2048
    voice_samples: int = 8
    voice_tokens: int = 96
    seed: int = 0


@dataclass
class TuneResult:
    output_dir: str
    method: Method
    base_repo: str
    base_revision: str
    data_source: str
    data_revision: str
    train_examples: int
    test_examples: int
    steps: int
    seconds: float
    loss_before: float
    loss_after: float
    voice_before: float
    voice_after: float
    current_adapter: str = ""
    current_loss: float | None = None
    notes: list[str] = field(default_factory=list)
    checks_before: dict[str, float] = field(default_factory=dict)
    checks_after: dict[str, float] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    #: The held-out answers themselves, before and after (in `supportbot_tune.json`): what the
    #: figures stand for, for whoever decides to publish.
    answers_before: list[str] = field(default_factory=list)
    answers_after: list[str] = field(default_factory=list)

    @property
    def improved(self) -> bool:
        """Better on held-out data than what is served now (the base, with no adapter yet), and
        its answers say no less (`refused` is empty)."""
        reference = self.current_loss if self.current_loss is not None else self.loss_before
        return self.loss_after <= reference and not self.refused


def tune(settings: Settings, data: TuningData, options: TuneOptions) -> TuneResult:
    import torch
    from peft import LoraConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(options.seed)
    base_dir = base_folder(settings)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = pick_device(settings.device)
    dtype = torch.float32 if device == "cpu" else "auto"

    def base_model() -> Any:
        return AutoModelForCausalLM.from_pretrained(base_dir, dtype=dtype)

    train, test = _prepare(data, options.method)
    if options.method == "dpo" and not len(train):
        raise TuningDataError("No preference pairs: DPO needs 👎 answers with a better one.")
    lora = LoraConfig(
        r=options.lora_r, lora_alpha=options.lora_alpha, lora_dropout=0.05,
        target_modules="all-linear", task_type="CAUSAL_LM",
    )  # fmt: skip
    started = time.perf_counter()
    trainer = _trainer(options, base_model(), tokenizer, train, test, device, peft_config=lora)
    loss_before = _held_out_loss(trainer, options)
    held_out = test.select(range(min(options.voice_samples, len(test))))
    prompts = [row["prompt"] for row in held_out]
    references = [reference_answer(row) for row in held_out]
    answers_before = _generate(trainer.model, tokenizer, prompts, options.voice_tokens)
    trainer.train()
    loss_after = _held_out_loss(trainer, options)
    answers_after = _generate(trainer.model, tokenizer, prompts, options.voice_tokens)
    checks_before = check_answers(answers_before, references, prompts)
    checks_after = check_answers(answers_after, references, prompts)
    voice_before, voice_after = checks_before.voice, checks_after.voice
    options.output_dir.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(options.output_dir))
    result = TuneResult(
        output_dir=str(options.output_dir), method=options.method,
        base_repo=settings.base_model,
        base_revision=resolved_revision(base_dir, settings.base_revision),
        data_source=data.source, data_revision=data.revision, train_examples=len(train),
        test_examples=len(test), steps=int(trainer.state.global_step),
        seconds=time.perf_counter() - started, loss_before=loss_before, loss_after=loss_after,
        voice_before=voice_before, voice_after=voice_after,
        checks_before=checks_before.as_dict(), checks_after=checks_after.as_dict(),
        refused=refusals(checks_before, checks_after),
        answers_before=answers_before, answers_after=answers_after,
    )  # fmt: skip
    if settings.adapter_model:
        current = fetch(settings.adapter_model, settings.adapter_revision, settings)
        served = PeftModel.from_pretrained(base_model(), current)
        checker = _trainer(options, served, tokenizer, train, test, device, peft_config=None)
        result.current_loss = _held_out_loss(checker, options)
        result.current_adapter = (
            f"{settings.adapter_model}@{resolved_revision(current, settings.adapter_revision)}"
        )
    write_card(options.output_dir, result)
    return result


def reference_answer(row: dict[str, Any]) -> str:
    """The answer a held-out example teaches: the SFT completion, or DPO's chosen one (pure)."""
    wanted = row.get("completion") or row.get("chosen") or ""
    if isinstance(wanted, list):
        return str(wanted[-1]["content"]) if wanted else ""
    return str(wanted)


def _held_out_loss(trainer: Any, options: TuneOptions) -> float:
    metrics = trainer.evaluate()
    if "eval_loss" not in metrics:  # TRL drops examples whose answer was cut off entirely
        raise TuningDataError(
            f"No held-out example fits in {options.max_length} tokens with its answer: "
            "raise --max-length, or export with fewer or shorter sources."
        )
    return float(metrics["eval_loss"])


def _prepare(data: TuningData, method: Method) -> tuple[Any, Any]:
    if method == "dpo":
        return data.train, data.test
    columns = data.train.column_names
    return (
        data.train.map(as_prompt_completion, remove_columns=columns),
        data.test.map(as_prompt_completion, remove_columns=data.test.column_names),
    )


def _trainer(options: TuneOptions, model: Any, tokenizer: Any, train: Any, test: Any,
             device: str, *, peft_config: Any) -> Any:  # fmt: skip
    common: dict[str, Any] = {
        "output_dir": str(options.output_dir / "checkpoints"),
        "num_train_epochs": options.epochs,
        "per_device_train_batch_size": options.batch_size,
        "per_device_eval_batch_size": options.batch_size,
        "learning_rate": options.learning_rate,
        "max_length": options.max_length,
        "logging_steps": 5,
        "save_strategy": "no",
        "report_to": "none",
        "seed": options.seed,
        "use_cpu": device == "cpu",
        "dataloader_pin_memory": device != "cpu",
        "label_names": ["labels"],  # a PEFT model hides them from the Trainer's detection
    }
    if options.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        return DPOTrainer(
            model=model, args=DPOConfig(**common), train_dataset=train, eval_dataset=test,
            processing_class=tokenizer, peft_config=peft_config,
        )  # fmt: skip
    from trl import SFTConfig, SFTTrainer

    return SFTTrainer(
        model=model, args=SFTConfig(**common), train_dataset=train, eval_dataset=test,
        processing_class=tokenizer, peft_config=peft_config,
    )  # fmt: skip


def _generate(model: Any, tokenizer: Any, prompts: list[Any], max_new_tokens: int) -> list[str]:
    """Greedy answers to held-out prompts, for the voice check."""
    import torch

    answers = []
    model.eval()
    for prompt in prompts:
        inputs = tokenizer.apply_chat_template(
            prompt, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        with torch.no_grad():
            output = model.generate(
                **inputs, max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )  # fmt: skip
        answers.append(
            tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        )
    return answers


def write_card(folder: Path, result: TuneResult) -> None:
    """The adapter's README: base, data revision, held-out metrics."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(
        base_model=result.base_repo, library_name="peft",
        tags=["supportbot", "lora", "trl", result.method, "brand-voice"],
    )  # fmt: skip
    current = (
        f"| current adapter ({result.current_adapter}) | {result.current_loss:.4f} | |\n"
        if result.current_loss is not None else ""
    )  # fmt: skip
    content = f"""---
{data.to_yaml()}
---

# supportbot brand-voice adapter

A LoRA adapter for `{result.base_repo}` at revision `{result.base_revision}`, trained with TRL
({result.method.upper()}) on support answers people rated and corrected.

- Data: `{result.data_source}` at revision `{result.data_revision}`
  ({result.train_examples} training examples, {result.test_examples} held out)
- Training: {result.steps} steps in {result.seconds:.0f} s

| held-out | loss | brand-voice score |
| --- | --- | --- |
| base model (before) | {result.loss_before:.4f} | {result.voice_before:.2f} |
{current}| this adapter (after) | {result.loss_after:.4f} | {result.voice_after:.2f} |

Held-out answers, before -> after: {_checks(result)}
{"".join(f"{chr(10)}Refused: {reason}." for reason in result.refused)}

Serve it with `SUPPORTBOT_ADAPTER_MODEL` and `SUPPORTBOT_ADAPTER_REVISION`, then restart the worker.
"""
    ModelCard(content).save(folder / "README.md")
    (folder / "supportbot_tune.json").write_text(_json(result))


def _checks(result: TuneResult) -> str:
    before, after = result.checks_before, result.checks_after
    if not before or not after:
        return "not checked"
    return ", ".join(f"{name} {before[name]:.2f} -> {after[name]:.2f}" for name in before)


def _json(result: TuneResult) -> str:
    import json

    return json.dumps(asdict(result), indent=2)
