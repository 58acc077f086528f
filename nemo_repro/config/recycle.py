"""The recycling pipeline (NeMo Curator stages). Defaults are the paper's values."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class RecycleConfig:
    method: str = "repro"
    """Which recycler runs: `repro` (trained rephraser), `rewire` (guided rewrite) or `prox` (programs)."""

    input: Optional[str] = None
    """jsonl or parquet file, or a glob of them. `null` uses the embedded sample corpus."""

    text_field: str = "text"
    """Field of each input row that holds the document text."""

    id_field: str = "id"
    """Field of each input row that holds the document id (generated from file and line when absent)."""

    rephraser: Optional[str] = None
    """Local HF folder of the rephraser for the `hf`/`vllm` backends."""

    segment_chars: int = 7000
    """Documents are split into segments of at most this many characters, rephrased independently."""

    organic_to_recycled: float = 1.0
    """Token ratio organic:recycled in the mix (1.0 = 1:1)."""
