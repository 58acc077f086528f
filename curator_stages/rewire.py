"""ReWireRewrite: the ReWire guided-rewrite prompt; `recycled_text` is the text after the answer heading."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from curator_stages.columns import FILTERED, REASON, RECYCLED, STATUS, TEXT
from curator_stages.generation import GeneratingStage
from nemo_repro.prompts import parse_rewire_output, rewire_messages


@dataclass
class ReWireRewrite(GeneratingStage):
    """Rewrite live rows; an output without the answer heading (unfinished reasoning) is `filtered`."""

    name: str = "rewire"

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, STATUS, REASON]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        live = df.index[live]
        outputs = self._generator.generate([rewire_messages(t) for t in df.loc[live, TEXT]], self.generator.sampling)
        parsed = [parse_rewire_output(o) for o in outputs]
        df[RECYCLED] = pd.Series([p.text for p in parsed], index=live, dtype=object).reindex(df.index, fill_value="")
        unfinished = [idx for idx, p in zip(live, parsed) if not p.has_answer]
        df.loc[unfinished, STATUS] = FILTERED
        df.loc[unfinished, REASON] = "rewire: no answer heading in the output"
        return df
