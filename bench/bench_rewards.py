"""Reward throughput on CPU (documents/s) and our BERTScore against the `bert_score` library.

    .venv/bin/python bench/bench_rewards.py [--docs 64]

Pairs: sample-corpus pages (original) and their article bodies (rephrasing),
both cut to 2,000 characters. Prints docs/s per reward, then the max |F1 diff|
against `bert_score.score(..., model_type=<same MiniLM folder>, num_layers=6)`
and the speed ratio, for the default windowed reward on the pairs whose texts
both fit one 512-token window (where it must equal `bert_score`) and for
`truncate=True` (the paper's form) on all pairs. The LM rater and judge run a tiny random Qwen2 here
(architecture cost only; a real rater is ~1.5B parameters).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="alternating timing rounds of ours vs bert_score")
    parser.add_argument("--semantic-only", action="store_true", help="only the BERTScore comparison against bert_score")
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
            if args.semantic_only:
                break
            _, seconds = timed(reward.score, originals, rephrasings)
            print(f"{name:<24}{n / seconds:>12.1f}")

        windowed = rewards["semantic_minilm"]
        fit = [i for i in range(n) if len(windowed._windows(originals[i])[0]) == 1 and len(windowed._windows(rephrasings[i])[0]) == 1]
        cases = {
            f"windowed (default), {len(fit)} pairs that fit one window": (windowed, [originals[i] for i in fit], [rephrasings[i] for i in fit]),
            f"truncate=True (paper), all {n} pairs": (SemanticReward(device="cpu", batch_size=16, truncate=True), originals, rephrasings),
        }
        for label, (ours, refs, cands) in cases.items():
            # Alternate the two and keep each one's best time: the machine may be shared.
            t_ours = t_lib = float("inf")
            for _ in range(args.rounds):
                f1_ours, t = timed(ours.f1, refs, cands)
                t_ours = min(t_ours, t)
                (_, _, f1_lib), t = timed(
                    lambda: bert_score.score(cands, refs, model_type=str(default_encoder_path()), num_layers=6, batch_size=16)
                )
                t_lib = min(t_lib, t)
            diff = float(np.abs(f1_ours - f1_lib.numpy()).max())
            print(f"\nBERTScore F1, {label}, vs bert_score: max |diff| = {diff:.2e} ({'OK' if diff < 1e-4 else 'MISMATCH'} at 1e-4)")
            print(f"speed (bert_score includes its model load): ours {len(refs) / t_ours:.1f} docs/s, bert_score {len(refs) / t_lib:.1f} docs/s, ratio ours/bert_score = {t_lib / t_ours:.2f}x")


if __name__ == "__main__":
    main()
