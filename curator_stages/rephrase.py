"""Rephrase: the RePro prompt on each live row's text, any generator backend, marker parsed."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from curator_stages.columns import RECYCLED, TEXT
from curator_stages.generation import GeneratingStage
from nemo_repro.prompts import parse_repro_output, repro_messages

HAS_MARKER = "has_marker"


@dataclass
class Rephrase(GeneratingStage):
    """`recycled_text` = the text after `Here is a paraphrased version:` in the rephraser's answer ("" without it)."""

    max_chars: int = 7000
    name: str = "rephrase"

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, HAS_MARKER]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        live = df.index[live]
        outputs = self._generator.generate([repro_messages(t, self.max_chars) for t in df.loc[live, TEXT]], self.generator.sampling)
        parsed = [parse_repro_output(o) for o in outputs]
        df[RECYCLED] = pd.Series([p.text for p in parsed], index=live, dtype=object).reindex(df.index, fill_value="")
        df[HAS_MARKER] = pd.Series([p.has_marker for p in parsed], index=live, dtype=bool).reindex(df.index, fill_value=False)
        return df
