"""Both Ray executors: a SIGKILL loses at most the shards in flight, and no process of a run survives it after
SIGTERM or success (processes counted by an environment marker the run's Ray processes inherit)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest


MARK = "NEMO_REPRO_LEAK_TEST"


def marked(tag: str) -> list[psutil.Process]:
    """Processes whose environment carries `MARK=tag` (the CLI and every Ray process it started)."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(MARK) == tag and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            pass
    return found


def start(args: list[str], tag: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, MARK: tag}
    with log.open("wb") as err:  # a file, not a pipe: Ray and Xenna log a lot, and a full pipe blocks the run
        return subprocess.Popen([sys.executable, "-m", "nemo_repro.cli", *args], env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def wait_for(condition, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.3)


def committed(run_dir: Path) -> int:
    return len(list((run_dir / "shards").glob("*-*.json")))


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["xenna", "ray_data"])
def test_kill_term_and_success_leave_no_process_and_lose_no_committed_shard(executor, scripted_rephraser_dir, sample_corpus_path, tmp_path):
    corpus = tmp_path / "docs.jsonl"
    corpus.write_bytes(b"".join(sample_corpus_path.read_bytes().splitlines(keepends=True)[:24]))
    run_dir = tmp_path / "run"
    args = ["recycle", "recycle=tiny", f"recycle.rephraser={scripted_rephraser_dir}", f"run.dir={run_dir}", f"recycle.input={corpus}",
            "recycle.semantic_model=none", "recycle.shard_docs=6", f"recycle.executor={executor}", "run.progress=false",
            "recycle.quality_scorer=auto", "recycle.quality_model=sample", "recycle.quality_threshold=0.0", "recycle.organic_quality_threshold=0.0",
            "recycle.min_semantic_f1=null", "recycle.min_structure=null", "recycle.sampling.max_new_tokens=48"]  # mechanics under test, not thresholds
    # SIGKILL mid-run: the committed shards stay committed, nothing is summarised
    tag = uuid.uuid4().hex
    proc = start(args, tag, tmp_path / "stderr.log")
    wait_for(lambda: committed(run_dir) >= 1 or proc.poll() is not None)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = committed(run_dir)
    assert 1 <= after_kill < 4 and not (run_dir / "summary.json").exists()
    for p in marked(tag):  # a SIGKILL runs no cleanup: stop what it left (our own processes) before counting again
        p.kill()

    # SIGTERM while Ray runs: the run stops with 130, and none of its processes remains
    tag = uuid.uuid4().hex
    proc = start(args, tag, tmp_path / "stderr.log")
    wait_for(lambda: len(marked(tag)) >= 4 or proc.poll() is not None)  # the CLI and its Ray cluster
    proc.send_signal(signal.SIGTERM)
    # 130 from the CLI's handler; 15 when the signal lands while Ray's driver handler (sys.exit(15)) is installed
    assert proc.wait(timeout=120) in (130, 15), (tmp_path / "stderr.log").read_text()[-2000:]
    time.sleep(1)
    assert marked(tag) == []
    assert committed(run_dir) >= after_kill

    # run to the end: every document once, and no process left
    tag = uuid.uuid4().hex
    proc = start(args, tag, tmp_path / "stderr.log")
    peak = 0
    while proc.poll() is None:
        peak = max(peak, len(marked(tag)))
        time.sleep(0.5)
    assert proc.returncode == 0, (tmp_path / "stderr.log").read_text()[-2000:]
    time.sleep(1)
    assert peak >= 3 and marked(tag) == []
    summary = json.loads((run_dir / "summary.json").read_text())
    ids = [r["id"] for f in ("recycled", "filtered", "rejects") for path in sorted((run_dir / f).glob("*.jsonl")) for r in map(json.loads, path.read_text().splitlines())]
    assert sorted(ids) == sorted(json.loads(line)["id"] for line in corpus.read_text().splitlines())
    assert summary["input"] == 24
