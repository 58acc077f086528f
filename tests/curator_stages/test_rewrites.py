"""Bring-your-own rewrites (`recycle.backend=precomputed`): loading, bad files, the join, and the whole pipeline on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator_stages.rewrites import NO_REWRITE, RewritesError, load_rewrites
from nemo_repro.cli import main


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_rewrites_from_a_glob_of_jsonl_and_parquet(tmp_path):
    import pandas as pd

    write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "one"}, {"id": 2, "text": "two"}])
    pd.DataFrame({"id": ["3"], "rewrite": ["three"], "text": ["ignored"]}).to_parquet(tmp_path / "b.parquet")
    write_jsonl(tmp_path / "c.jsonl", [{"id": "4", "rewrite": "four"}])
    assert load_rewrites(str(tmp_path / "a.jsonl")) == {"1": "one", "2": "two"}
    assert load_rewrites(str(tmp_path / "[bc].*"), "rewrite") == {"3": "three", "4": "four"}


@pytest.mark.parametrize(
    "lines, field, message",
    [
        (['{"id": "1", "text": "ok"}', '{"id": "2", "text": "cut'], "text", "r.jsonl:2: not a usable JSON row (malformed JSON"),
        (['{"id": "1", "text": "ok"}', '{"text": "no id"}'], "text", "r.jsonl:2: no `id` field"),
        (['{"id": "1", "body": "x"}'], "text", "r.jsonl:1: no `text` field (recycle.rewrite_field)"),
        (['{"id": "1", "text": 42}'], "text", "r.jsonl:1: field `text` is a int, not a string"),
        (['{"id": "1", "text": "a"}', '{"id": "1", "text": "b"}'], "text", "r.jsonl:2: id '1' already has a rewrite at"),
        (['["a", "list"]'], "text", "r.jsonl:1: not a usable JSON row (not a JSON object but list)"),
        (['{"id": "1", "text": "\\ud800"}'], "text", "r.jsonl:1: not a usable JSON row (lone UTF-16 surrogate"),
    ],
)
def test_bad_rewrite_files_fail_naming_file_line_and_field(tmp_path, lines, field, message):
    write_jsonl(tmp_path / "r.jsonl", lines)
    with pytest.raises(RewritesError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load_rewrites(str(tmp_path / "r.jsonl"), field)


def test_compressed_rewrites_and_bad_bytes(tmp_path):
    """Rewrites are read by Read's own rule: .jsonl.gz like .jsonl, invalid UTF-8 named by file and line."""
    import gzip

    with gzip.open(tmp_path / "r.jsonl.gz", "wb") as f:
        f.write(b'\xef\xbb\xbf{"id": "1", "text": "one"}\r{"id": "2", "text": "two"}\n')
    assert load_rewrites(str(tmp_path / "r.jsonl.gz")) == {"1": "one", "2": "two"}
    (tmp_path / "bad.jsonl").write_bytes(b'{"id": "1", "text": "ok"}\n{"id": "2", "text": "\xff"}\n')
    with pytest.raises(RewritesError, match=r"bad\.jsonl:2: not a usable JSON row \(invalid UTF-8"):
        load_rewrites(str(tmp_path / "bad.jsonl"))


def test_no_file_matches(tmp_path):
    with pytest.raises(RewritesError, match="matches no file"):
        load_rewrites(str(tmp_path / "*.jsonl"))


def precomputed(run_dir: Path, tokenizer: Path, *extra: str) -> list[str]:
    return ["recycle", "recycle=repro", "recycle.backend=precomputed", f"recycle.tokenizer={tokenizer}", f"run.dir={run_dir}",
            "recycle.executor=local", "recycle.semantic_model=none", "recycle.min_semantic_f1=null", "run.progress=false",
            "recycle.shard_docs=16", *extra]


