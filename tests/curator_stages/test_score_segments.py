"""Per-segment scoring: Score runs on segments, Reassemble makes document scores (length-weighted), Filter reads them."""

from __future__ import annotations

import pandas as pd
import pytest
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import FILE, ID, LINE, OK, REASON, RECYCLED, STATUS, TEXT
from curator_stages.filter import Filter
from curator_stages.reassemble import Reassemble
from curator_stages.score import LENGTH_RATIO, SEMANTIC_F1, STRUCTURE
from curator_stages.segment import N_SEGMENTS, SEGMENT_ID


def segment_rows() -> pd.DataFrame:
    # document a: a 300-char segment that kept its meaning and a 100-char one that lost it
    return pd.DataFrame({
        ID: ["a", "a", "b"], FILE: ["f", "f", "f"], LINE: [1, 1, 2], SEGMENT_ID: [0, 1, 0], N_SEGMENTS: [2, 2, 1],
        TEXT: ["x" * 299 + "\n", "y" * 100, "z" * 50], RECYCLED: ["x" * 250, "y" * 10, "z" * 50],
        SEMANTIC_F1: [0.9, 0.1, 0.8], STRUCTURE: [1.0, 0.0, 1.0], LENGTH_RATIO: [250 / 300, 0.1, 1.0],
        STATUS: [OK, OK, OK], REASON: ["", "", ""],
    })


def test_reassemble_aggregates_segment_scores_by_original_length():
    out = Reassemble().process(DocumentBatch(dataset_name="t", data=segment_rows())).to_pandas().set_index(ID)
    assert out.at["a", SEMANTIC_F1] == pytest.approx((0.9 * 300 + 0.1 * 100) / 400)
    assert out.at["a", STRUCTURE] == pytest.approx(300 / 400)
    assert out.at["a", LENGTH_RATIO] == pytest.approx(len(out.at["a", RECYCLED]) / 400)
    assert out.at["b", SEMANTIC_F1] == pytest.approx(0.8) and out.at["b", STRUCTURE] == 1.0


def test_one_lost_segment_fails_the_structure_check_of_its_document():
    docs = Reassemble().process(DocumentBatch(dataset_name="t", data=segment_rows()))
    out = Filter(require_marker=False, min_semantic_f1=0.65, max_length_ratio=1.25, min_structure=1.0).process(docs).to_pandas().set_index(ID)
    assert out.at["a", STATUS] == "filtered" and "structure 0.75 < 1.0" in out.at["a", REASON]
    assert out.at["b", STATUS] == OK


def test_repro_scores_segments_before_reassembling():
    from curator_stages.registry import method_stages
    from nemo_repro.config.recycle import RecycleConfig

    names = method_stages(RecycleConfig(quality_scorer="none"))
    assert names[:6] == ["validate", "segment", "rephrase", "score", "reassemble", "filter"]
    assert method_stages(RecycleConfig(method="rewire", quality_scorer="none"))[:4] == ["validate", "rewire", "score", "filter"]
