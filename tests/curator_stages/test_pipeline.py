"""The whole pipeline: end to end (in process and on Ray), counts, Megatron output, resume after SIGKILL, one-stage runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nemo_repro.cli import main
from nemo_repro.mix.blend import read_blend, to_megatron_blend
from recycle_fixtures import BAD_LINES

FOLDERS = ("recycled", "filtered", "rejects")


def tiny(rephraser: Path, run_dir: Path, *extra: str) -> list[str]:
    return ["recycle", "recycle=tiny", f"recycle.rephraser={rephraser}", f"run.dir={run_dir}", "recycle.executor=local", "run.progress=false", *extra]


def rows(run_dir: Path, folder: str) -> list[dict]:
    return [json.loads(line) for f in sorted((run_dir / folder).glob("*.jsonl")) for line in f.read_text(encoding="utf-8").splitlines()]


def check_every_document_lands_once(run_dir: Path, expected_ids: list[str]) -> dict:
    summary = json.loads((run_dir / "summary.json").read_text())
    got = {folder: rows(run_dir, folder) for folder in FOLDERS}
    ids = [r["id"] for folder in FOLDERS for r in got[folder]]
    assert sorted(ids) == sorted(expected_ids)  # none lost, none twice
    assert summary["input"] == len(expected_ids) == summary["recycled"] + summary["filtered"] + summary["rejected"]
    assert [summary[k] for k in ("recycled", "filtered", "rejected")] == [len(got[f]) for f in FOLDERS]
    return summary


def check_megatron(run_dir: Path, summary: dict) -> None:
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    entries = read_blend(run_dir / "megatron" / "blend.json")
    prefixes, weights = to_megatron_blend(entries)
    assert sorted(Path(p).name for p in prefixes) == sorted(s for s in ("organic", "recycled") if s in summary["megatron"])
    for prefix in prefixes:
        side = summary["megatron"][Path(prefix).name]
        dataset = IndexedDataset(prefix)
        assert len(dataset.document_indices) - 1 == len(dataset) == side["documents"]
        assert int(dataset.sequence_lengths.sum()) == side["tokens"]
    assert summary["megatron"]["recycled"]["documents"] == summary["recycled"]
    assert weights == [0.5, 0.5]


def test_tiny_pipeline_end_to_end_in_process(scripted_rephraser_dir, mixed_corpus, tmp_path):
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={mixed_corpus}", "recycle.max_doc_chars=20000")) == 0
    good_ids = [json.loads(line)["id"] for line in mixed_corpus.read_bytes().splitlines() if line.startswith(b'{"id": "sample')]
    expected = good_ids + ["mixed:11", "mixed:12", "no-text", "int-text", "empty", "german", "huge", "mixed:18"]
    summary = check_every_document_lands_once(run_dir, expected)
    rejects = {r["id"]: r for r in rows(run_dir, "rejects")}
    assert set(rejects) == {"mixed:11", "mixed:12", "no-text", "int-text", "empty", "german", "huge", "mixed:18"}
    assert rejects["german"]["reason"].startswith("not English") and rejects["huge"]["reason"].startswith("too long")
    assert rejects["mixed:12"]["reason"].startswith("invalid UTF-8") and rejects["mixed:12"]["source_line"] == 12
    assert summary["recycled"] > 0 and all(r["text"] == "The cycling guide." for r in rows(run_dir, "recycled"))
    check_megatron(run_dir, summary)
    for name in ("report.md", "counts.png", "lengths.png", "quality.png", "metrics.jsonl", "config.yaml"):
        assert (run_dir / name).exists(), name


def test_sigkill_then_rerun_finishes_without_duplicates(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "nemo_repro.cli", *tiny(scripted_rephraser_dir, run_dir, f"recycle.input={sample_corpus_path}", "recycle.shard_docs=6")]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((run_dir / "shards").glob("*-*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = len(list((run_dir / "shards").glob("*-*.json")))
    assert 2 <= committed < 10, "the kill should land mid-run"
    assert not (run_dir / "summary.json").exists()
    assert main(args[3:]) == 0
    ids = [json.loads(line)["id"] for line in sample_corpus_path.read_text().splitlines()]
    summary = check_every_document_lands_once(run_dir, ids)
    check_megatron(run_dir, summary)
    assert not list(run_dir.rglob(".*.tmp*"))


def test_one_stage_runs_over_files(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=segment", f"recycle.input={sample_corpus_path}", "recycle.segment_chars=1000")) == 0
    segments = rows(run_dir, "segment")
    assert max(len(r["text"]) for r in segments) <= 1000 and len(segments) > 60
    # the output of one stage is the input of the next
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=rephrase", f"recycle.input={run_dir}/segment/*.jsonl")) == 0
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=reassemble", f"recycle.input={run_dir}/rephrase/*.jsonl")) == 0
    docs = rows(run_dir, "reassemble")
    originals = {json.loads(l)["id"]: json.loads(l)["text"] for l in sample_corpus_path.read_text().splitlines()}
    assert len(docs) == 60 and all(d["text"] == originals[d["id"]] for d in docs)
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=tokenize", f"recycle.input={sample_corpus_path}")) == 0
    summary = json.loads((run_dir / "tokenize" / "summary.json").read_text())
    assert summary["megatron"]["organic"]["documents"] == 60
    assert len(read_blend(run_dir / "megatron" / "blend.json")) == 1


def test_missing_rephraser_is_a_config_error(tmp_path, capsys):
    assert main(["recycle", "recycle=tiny", f"run.dir={tmp_path}", "recycle.executor=local"]) == 2
    assert "recycle.rephraser is required" in capsys.readouterr().err


def test_shared_web_docs(shared_web_docs, scripted_rephraser_dir, tmp_path):
    head = tmp_path / "web.jsonl"
    head.write_bytes(b"".join(shared_web_docs.read_bytes().splitlines(keepends=True)[:40]))
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={head}")) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["input"] == 40 == summary["recycled"] + summary["filtered"] + summary["rejected"]


@pytest.mark.slow
def test_tiny_pipeline_on_ray_with_xenna(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    """The same pipeline through NeMo Curator's Xenna executor on a local Ray cluster (one shard: Ray start-up dominates)."""
    head = tmp_path / "docs.jsonl"
    head.write_text("".join(sample_corpus_path.read_text().splitlines(keepends=True)[:12]))
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={head}", "recycle.executor=xenna")) == 0
    ids = [json.loads(line)["id"] for line in head.read_text().splitlines()]
    summary = check_every_document_lands_once(run_dir, ids)
    check_megatron(run_dir, summary)
    assert set(summary["stage_seconds"]) >= {"read_shard", "rephrase", "score", "tokenize", "commit"}
