"""The RePro reward: a weighted sum of the component rewards (paper: quality 3, semantic 1, structure 1, length 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from nemo_repro.prompts import parse_repro_output
from nemo_repro.rewards.base import Reward, check_pairs


@dataclass
class RewardBreakdown:
    """Per-pair rewards of one batch."""

    total: np.ndarray
    """Weighted sum of the components."""

    components: dict[str, np.ndarray]
    """Unweighted reward of each component, by name."""

    details: dict[str, np.ndarray]
    """Diagnostics of the components (`semantic_f1`, `quality_original`, ...)."""

    def means(self) -> dict[str, float]:
        """`reward/total`, `reward/<name>` and `reward/<detail>` batch means (the metric keys of `nemo-repro rl`)."""
        out = {"reward/total": float(np.mean(self.total))}
        out.update({f"reward/{k}": float(np.mean(v)) for k, v in self.components.items()})
        out.update({f"reward/{k}": float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in self.details.items()})
        return out


class CombinedReward:
    """Scores raw rephraser outputs: parses the marker once, runs each reward, weights the sum."""

    def __init__(self, rewards: Sequence[Reward], weights: Mapping[str, float]) -> None:
        names = [r.name for r in rewards]
        if len(set(names)) != len(names):
            raise ValueError(f"two rewards share a name: {names}")
        missing = [n for n in names if n not in weights]
        if missing:
            raise ValueError(f"no weight for rewards {missing}; weights given: {dict(weights)}")
        self.rewards = {r.name: r for r in rewards}
        self.weights = {n: float(weights[n]) for n in names}

    def score_component(self, name: str, originals: Sequence[str], outputs: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One component on raw outputs: the marker is parsed here unless the reward reads raw outputs."""
        check_pairs(originals, outputs)
        reward = self.rewards[name]
        texts = outputs if reward.uses_raw_output else [parse_repro_output(o).text for o in outputs]
        scores, details = reward.score_detailed(originals, texts)
        return np.asarray(scores, dtype=np.float64), details

    def score(self, originals: Sequence[str], outputs: Sequence[str]) -> RewardBreakdown:
        """Rewards of raw outputs (marker included) against their originals."""
        components: dict[str, np.ndarray] = {}
        details: dict[str, np.ndarray] = {}
        for name in self.rewards:
            components[name], extra = self.score_component(name, originals, outputs)
            details.update(extra)
        total = sum(self.weights[n] * components[n] for n in components)
        return RewardBreakdown(total=np.asarray(total, dtype=np.float64), components=components, details=details)
