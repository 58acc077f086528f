"""ReWireRewrite: the ReWire guided-rewrite prompt; `recycled_text` is the text after the answer heading."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import FILTERED, REASON, RECYCLED, STATUS, TEXT, active, ensure_status, with_data
from curator_stages.generation import GeneratorSpec
from nemo_repro.prompts import parse_rewire_output, rewire_messages


@dataclass
class ReWireRewrite(ProcessingStage[DocumentBatch, DocumentBatch]):
    """Rewrite live rows; an output without the answer heading (unfinished reasoning) is `filtered`."""

    generator: GeneratorSpec
    name: str = "rewire"
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def __post_init__(self) -> None:
        if self.generator.gpus:
            self.resources = Resources(cpus=1.0, gpus=self.generator.gpus)

    def setup(self, worker_metadata=None) -> None:  # noqa: ANN001
        self._generator = self.generator.build()

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, STATUS, REASON]

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        live = df.index[active(df)]
        outputs = self._generator.generate([rewire_messages(t) for t in df.loc[live, TEXT]], self.generator.sampling)
        parsed = [parse_rewire_output(o) for o in outputs]
        df[RECYCLED] = pd.Series([p.text for p in parsed], index=live, dtype=object).reindex(df.index, fill_value="")
        unfinished = [idx for idx, p in zip(live, parsed) if not p.has_answer]
        df.loc[unfinished, STATUS] = FILTERED
        df.loc[unfinished, REASON] = "rewire: no answer heading in the output"
        return with_data(batch, df)
