"""Peak memory of `nemo-repro recycle` against the corpus size: the driver and its stages must not grow with
the number of documents (shards are read, processed and committed one at a time).

Each size runs in a fresh process (`local` executor, the scripted tiny rephraser of the tests, no BERTScore);
its peak RSS is read from `getrusage(RUSAGE_CHILDREN)`. The figure is the ratio of the peak at the largest
size to the peak at the smallest, measured in the same bench: flat is ~1.0 (target < 1.15).

    python bench/bench_recycle_memory.py [--sizes 2000 8000] [--shard-docs 256]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "curator_stages"))


def peak_rss_mb(args: list[str]) -> float:
    """Peak RSS (MB) of one CLI run in a child process (the largest child so far: sizes run smallest first)."""
    subprocess.run([sys.executable, "-m", "nemo_repro.cli", *args], check=True, stdout=subprocess.DEVNULL)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--shard-docs", type=int, default=256)
    args = parser.parse_args()
    from recycle_fixtures import build_scripted_lm

    from nemo_repro.data.sample_corpus import write_corpus

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rephraser = build_scripted_lm(work / "rephraser")
        peaks = {}
        for n in sorted(args.sizes):
            corpus = write_corpus(work / f"docs{n}.jsonl", n_docs=n, seed=0)
            peaks[n] = peak_rss_mb(["recycle", "recycle=tiny", f"recycle.input={corpus}", f"recycle.rephraser={rephraser}", "recycle.executor=local",
                                    "recycle.semantic_model=none", f"recycle.shard_docs={args.shard_docs}", f"run.dir={work / f'run{n}'}", "run.progress=false"])
        sizes = sorted(peaks)
        print(json.dumps({"peak_rss_mb": {str(n): round(peaks[n]) for n in sizes}, "largest_over_smallest": round(peaks[sizes[-1]] / peaks[sizes[0]], 3)}))


if __name__ == "__main__":
    main()
