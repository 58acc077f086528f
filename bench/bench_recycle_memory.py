"""Peak memory of `nemo-repro recycle` against the corpus size: the driver, its Ray workers and its stages must
not grow with the number of documents (shards are read, processed and committed a few at a time).

Each size runs in a fresh process on the given executor (default: Xenna, the default one) and no BERTScore,
with a backend that keeps generation out of the figure: `--backend precomputed` (default; each document's
rewrite is its first `--rewrite-chars` characters, so every row carries an original and a recycled text through
score, filter, quality filter, mix and tokenize; the rewrites map itself is ~0.5 KB per document) or
`--backend hf` (the scripted tiny rephraser of the tests: real prompts, a ~10-token answer; slow on real pages). While it runs, the RSS of its whole process tree (the CLI and every Ray process under it:
the CLI is the subreaper of its Ray workers) is summed every 0.5 s; the proportional set size (PSS: shared
pages split between the processes that map them) every 5 s. The figure is the ratio of the peaks at the
largest size to those at the smallest, measured in the same bench: flat is ~1.0 (target < 1.15).

Corpus: `--corpus real` repeats the real web pages of `../shared/data/web/web_docs_shared.jsonl` with
distinct ids (`<id>~<k>`) up to the size; `--corpus sample` uses the embedded sample corpus generator.

    python bench/bench_recycle_memory.py [--sizes 2000 8000] [--shard-docs 256] [--executor xenna] [--corpus real]
        [--backend precomputed]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "curator_stages"))
SHARED_WEB_DOCS = REPO.parent / "shared" / "data" / "web" / "web_docs_shared.jsonl"


# The settings the README's figure was measured with (recycle=tiny before it ran the paper's checks): the bench
# measures how memory scales with the corpus, so the filters only need to be the same at both sizes.
OLD_TINY_FILTERS = ("recycle.quality_scorer=auto", "recycle.quality_model=sample", "recycle.quality_threshold=0.0",
                    "recycle.organic_quality_threshold=0.0", "recycle.min_structure=null", "recycle.sampling.max_new_tokens=48")


def real_corpus(path: Path, n_docs: int) -> Path:
    """`n_docs` real web pages: the shared file's pages in order, again and again, each repeat with its own id."""
    pages = [json.loads(line) for line in SHARED_WEB_DOCS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for k, page in zip(range(n_docs), cycle(pages)):
            out.write(json.dumps({"id": f"{page['id']}~{k // len(pages)}", "text": page["text"]}) + "\n")
    return path


def first_chars_rewrites(corpus: Path, path: Path, chars: int) -> Path:
    """The precomputed rewrites: each document's first `chars` characters, under its id."""
    with path.open("w", encoding="utf-8") as out:
        for line in corpus.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            out.write(json.dumps({"id": doc["id"], "text": doc["text"][:chars]}) + "\n")
    return path


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def measure(args: list[str], log: Path) -> dict[str, float]:
    """Peak summed RSS and PSS (MB) of one CLI run's process tree, its largest process, and the wall time."""
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "nemo_repro.cli", *args], stdout=subprocess.DEVNULL, stderr=err)
    peaks = {"tree_rss_mb": 0.0, "tree_pss_mb": 0.0, "driver_rss_mb": 0.0, "largest_process_rss_mb": 0.0, "processes": 0}
    started = time.time()

    def sample() -> None:
        tick = 0
        while proc.poll() is None:
            procs = tree(proc.pid)
            rss = {}
            for p in procs:
                try:
                    rss[p.pid] = p.memory_info().rss / 2**20
                except psutil.Error:
                    pass
            if rss:
                peaks["tree_rss_mb"] = max(peaks["tree_rss_mb"], sum(rss.values()))
                peaks["driver_rss_mb"] = max(peaks["driver_rss_mb"], rss.get(proc.pid, 0.0))
                peaks["largest_process_rss_mb"] = max(peaks["largest_process_rss_mb"], max(rss.values()))
                peaks["processes"] = max(peaks["processes"], len(rss))
            if tick % 10 == 0:  # PSS reads every smaps: costly, so less often
                pss = 0.0
                for p in procs:
                    try:
                        pss += p.memory_full_info().pss / 2**20
                    except psutil.Error:
                        pass
                peaks["tree_pss_mb"] = max(peaks["tree_pss_mb"], pss)
            tick += 1
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    sampler.join()
    if rc != 0:
        raise SystemExit(f"recycle exited {rc}; see {log}:\n{log.read_text()[-3000:]}")
    return {**{k: round(v) for k, v in peaks.items()}, "wall_s": round(time.time() - started)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--shard-docs", type=int, default=256)
    parser.add_argument("--executor", default="xenna", choices=["xenna", "ray_data", "local"])
    parser.add_argument("--corpus", default="real", choices=["real", "sample"])
    parser.add_argument("--backend", default="precomputed", choices=["precomputed", "hf"])
    parser.add_argument("--rewrite-chars", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (run dirs, logs)")
    args = parser.parse_args()
    from recycle_fixtures import build_scripted_lm

    from nemo_repro.data.sample_corpus import write_corpus

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rephraser = build_scripted_lm(work / "rephraser")
        results = {}
        for n in sorted(args.sizes):
            docs = work / f"docs{n}.jsonl"
            corpus = real_corpus(docs, n) if args.corpus == "real" else write_corpus(docs, n_docs=n, seed=0)
            if args.backend == "precomputed":
                rewrites = first_chars_rewrites(corpus, work / f"rewrites{n}.jsonl", args.rewrite_chars)
                backend = ["recycle.backend=precomputed", f"recycle.rewrites={rewrites}", f"recycle.tokenizer={rephraser}"]
            else:
                backend = [f"recycle.rephraser={rephraser}"]
            cli = ["recycle", "recycle=tiny", f"recycle.input={corpus}", *backend, f"recycle.executor={args.executor}", "recycle.semantic_model=none", *OLD_TINY_FILTERS, f"recycle.shard_docs={args.shard_docs}", f"run.dir={work / f'run{n}'}", "run.progress=false"]
            results[n] = measure(cli, work / f"run{n}.log")
            print(json.dumps({"docs": n, **results[n]}), flush=True)
        sizes = sorted(results)
        small, large = results[sizes[0]], results[sizes[-1]]
        ratios = {k: round(large[k] / small[k], 3) for k in ("tree_rss_mb", "tree_pss_mb", "driver_rss_mb") if small[k]}
        print(json.dumps({"executor": args.executor, "backend": args.backend, "corpus": args.corpus, "shard_docs": args.shard_docs, "largest_over_smallest": ratios}))


if __name__ == "__main__":
    main()
