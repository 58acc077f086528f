"""Heuristic quality: NeMo Curator's rules as a score in [0, 1]; it tracks human labels on real pages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nemo_repro.rewards.quality_heuristic import HeuristicQualityScorer, QualityHeuristicReward


@pytest.fixture(scope="module")
def scorer():
    return HeuristicQualityScorer()


def test_scores_are_in_unit_interval_and_prose_beats_junk(scorer):
    from nemo_repro.data.sample_corpus import generate_document

    prose = generate_document(0, seed=1)["clean_text"]
    junk = "\n".join(["$$$ 1234 5678 ### >>> <<<"] * 40)
    scores = scorer.score_many([prose, junk, "", "   "])
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[0] > scores[1] + 0.2
    assert scores[2] == scores[3] == 0.0
    margins = scorer.margins(prose)
    assert len(margins) >= 20 and all(0.0 <= v <= 1.0 for v in margins.values())


def test_reward_is_the_quality_gain(scorer):
    reward = QualityHeuristicReward()
    prose = "The canal was dug by hand over nine years. " * 20
    junk = "$$$ 1234 ### " * 30
    gains, details = reward.score_detailed([junk, prose], [prose, junk])
    assert gains[0] > 0 > gains[1]
    assert np.allclose(gains, details["quality_rephrase"] - details["quality_original"])


def test_auc_against_human_labels_on_real_pages(scorer, shared_web_docs):
    from sklearn.metrics import roc_auc_score

    rows = [json.loads(line) for line in shared_web_docs.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["id"].startswith("dclm-annot-")]
    assert len(rows) >= 50
    labels = [r["quality_label"] for r in rows]
    auc = roc_auc_score(labels, scorer.score_many([r["text"] for r in rows]))
    assert auc >= 0.75, f"heuristic quality AUC {auc:.3f} on {len(rows)} dclm-annot pages"


def test_quality_filter_stage_with_the_heuristic_scorer():
    import pandas as pd
    from nemo_curator.tasks import DocumentBatch

    from curator_stages.columns import FILTERED, OK, RECYCLED, STATUS, TEXT
    from curator_stages.quality import QUALITY_AFTER, QUALITY_BEFORE, QualityFilter

    from nemo_repro.data.sample_corpus import generate_document

    prose = generate_document(0, seed=1)["clean_text"]
    df = pd.DataFrame({TEXT: [prose, prose], RECYCLED: [prose, "$$$ 1234 ### " * 30], STATUS: [OK, OK], "reason": ["", ""]})
    stage = QualityFilter(threshold=0.5, scorer="heuristic")
    stage.setup()
    out = stage.process(DocumentBatch(dataset_name="d", data=df)).to_pandas()
    assert list(out[STATUS]) == [OK, FILTERED] and out[QUALITY_BEFORE].between(0, 1).all()
    assert "quality" in out["reason"][1] and out[QUALITY_AFTER][0] >= 0.5


def test_rl_quality_scorer_heuristic_needs_no_model():
    from nemo_repro.config.rl import RewardsConfig
    from nemo_repro.rewards import build_quality_reward

    assert isinstance(build_quality_reward(RewardsConfig(quality_scorer="heuristic")), QualityHeuristicReward)
