"""Segment: split each document into pieces of at most `segment_chars` characters (one row per piece).

The pieces are contiguous slices, so joining them gives the document back
exactly. A cut goes at the last paragraph break inside the window, else the last
line break, else the last sentence end, else the last space, else mid-word:
the rephraser sees whole paragraphs whenever the text allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import ID, TEXT

SEGMENT_ID = "segment_id"
N_SEGMENTS = "n_segments"
_CUTS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"')\]]*\s"), re.compile(r"\s"))


def split_segments(text: str, max_chars: int) -> list[str]:
    """Contiguous pieces of `text`, each at most `max_chars` long, cut at the best boundary in the window."""
    pieces = []
    start = 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars]
        cut = max_chars
        for pattern in _CUTS:
            ends = [m.end() for m in pattern.finditer(window)]
            # a cut in the first tenth would make a tiny piece; look for a coarser-grained boundary later
            ends = [e for e in ends if e > max_chars // 10]
            if ends:
                cut = ends[-1]
                break
        pieces.append(window[:cut])
        start += cut
    pieces.append(text[start:])
    return pieces


@dataclass
class Segment(RowStage):
    """One row per segment of each live document, with `segment_id` (order) and `n_segments`; other rows pass as one segment."""

    segment_chars: int = 7000
    name: str = "segment"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID, TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT, SEGMENT_ID, N_SEGMENTS]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        df[TEXT] = [split_segments(t, self.segment_chars) if ok else [t] for t, ok in zip(df[TEXT], live)]
        df[N_SEGMENTS] = df[TEXT].map(len)
        df = df.explode(TEXT)
        df[SEGMENT_ID] = df.groupby(level=0).cumcount()
        return df
