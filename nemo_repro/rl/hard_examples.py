"""Hard-example prompt sampling (Escaping Collapse, Amin et al. 2025) for GRPO.

Prompts whose recent group-mean reward is low are drawn more often:
    p_i = (1 - floor) * softmax(-m_i / T)_i + floor / N
where m_i is the mean of prompt i's last `window` group-mean rewards (prompts
not seen yet get the mean over seen prompts, i.e. neutral weight). The floor
keeps every prompt's probability at least floor / N, so none starves.

The sampler yields indices in the layout TRL's `RepeatSampler` does (each
prompt `num_generations` times in a row, the generation batch repeated
`num_iterations * steps_per_generation` times), so GRPO's grouping is
untouched; it reads the tracker lazily, so each batch uses the latest rewards.
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler


class HardExampleTracker:
    """Recent group-mean rewards per prompt and the sampling weights they imply."""

    def __init__(self, n_prompts: int, window: int = 4, temperature: float = 1.0, floor: float = 0.2) -> None:
        self.n_prompts = n_prompts
        self.window = window
        self.temperature = temperature
        self.floor = floor
        self.history: dict[int, deque] = {}
        self.last_drawn: list[int] = []

    def update(self, prompt_indices: Sequence[int], rewards: Sequence[float]) -> None:
        """Record one batch: per-completion prompt index and total reward (grouped here by prompt)."""
        sums: dict[int, list[float]] = {}
        for idx, reward in zip(prompt_indices, rewards):
            if not math.isnan(reward):
                sums.setdefault(int(idx), []).append(float(reward))
        for idx, values in sums.items():
            self.history.setdefault(idx, deque(maxlen=self.window)).append(float(np.mean(values)))

    def recent_means(self) -> np.ndarray:
        """Recent mean reward per prompt; unseen prompts get the mean over seen ones (0 before any)."""
        means = np.full(self.n_prompts, np.nan)
        for idx, values in self.history.items():
            means[idx] = float(np.mean(values))
        seen = means[~np.isnan(means)]
        return np.where(np.isnan(means), seen.mean() if seen.size else 0.0, means)

    def probabilities(self) -> np.ndarray:
        """Sampling probability of each prompt (sums to 1, each >= floor / N)."""
        logits = -self.recent_means() / self.temperature
        soft = np.exp(logits - logits.max())
        soft /= soft.sum()
        return (1.0 - self.floor) * soft + self.floor / self.n_prompts

    def stats(self) -> dict[str, float]:
        """How far sampling is from uniform, and how hard the last drawn prompts were (the sampler's effect)."""
        p = self.probabilities()
        means = self.recent_means()
        out = {
            "sampler/effective_prompts_frac": float(1.0 / np.sum(p**2) / self.n_prompts),
            "sampler/max_prob_over_uniform": float(p.max() * self.n_prompts),
            "sampler/min_prob_over_uniform": float(p.min() * self.n_prompts),
            "sampler/recent_reward_all": float(means.mean()),
        }
        if self.last_drawn:
            out["sampler/recent_reward_drawn"] = float(means[self.last_drawn].mean())
        return out

    def state_dict(self) -> dict:
        return {"history": {str(k): list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.history = {int(k): deque(v, maxlen=self.window) for k, v in state["history"].items()}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.state_dict()), encoding="utf-8")

    def load(self, path: Path) -> None:
        self.load_state_dict(json.loads(path.read_text(encoding="utf-8")))


class HardExampleSampler(Sampler[int]):
    """Drop-in for TRL's `RepeatSampler` that draws each generation batch's prompts from the tracker's weights."""

    def __init__(self, tracker: HardExampleTracker, mini_repeat_count: int, batch_size: int, repeat_count: int = 1, seed: int = 0) -> None:
        self.tracker = tracker
        self.mini_repeat_count = mini_repeat_count
        self.batch_size = batch_size
        self.repeat_count = repeat_count
        self.generator = torch.Generator().manual_seed(seed)
        self.batches_per_epoch = max(1, tracker.n_prompts // batch_size)

    def __iter__(self) -> Iterator[int]:
        for _ in range(self.batches_per_epoch):
            probs = torch.as_tensor(self.tracker.probabilities(), dtype=torch.float64)
            replacement = self.batch_size > self.tracker.n_prompts
            batch = torch.multinomial(probs, self.batch_size, replacement=replacement, generator=self.generator).tolist()
            self.tracker.last_drawn = batch
            for _ in range(self.repeat_count):
                for index in batch:
                    yield from [index] * self.mini_repeat_count

    def __len__(self) -> int:
        return self.batches_per_epoch * self.batch_size * self.mini_repeat_count * self.repeat_count
