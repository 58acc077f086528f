"""Calibration of the semantic threshold: mismatched pairs, the false-accept threshold, `auto`, the calibrate command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.rewards.calibrate import (
    PAPER_THRESHOLD,
    calibrate_semantic,
    coverage_similarity_of,
    is_paper_encoder,
    load_calibration,
    mismatched_pairs,
    threshold_at,
    write_calibration,
)


def test_mismatched_pairs_never_pair_a_document_with_itself():
    pairs = mismatched_pairs(5, 1000, seed=1)
    assert len(pairs) == 20 == len(set(pairs))  # all 5 x 4 ordered pairs, once each
    assert all(i != j and 0 <= i < 5 and 0 <= j < 5 for i, j in pairs)
    assert len(mismatched_pairs(50, 30, seed=2)) == 30
    with pytest.raises(ValueError, match="at least 2"):
        mismatched_pairs(1, 3)


def test_threshold_lets_through_at_most_the_false_accept_rate():
    scores = np.linspace(0.0, 1.0, 201)
    for rate in (0.0, 0.01, 0.1, 0.5):
        threshold = threshold_at(scores, rate)
        assert np.mean(scores >= threshold) <= rate
        assert np.mean(scores >= np.nextafter(threshold, -1) - 0.006) > rate  # and no stricter than needed


class LengthOverlap:
    """A stand-in encoder: F1 = shared words / all words (deterministic, instant)."""

    def f1(self, originals, rephrasings):
        out = []
        for o, r in zip(originals, rephrasings):
            a, b = set(o.split()), set(r.split())
            out.append(len(a & b) / max(1, len(a | b)))
        return np.array(out)


def test_coverage_similarity_is_the_typical_unrelated_pair_s_not_a_related_pair_s():
    """Nine unrelated pairs whose content tokens' best cosines spread over 0..0.6 and one related pair (two reports of
    one event) whose tokens match at 0.9: the similarity stays where 1% of a typical unrelated pair's tokens reach
    (one quantile over the pooled tokens would be the related pair's 0.9)."""
    rng = np.random.default_rng(0)
    unrelated = [rng.uniform(0.0, 0.6, 500) for _ in range(9)]
    related = np.full(500, 0.9)
    similarity, tokens = coverage_similarity_of([*unrelated, related], 0.01)
    assert tokens == 5000
    assert 0.58 < similarity < 0.6
    assert np.quantile(np.concatenate([*unrelated, related]), 0.99) == pytest.approx(0.9)
    assert coverage_similarity_of([np.zeros(0)]) is None


def test_calibrate_semantic_scores_only_mismatched_pairs():
    docs = [f"topic{k} " * 10 + "shared words here" for k in range(30)]
    result = calibrate_semantic(LengthOverlap(), docs, n_pairs=100, false_accept_rate=0.01)
    # a document against itself scores 1; any other only shares the three common words
    assert result["mismatched_f1_quantiles"]["1.0"] == pytest.approx(3 / 5)
    assert result["threshold"] > 3 / 5 and result["pairs"] == 100 and result["documents"] == 30
    with_candidates = calibrate_semantic(LengthOverlap(), docs, candidates=[d.upper() for d in docs], n_pairs=50)
    assert with_candidates["mismatched_f1_quantiles"]["1.0"] == 0.0


def test_calibration_file_round_trip_and_errors(tmp_path):
    path = write_calibration(tmp_path / "c" / "semantic.json", {"threshold": 0.5123})
    assert load_calibration(path) == 0.5123
    with pytest.raises(ConfigError, match="no such calibration file"):
        load_calibration(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"thresh": 1}')
    with pytest.raises(ConfigError, match="bad.json: not a calibration file"):
        load_calibration(tmp_path / "bad.json")


def test_paper_encoder_keeps_the_paper_threshold(tmp_path):
    from curator_stages.paths import Paths
    from curator_stages.prepare import semantic_threshold
    from nemo_repro.config.recycle import RecycleConfig

    encoder = tmp_path / "deberta-large-mnli"
    encoder.mkdir()
    (encoder / "config.json").write_text(json.dumps({"model_type": "deberta"}))
    assert is_paper_encoder(encoder) and not is_paper_encoder(tmp_path) and not is_paper_encoder(None)
    cfg = RecycleConfig(semantic_model=str(encoder), min_semantic_f1="auto")
    assert semantic_threshold(cfg, Paths(tmp_path / "run"), []) == PAPER_THRESHOLD
    calibration = write_calibration(tmp_path / "x.json", {"threshold": 0.42})
    assert semantic_threshold(RecycleConfig(min_semantic_f1=str(calibration)), Paths(tmp_path), []) == 0.42
    assert semantic_threshold(RecycleConfig(min_semantic_f1=0.7), Paths(tmp_path), []) == 0.7
    assert semantic_threshold(RecycleConfig(semantic_model="none"), Paths(tmp_path), []) is None


def test_min_semantic_f1_config_values():
    from nemo_repro.config.recycle import RecycleConfig

    assert RecycleConfig().min_semantic_f1 == "auto"
    assert RecycleConfig(min_semantic_f1=1).min_semantic_f1 == 1.0
    for bad in ("abc", True, [0.5]):
        with pytest.raises(ConfigError, match="recycle.min_semantic_f1"):
            RecycleConfig(min_semantic_f1=bad)


def test_calibrate_command_writes_a_threshold_the_filter_uses(tmp_path, sample_corpus_path):
    from nemo_repro.cli import main

    run_dir = tmp_path / "cal"
    assert main(["recycle", "recycle.stage=calibrate", f"recycle.input={sample_corpus_path}", f"run.dir={run_dir}",
                 "recycle.semantic_calibration_pairs=12", "recycle.segment_chars=400", "run.progress=false"]) == 0
    result = json.loads((run_dir / "calibration" / "semantic.json").read_text())
    assert result["pairs"] == 12 and result["max_chars"] == 400 and 0.0 < result["threshold"] <= 1.0
    assert load_calibration(run_dir / "calibration" / "semantic.json") == result["threshold"]


def test_report_states_the_threshold_the_filter_applied(tmp_path):
    """The report resolves `min_semantic_f1` by the filter's own rule, and never calibrates."""
    from curator_stages.paths import Paths
    from curator_stages.report import thresholds_used
    from nemo_repro.config.recycle import RecycleConfig

    paths = Paths(tmp_path / "run")
    assert thresholds_used(RecycleConfig(), paths)["min_semantic_f1"] is None  # auto, nothing calibrated
    assert not (paths.root / "calibration").exists()
    write_calibration(paths.root / "calibration" / "semantic.json", {"threshold": 0.42})
    assert thresholds_used(RecycleConfig(), paths)["min_semantic_f1"] == 0.42
    assert thresholds_used(RecycleConfig(min_semantic_f1=0.7), paths)["min_semantic_f1"] == 0.7
    assert thresholds_used(RecycleConfig(semantic_model="none", min_semantic_f1=None), paths)["min_semantic_f1"] is None


def test_coverage_calibration_keeps_the_f1_threshold_a_run_dir_already_applies(tmp_path):
    """A run dir calibrated before coverage existed: coverage `auto` adds its similarity and keeps the F1 threshold,
    so the filter, the report and a resumed run all use the same one."""
    from curator_stages.paths import Paths
    from curator_stages.prepare import coverage_similarity, semantic_threshold
    from curator_stages.report import thresholds_used
    from nemo_repro.config.recycle import RecycleConfig
    from nemo_repro.data.sample_corpus import write_corpus

    corpus = write_corpus(tmp_path / "docs.jsonl", n_docs=12, seed=0)
    cfg = RecycleConfig(input=str(corpus), semantic_calibration_pairs=12)
    paths = Paths(tmp_path / "run")
    write_calibration(paths.root / "calibration" / "semantic.json", {"threshold": 0.42})
    assert semantic_threshold(cfg, paths, [corpus]) == 0.42
    similarity = coverage_similarity(cfg, paths, [corpus])
    assert isinstance(similarity, float) and 0.0 < similarity < 1.0
    used = thresholds_used(cfg, paths)
    assert used["min_semantic_f1"] == 0.42 and used["coverage_similarity"] == similarity


def test_coverage_similarity_of_an_older_content_rule_is_recalibrated(tmp_path):
    """A run dir calibrated with the previous content rule (5% pooled, every token counted) holds a similarity that
    means something else: it is recalibrated, and the F1 threshold the run already applies is kept."""
    from curator_stages.paths import Paths
    from curator_stages.prepare import coverage_similarity
    from nemo_repro.config.recycle import RecycleConfig
    from nemo_repro.data.sample_corpus import write_corpus
    from nemo_repro.rewards.calibrate import COVERAGE_RULE, load_coverage_similarity

    corpus = write_corpus(tmp_path / "docs.jsonl", n_docs=12, seed=0)
    cfg = RecycleConfig(input=str(corpus), semantic_calibration_pairs=12)
    paths = Paths(tmp_path / "run")
    target = paths.root / "calibration" / "semantic.json"
    write_calibration(target, {"threshold": 0.42, "coverage_similarity": 0.1234, "coverage_false_match_rate": 0.05})
    assert load_coverage_similarity(target) is None
    similarity = coverage_similarity(cfg, paths, [corpus])
    assert similarity != 0.1234 and 0.0 < similarity < 1.0
    stored = json.loads(target.read_text(encoding="utf-8"))
    assert stored["threshold"] == 0.42 and stored["coverage_rule"] == COVERAGE_RULE
