"""Mix: choose the documents of each side of the organic:recycled mix, by tokens.

Recycled side: every live row (its `recycled_text`). Organic side: readable
rows (their original `text`) with `quality_before >= organic_threshold` when
that column exists, picked in a seeded hash order until their tokens reach
`organic_to_recycled x` the recycled tokens of the batch (`nemo_repro.mix.ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import ID, RECYCLED, REJECTED, STATUS, TEXT, active, ensure_status, with_data
from curator_stages.quality import QUALITY_BEFORE
from nemo_repro.mix.ratio import select_to_budget

TO_ORGANIC = "to_organic"
TO_RECYCLED = "to_recycled"
ORGANIC_TOKENS = "organic_tokens"
RECYCLED_TOKENS = "recycled_tokens"


@dataclass
class Mix(ProcessingStage[DocumentBatch, DocumentBatch]):
    """Add `to_organic`/`to_recycled` flags and the token counts (`organic_tokens`, `recycled_tokens`) behind them."""

    tokenizer: str = ""
    organic_to_recycled: float = 1.0
    organic_threshold: Optional[float] = None
    append_eod: bool = True
    seed: int = 0
    name: str = "mix"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(self.tokenizer)

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID, TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TO_ORGANIC, TO_RECYCLED, ORGANIC_TOKENS, RECYCLED_TOKENS]

    def count_tokens(self, texts: list[str]) -> np.ndarray:
        """Tokens each text takes in `.bin`, end-of-document id included."""
        if not texts:
            return np.zeros(0, dtype=np.int64)
        ids = self._tokenizer(texts, add_special_tokens=False)["input_ids"]
        return np.array([len(x) + int(self.append_eod) for x in ids], dtype=np.int64)

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        df[TO_RECYCLED] = active(df) & (RECYCLED in df)
        df[RECYCLED_TOKENS] = 0
        if df[TO_RECYCLED].any():
            df.loc[df[TO_RECYCLED], RECYCLED_TOKENS] = self.count_tokens(list(df.loc[df[TO_RECYCLED], RECYCLED]))
        candidates = df[STATUS] != REJECTED
        if self.organic_threshold is not None and QUALITY_BEFORE in df:
            candidates &= df[QUALITY_BEFORE] >= self.organic_threshold
        df[ORGANIC_TOKENS] = 0
        df[TO_ORGANIC] = False
        if candidates.any():
            tokens = self.count_tokens(list(df.loc[candidates, TEXT]))
            df.loc[candidates, ORGANIC_TOKENS] = tokens
            # Without a recycled side (a plain corpus in a one-stage run) every candidate is organic.
            budget = self.organic_to_recycled * df[RECYCLED_TOKENS].sum() if RECYCLED in df else np.inf
            df.loc[candidates, TO_ORGANIC] = select_to_budget(tokens, list(df.loc[candidates, ID]), budget, self.seed)
        df.loc[~df[TO_ORGANIC], ORGANIC_TOKENS] = 0
        return with_data(batch, df)
