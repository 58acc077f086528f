"""Evaluation throughput: our lm-eval adapter vs lm-eval's own `hf` model, same weights, same task.

Both run through the same lm-eval pipeline (`nemo_repro.evaluate.runner.run_lm_eval`) on a
tiny random Qwen2 (2 layers, d=64, 512-token BPE); ours is `LogitsLM` over the model's
forward (the code path of `nemo_repro_megatron`), the peer is `lm_eval.models.huggingface.HFLM`.
The task is ARC-Easy from ../shared/data when present, else the embedded sample MC task.
Runs alternate over `--repeats` rounds (`measure.alternate`); the median of the per-round
ratios is reported with its spread (fair on a shared CPU).

    .venv/bin/python bench/bench_evaluate.py [--shots 0] [--limit 200] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package

SHARED_ARC = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval" / "arc_easy_200.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=int, default=0)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds (one evaluation of each side per round)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 avoids spin collapse on a busy CPU)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    torch.set_num_threads(args.threads)

    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.evaluate.lm import LogitsLM
    from nemo_repro.evaluate.runner import run_lm_eval
    from nemo_repro.evaluate.sample_tasks import write_sample_tasks
    from nemo_repro.evaluate.suite import get_task
    from nemo_repro.models.tiny import build_tiny_causal_lm, train_bpe_tokenizer
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=512, out_dir=tmp / "tok")
        model_dir = build_tiny_causal_lm(AutoTokenizer.from_pretrained(str(tmp / "tok")), tmp / "model", arch="qwen2")
        if SHARED_ARC.is_file():
            spec, data = get_task("arc_easy"), SHARED_ARC
        else:
            spec, data = get_task("sample_next_sentence"), write_sample_tasks(tmp / "data", n_per_task=args.limit) / "sample_next_sentence.jsonl"
        tasks = {dataclasses.replace(spec, num_fewshot=args.shots): data}

        hf = HFLM(pretrained=str(model_dir), batch_size=args.batch_size, device="cpu")
        model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
        ours = LogitsLM(lambda ids: model(ids).logits, HFTokenizer(model_dir), max_length=hf.max_length, batch_size=args.batch_size)

        counts = {}

        def side(name: str, lm) -> None:
            out = run_lm_eval(lm, tasks, tmp / name.split()[0], limit=args.limit)
            counts[name] = len(out["samples"][spec.name])

        times = alternate({"ours (LogitsLM)": lambda: side("ours", ours), "lm-eval hf": lambda: side("hf", hf)}, rounds=args.repeats)
        n = counts["ours"]

    print(f"task {spec.name}, {args.shots}-shot, {n} examples, batch {args.batch_size}, {args.threads} thread(s), {args.repeats} rounds")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"  {name:<16} {n / median:8.1f} examples/s  ({median:.2f} s, median)")
    print("  " + RatioStats.of(times["lm-eval hf"], times["ours (LogitsLM)"]).describe("speed ratio ours / hf (x)"))


if __name__ == "__main__":
    main()
