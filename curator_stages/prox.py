"""ProXRefine: a small LM writes a program per document (document level, then per chunk); the
`nemo_repro.refine.prox` executor applies it with the ProX keep/drop rules."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from curator_stages.columns import FILTERED, REASON, RECYCLED, STATUS, TEXT
from curator_stages.generation import GeneratingStage
from nemo_repro.config.generation import serves_model
from nemo_repro.prompts import prox_chunk_messages, prox_doc_messages
from nemo_repro.refine.prox import DROP, MAX_CHUNK_TOKENS, chunk_document, decide_document, execute, tokenizer_counter

PROX_DECISION = "prox_decision"


@dataclass
class ProXRefine(GeneratingStage):
    """`recycled_text` = the refined (or original) text; dropped documents are `filtered` with the ProX reason."""

    max_chunk_tokens: int = MAX_CHUNK_TOKENS
    name: str = "prox"

    def setup(self, worker_metadata=None) -> None:
        from transformers import AutoTokenizer

        super().setup(worker_metadata)
        # Chunks are measured in the refining model's tokens when it is a local folder.
        self._count = tokenizer_counter(AutoTokenizer.from_pretrained(self.generator.model)) if not serves_model(self.generator.backend) else None

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, PROX_DECISION, STATUS, REASON]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        live = df.index[live]
        texts = list(df.loc[live, TEXT])
        doc_programs = self._generator.generate([prox_doc_messages(t) for t in texts], self.generator.sampling)
        kept = [decide_document(p)[0] for p in doc_programs]
        kwargs = {"count_tokens": self._count} if self._count else {}
        chunks = [chunk_document(t, self.max_chunk_tokens, **kwargs) for t in texts]
        # chunk programs only for documents kept at document level, all in one call: the backend batches them
        flat = self._generator.generate([prox_chunk_messages(list(c.lines), c.start) for doc, k in zip(chunks, kept) if k for c in doc], self.generator.sampling)
        df[RECYCLED] = ""
        df[PROX_DECISION] = ""
        at = 0
        for idx, doc_chunks, doc_program, keep in zip(live, chunks, doc_programs, kept):
            programs = flat[at : at + len(doc_chunks)] if keep else [""] * len(doc_chunks)
            at += len(doc_chunks) if keep else 0
            result = execute(doc_chunks, programs, doc_program)
            df.at[idx, RECYCLED], df.at[idx, PROX_DECISION] = result.text, result.decision
            if result.decision == DROP:
                df.at[idx, STATUS], df.at[idx, REASON] = FILTERED, f"prox: {result.reason}"
        return df