def test_precomputed_pipeline_scores_filters_and_mixes_rewrites_on_cpu(tmp_path, mixed_corpus, sample_corpus_path, scripted_rephraser_dir):
    good = [json.loads(line) for line in sample_corpus_path.read_text(encoding="utf-8").splitlines()]  # the readable part of mixed_corpus
    rewrites = write_jsonl(tmp_path / "rewrites.jsonl", [{"id": d["id"], "text": d["clean_text"]} for d in good[1:]] + [{"id": "nowhere", "text": "unused"}])
    run_dir = tmp_path / "run"
    assert main(precomputed(run_dir, scripted_rephraser_dir, f"recycle.input={mixed_corpus}", f"recycle.rewrites={rewrites}", "recycle.quality_scorer=heuristic",
                            "recycle.heuristic_quality_threshold=0.0", "recycle.heuristic_organic_quality_threshold=0.0", "recycle.max_length_ratio=null")) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["input"] == summary["recycled"] + summary["filtered"] + summary["rejected"]
    assert summary["thresholds"]["quality_scorer"] == "heuristic" and summary["thresholds"]["quality_threshold"] == 0.0
    assert summary["thresholds"]["min_semantic_f1"] is None and summary["thresholds"]["min_structure"] == 1.0
    assert "Filter settings applied" in (run_dir / "report.md").read_text()
    filtered = [json.loads(line) for f in (run_dir / "filtered").glob("*.jsonl") for line in f.read_text().splitlines()]
    # the first sample document and the live bad-input line ("huge" is long but not over max_doc_chars) have no rewrite
    assert sorted(r["id"] for r in filtered if r["reason"] == NO_REWRITE) == sorted([good[0]["id"], "huge"])
    recycled = {json.loads(line)["id"]: json.loads(line) for f in (run_dir / "recycled").glob("*.jsonl") for line in f.read_text().splitlines()}
    assert len(recycled) == len(good) - 1 == summary["recycled"]
    sample = next(iter(recycled.values()))
    assert sample["text"] == next(d["clean_text"] for d in good if d["id"] == sample["id"])
    assert 0.0 <= sample["quality_after"] <= 1.0


def test_precomputed_bad_rewrites_fail_before_any_work_with_exit_2(tmp_path, sample_corpus_path, scripted_rephraser_dir, capsys):
    rewrites = write_jsonl(tmp_path / "rewrites.jsonl", ['{"id": "x", "text": "fine"}', '{"id": "y"}'])
    run_dir = tmp_path / "run"
    assert main(precomputed(run_dir, scripted_rephraser_dir, f"recycle.input={sample_corpus_path}", f"recycle.rewrites={rewrites}")) == 2
    assert f"{rewrites}:2: no `text` field" in capsys.readouterr().err
    assert not (run_dir / "recycled").exists()


def test_precomputed_reserves_no_gpu_and_needs_no_rephraser(tmp_path):
    from curator_stages.paths import Paths
    from curator_stages.prepare import prepare
    from curator_stages.registry import build_stages, method_stages
    from nemo_repro.config.recycle import RecycleConfig

    write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "text": "b"}])
    cfg = RecycleConfig(backend="precomputed", rewrites=str(tmp_path / "r.jsonl"), gpus_per_worker=1.0, semantic_model="none", min_semantic_f1=None, tokenizer=str(tmp_path))
    assert method_stages(cfg)[:4] == ["validate", "rewrites", "score", "filter"]
    stages = build_stages(cfg, prepare(cfg, Paths(tmp_path / "run"), [], 0, method_stages(cfg)))
    assert all(not s.resources.gpus for s in stages)


def test_calibration_sample_reads_like_read(tmp_path):
    """The calibration sample takes compressed inputs, skips unreadable lines, and derives ids as Read does."""
    import gzip

    from curator_stages.prepare import sample_texts

    (tmp_path / "d1").mkdir()
    with gzip.open(tmp_path / "d1" / "a.jsonl.gz", "wb") as f:
        f.write(b'{"text": "first page"}\n{"text": "\xff bad"}\n{"id": "x", "text": "third"}\n')
    write_jsonl(tmp_path / "b.jsonl", ['{"text": "other"}'])
    got = sample_texts([tmp_path / "d1" / "a.jsonl.gz", tmp_path / "b.jsonl"], "text", "id", 10)
    assert got == [("d1/a:1", "first page"), ("x", "third"), ("b:1", "other")]
