"""TRL's GRPOTrainer with the two hooks RePro needs, and the callback that writes our metrics.

- `ReproGRPOTrainer`: when a `HardExampleTracker` is given, prompts are drawn
  by `HardExampleSampler` and every batch's total rewards (gathered over all
  processes, so every rank's sampler stays identical) update the tracker.
- `RunMetricsCallback`: translates TRL's per-step logs into the run's
  `metrics.jsonl` keys (`reward/total`, `reward/<name>`, `kl`, `completion_length`, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from transformers import TrainerCallback
from trl import GRPOTrainer

from nemo_repro.rl.hard_examples import HardExampleSampler, HardExampleTracker

TRACKER_FILE = "hard_examples.json"

# TRL log key -> our metrics key.
RENAMES = {
    "reward": "reward/total",
    "reward_std": "reward/total_std",
    "kl": "kl",
    "completions/mean_length": "completion_length",
    "completions/clipped_ratio": "completion_clipped_ratio",
    "entropy": "entropy",
    "loss": "loss",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "step_time": "step_time",
}


class ReproGRPOTrainer(GRPOTrainer):
    """GRPOTrainer plus the optional hard-example sampler."""

    def __init__(self, *args, tracker: Optional[HardExampleTracker] = None, **kwargs) -> None:
        self.tracker = tracker
        super().__init__(*args, **kwargs)

    def _get_train_sampler(self, dataset=None):
        if self.tracker is None:
            return super()._get_train_sampler(dataset)
        return HardExampleSampler(
            self.tracker,
            mini_repeat_count=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
            seed=self.args.seed,
        )

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        if self.tracker is not None:
            import torch
            from accelerate.utils import gather_object

            weights = torch.tensor(self.args.reward_weights or [1.0] * rewards_per_func.shape[1], device=rewards_per_func.device)
            totals = (rewards_per_func * weights.unsqueeze(0)).nansum(dim=1).tolist()
            indices = gather_object([int(x["prompt_index"]) for x in inputs])
            self.tracker.update(indices, totals)
            for key, value in self.tracker.stats().items():
                self._log_metric(key, value)
        return rewards_per_func


def translate_logs(logs: dict) -> dict:
    """Our metric row from one TRL log dict: renamed core keys, per-reward means, diagnostics."""
    row = {ours: logs[theirs] for theirs, ours in RENAMES.items() if theirs in logs}
    for key, value in logs.items():
        if key.startswith("rewards/") and key.endswith("/mean"):
            row[f"reward/{key.split('/')[1]}"] = value
        elif key.startswith("rewards/") and key.endswith("/std"):
            row[f"reward/{key.split('/')[1]}_std"] = value
        elif key.startswith(("reward/", "sampler/")):
            row[key] = value
    return row


class RunMetricsCallback(TrainerCallback):
    """Writes one `metrics.jsonl` row per logged training step (rank 0; the logger ignores other ranks)."""

    def __init__(self, metrics_logger) -> None:
        self.metrics = metrics_logger

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "reward" in logs:  # the end-of-training summary has no reward: skip it
            self.metrics.log(state.global_step, translate_logs(logs))


class TrackerCheckpointCallback(TrainerCallback):
    """Saves the hard-example tracker into each checkpoint folder, so a resumed run samples as before."""

    def __init__(self, tracker: HardExampleTracker) -> None:
        self.tracker = tracker

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                self.tracker.save(folder / TRACKER_FILE)
