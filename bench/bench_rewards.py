"""Reward throughput on CPU (documents/s) and our BERTScore against the `bert_score` library.

    .venv/bin/python bench/bench_rewards.py [--docs 64]

Pairs: sample-corpus pages (original) and their article bodies (rephrasing),
both cut to 2,000 characters. Prints docs/s per reward, then the max |F1 diff|
against `bert_score.score(..., model_type=<same MiniLM folder>, num_layers=6)`
and the speed ratio. The LM rater and judge run a tiny random Qwen2 here
(architecture cost only; a real rater is ~1.5B parameters).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=6, help="alternating timing rounds of ours vs bert_score")
    args = parser.parse_args()

    import bert_score
    import torch

    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import build_tiny_causal_lm, train_bpe_tokenizer
    from nemo_repro.rewards.format import FormatReward
    from nemo_repro.rewards.length import LengthReward
    from nemo_repro.rewards.quality_fasttext import QualityFastTextReward, train_quality_fasttext
    from nemo_repro.rewards.quality_lm import QualityLMReward
    from nemo_repro.rewards.semantic import SemanticReward, default_encoder_path
    from nemo_repro.rewards.structure import StructureJudgeReward, StructureSignatureReward

    docs = list(generate_corpus(args.docs, seed=3))
    originals = [d["text"][:2000] for d in docs]
    rephrasings = [d["clean_text"][:2000] for d in docs]
    n = len(originals)
    print(f"{n} pairs, torch threads {torch.get_num_threads()}")

    with tempfile.TemporaryDirectory() as tmp:
        tok = train_bpe_tokenizer((d["text"] for d in docs), vocab_size=512)
        lm_dir = build_tiny_causal_lm(tok, Path(tmp) / "lm")
        rewards = {
            "length": LengthReward(),
            "format": FormatReward(),
            "structure_signature": StructureSignatureReward(),
            "quality_fasttext": QualityFastTextReward(train_quality_fasttext(Path(tmp) / "q.bin")),
            "semantic_minilm": SemanticReward(device="cpu", batch_size=16),
            "quality_lm_tiny": QualityLMReward(str(lm_dir), max_input_tokens=512, max_new_tokens=8, device="cpu"),
            "structure_judge_tiny": StructureJudgeReward(str(lm_dir), max_input_tokens=512, device="cpu"),
        }
        print(f"{'reward':<24}{'docs/s':>12}")
        for name, reward in rewards.items():
            _, seconds = timed(reward.score, originals, rephrasings)
            print(f"{name:<24}{n / seconds:>12.1f}")

        ours = rewards["semantic_minilm"]
        out = {}

        def run_ours() -> None:
            out["ours"] = ours.f1(originals, rephrasings)

        def run_lib() -> None:
            out["lib"] = bert_score.score(rephrasings, originals, model_type=str(default_encoder_path()), num_layers=6, batch_size=16)[2]

        # Alternating rounds, each side timed whole: the machine may be shared.
        times = alternate({"ours": run_ours, "bert_score": run_lib}, rounds=args.rounds)
        diff = float(np.abs(out["ours"] - out["lib"].numpy()).max())
        t_ours, t_lib = statistics.median(times["ours"]), statistics.median(times["bert_score"])
        print(f"\nBERTScore F1 vs bert_score: max |diff| = {diff:.2e} ({'OK' if diff < 1e-4 else 'MISMATCH'} at 1e-4)")
        print(f"speed (bert_score includes its model load): ours {n / t_ours:.1f} docs/s, bert_score {n / t_lib:.1f} docs/s (medians)")
        print(RatioStats.of(times["bert_score"], times["ours"]).describe("speed-up ours / bert_score (x)"))


if __name__ == "__main__":
    main()
