"""Rephrase: the RePro prompt on each live row's text, any generator backend, marker parsed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import RECYCLED, TEXT, active, ensure_status, with_data
from curator_stages.generation import GeneratorSpec
from nemo_repro.prompts import parse_repro_output, repro_messages

HAS_MARKER = "has_marker"


@dataclass
class Rephrase(ProcessingStage[DocumentBatch, DocumentBatch]):
    """`recycled_text` = the text after `Here is a paraphrased version:` in the rephraser's answer ("" without it)."""

    generator: GeneratorSpec
    max_chars: int = 7000
    name: str = "rephrase"
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def __post_init__(self) -> None:
        if self.generator.gpus:
            self.resources = Resources(cpus=1.0, gpus=self.generator.gpus)

    def setup(self, worker_metadata=None) -> None:  # noqa: ANN001
        self._generator = self.generator.build()

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, HAS_MARKER]

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        live = df.index[active(df)]
        outputs = self._generator.generate([repro_messages(t, self.max_chars) for t in df.loc[live, TEXT]], self.generator.sampling)
        parsed = [parse_repro_output(o) for o in outputs]
        df[RECYCLED] = pd.Series([p.text for p in parsed], index=live, dtype=object).reindex(df.index, fill_value="")
        df[HAS_MARKER] = pd.Series([p.has_marker for p in parsed], index=live, dtype=bool).reindex(df.index, fill_value=False)
        return with_data(batch, df)
