"""Reassemble: join the segments of each document back into one row, original and recycled text alike (and the per-segment scores, when Score ran before)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import FILE, LINE, OK, REASON, RECYCLED, STATUS, TEXT
from curator_stages.rephrase import HAS_MARKER
from curator_stages.score import aggregate_segments
from curator_stages.segment import N_SEGMENTS, SEGMENT_ID


def join_recycled(pieces: list[str], originals: list[str]) -> str:
    """Join rephrased pieces with the whitespace that followed each original piece (a space when none did)."""
    out = []
    for k, (piece, original) in enumerate(zip(pieces, originals)):
        out.append(piece.strip())
        if k < len(pieces) - 1:
            tail = original[len(original.rstrip()) :]
            out.append(tail if tail else " ")
    return "".join(out)


@dataclass
class Reassemble(RowStage):
    """Group the rows of one input line (`source_file`, `source_line`) in `segment_id` order; fails on a missing segment."""

    name: str = "reassemble"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT, RECYCLED, FILE, LINE, SEGMENT_ID, N_SEGMENTS]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT, RECYCLED]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        docs = []
        for (_, line), group in df.groupby([FILE, LINE], sort=False):
            group = group.sort_values(SEGMENT_ID)
            expected = int(group[N_SEGMENTS].iloc[0])
            if list(group[SEGMENT_ID]) != list(range(expected)):
                raise ValueError(f"{group[FILE].iloc[0]}:{line}: segments {list(group[SEGMENT_ID])} of {expected}; a segment is missing or duplicated")
            row = group.iloc[0].to_dict()
            originals = list(group[TEXT])
            row[TEXT] = "".join(originals)
            row[RECYCLED] = join_recycled(list(group[RECYCLED]), originals)
            row.update(aggregate_segments(group, originals, row[RECYCLED]))  # when Score ran per segment
            if HAS_MARKER in group:
                row[HAS_MARKER] = bool(group[HAS_MARKER].all())
            not_ok = group[group[STATUS] != OK]
            if len(not_ok):
                row[STATUS], row[REASON] = not_ok[STATUS].iloc[0], "; ".join(dict.fromkeys(not_ok[REASON]))
            docs.append(row)
        return pd.DataFrame(docs, columns=df.columns).drop(columns=[SEGMENT_ID, N_SEGMENTS])
