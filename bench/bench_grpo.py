"""GRPO step time with our rewards vs the same TRL trainer with a constant reward (the reward overhead).

    .venv/bin/python bench/bench_grpo.py [--steps 8]

Both runs use the `rl=tiny` policy, prompts and TRL settings; only the reward
functions differ. Prints mean step time of each and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def constant_reward(prompts, completions, **_):
    return [1.0] * len(completions)


def time_steps(cfg, reward_funcs, weights, policy, dataset, tokenizer, out_dir: Path, steps: int) -> float:
    """Mean seconds per optimizer step, first step (warm-up) excluded."""
    from transformers import TrainerCallback

    from nemo_repro.rl.train import grpo_args
    from nemo_repro.rl.trainer import ReproGRPOTrainer

    stamps: list[float] = []

    class Stamp(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            stamps.append(time.perf_counter())

    cfg.max_steps = steps + 1
    cfg.save_steps = 10_000
    args = grpo_args(cfg, out_dir, seed=0, progress=False, reward_weights=weights)
    trainer = ReproGRPOTrainer(model=str(policy), reward_funcs=reward_funcs, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=[Stamp()])
    trainer.train()
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is faster on a shared machine)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from transformers import AutoTokenizer

    from nemo_repro.config import load_config
    from nemo_repro.rewards import build_rewards
    from nemo_repro.rl.data import build_prompt_dataset, load_documents
    from nemo_repro.rl.reward_funcs import make_reward_funcs
    from nemo_repro.rl.train import prepare_policy

    cfg, _ = load_config(["rl=tiny"])
    rl = cfg.rl
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs = load_documents(None, rl.text_field, rl.max_doc_chars, max_docs=rl.max_docs)
        policy = prepare_policy(rl, docs, tmp, seed=0)
        tokenizer = AutoTokenizer.from_pretrained(str(policy))
        dataset, _ = build_prompt_dataset(docs.documents, tokenizer, rl.max_doc_chars, rl.max_prompt_length)
        funcs, weights = make_reward_funcs(build_rewards(rl.rewards, work_dir=tmp))
        print(f"torch threads {torch.get_num_threads()}; {rl.prompts_per_step} prompts x {rl.num_generations} completions/step, {rl.max_completion_length} new tokens")
        ours = time_steps(rl, funcs, weights, policy, dataset, tokenizer, tmp / "ours", args.steps)
        const = time_steps(rl, [constant_reward], [1.0], policy, dataset, tokenizer, tmp / "const", args.steps)
    print(f"step time: our rewards {ours:.3f} s, constant reward {const:.3f} s, ratio {ours / const:.2f}x (reward overhead {ours - const:+.3f} s/step)")


if __name__ == "__main__":
    main()
