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


def described(procs: list[psutil.Process]) -> list[str]:
    """pid, parent and command line of each process (what a failed leak check shows)."""
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid} (parent {p.ppid()}): {' '.join(p.cmdline())[:160]}")
        except psutil.Error:
            out.append(f"{p.pid} (gone)")
    return out


@pytest.fixture
def start():
    """Start the CLI with a fresh tag in its environment; returns (process, tag). At teardown every process of
    those tags still running is killed, so a failing check leaves no run of ours behind."""
    tags = []

    def _start(args: list[str], log: Path) -> tuple[subprocess.Popen, str]:
        tag = uuid.uuid4().hex
        tags.append(tag)
        with log.open("wb") as err:  # a file, not a pipe: Ray and Xenna log a lot, and a full pipe blocks the run
            proc = subprocess.Popen([sys.executable, "-m", "nemo_repro.cli", *args], env={**os.environ, MARK: tag}, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
        return proc, tag

    yield _start
    for tag in tags:
        for p in marked(tag):
            p.kill()


def wait_for(condition, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.3)


def committed(run_dir: Path) -> int:
    return len(list((run_dir / "shards").glob("*-*.json")))


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["xenna", "ray_data"])
def test_kill_term_and_success_leave_no_process_and_lose_no_committed_shard(executor, start, small_tokenizer_dir, sample_corpus_path, tmp_path):
    corpus = tmp_path / "docs.jsonl"
    corpus.write_bytes(b"".join(sample_corpus_path.read_bytes().splitlines(keepends=True)[:6]))
    rewrites = tmp_path / "rewrites.jsonl"  # each page rewritten as itself: every stage sees real rows, no model runs
    rewrites.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in map(json.loads, corpus.read_text().splitlines())))
    run_dir = tmp_path / "run"
    # The cheapest run that still takes every path of the executors: precomputed rewrites, no quality scorer, no
    # BERTScore; 3 shards of 2 documents, run 2 at a time on any machine: a kill after the first commit leaves work
    # to resume, and the resume is one more run.
    args = ["recycle", "recycle=tiny", "recycle.backend=precomputed", f"recycle.rewrites={rewrites}", f"recycle.tokenizer={small_tokenizer_dir}",
            f"run.dir={run_dir}", f"recycle.input={corpus}", "recycle.semantic_model=none", "recycle.quality_scorer=none", "recycle.shard_docs=2",
            "recycle.shards_per_run=2", f"recycle.executor={executor}", "run.progress=false"]
    # SIGKILL mid-run: the committed shards stay committed, nothing is summarised
    proc, tag = start(args, tmp_path / "kill.log")
    wait_for(lambda: committed(run_dir) >= 1 or proc.poll() is not None)
    assert proc.poll() is None, (tmp_path / "kill.log").read_text()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = committed(run_dir)
    assert 1 <= after_kill < 3 and not (run_dir / "summary.json").exists()
    for p in marked(tag):  # a SIGKILL runs no cleanup: stop what it left (our own processes) before counting again
        p.kill()

    # SIGTERM while Ray runs: the run stops with 130, and none of its processes remains
    proc, tag = start(args, tmp_path / "term.log")
    wait_for(lambda: len(marked(tag)) >= 4 or proc.poll() is not None)  # the CLI and its Ray cluster
    proc.send_signal(signal.SIGTERM)
    # 130 from the CLI's handler; 15 when the signal lands while Ray's driver handler (sys.exit(15)) is installed
    assert proc.wait(timeout=120) in (130, 15), (tmp_path / "term.log").read_text()[-2000:]
    time.sleep(1)
    assert not (left := marked(tag)), described(left)
    assert committed(run_dir) >= after_kill

    # run to the end: every document once, and no process left
    proc, tag = start(args, tmp_path / "success.log")
    peak = 0
    while proc.poll() is None:
        peak = max(peak, len(marked(tag)))
        time.sleep(0.5)
    assert proc.returncode == 0, (tmp_path / "success.log").read_text()[-2000:]
    time.sleep(1)
    assert peak >= 3
    assert not (left := marked(tag)), described(left)
    summary = json.loads((run_dir / "summary.json").read_text())
    ids = [r["id"] for f in ("recycled", "filtered", "rejects") for path in sorted((run_dir / f).glob("*.jsonl")) for r in map(json.loads, path.read_text().splitlines())]
    assert sorted(ids) == sorted(json.loads(line)["id"] for line in corpus.read_text().splitlines())
    assert summary["input"] == 6
