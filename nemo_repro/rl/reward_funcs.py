"""Our rewards as TRL reward functions: one per component, weighted by TRL's `reward_weights`.

TRL calls `fn(prompts=..., completions=..., <dataset columns>..., log_metric=...)`
and logs `rewards/<fn name>/mean`; the `document` column carries the original.
Diagnostics (raw BERTScore F1, quality of each side) go out through
`log_metric` as `reward/<detail>`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from nemo_repro.rewards import CombinedReward


def completion_text(completion: Any) -> str:
    """The assistant text of a TRL completion (a string, or a list of chat messages)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role", "assistant") == "assistant")


def make_reward_funcs(combined: CombinedReward) -> tuple[list[Callable[..., list[float]]], list[float]]:
    """(reward functions, their weights) for `GRPOTrainer(reward_funcs=..., args=GRPOConfig(reward_weights=...))`."""
    funcs = []
    for name in combined.rewards:

        def reward_fn(prompts, completions, document, log_metric=None, _name=name, **_: Any) -> list[float]:
            outputs = [completion_text(c) for c in completions]
            scores, details = combined.score_component(_name, document, outputs)
            if log_metric is not None:
                for key, values in details.items():
                    if np.isfinite(values).any():
                        log_metric(f"reward/{key}", float(np.nanmean(values)))
            return scores.tolist()

        reward_fn.__name__ = name  # TRL names the metric `rewards/<name>/mean` after it
        funcs.append(reward_fn)
    return funcs, [combined.weights[n] for n in combined.rewards]
