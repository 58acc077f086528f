"""The RePro rewards, one module each, all batched: `score(originals, rephrasings) -> np.ndarray`.

| module | reward |
|---|---|
| `quality_lm` | DataMan-style LM rater: rating(rephrasing) - rating(original) |
| `quality_fasttext` | DCLM-style fastText: P(hq | rephrasing) - P(hq | original); `train_quality_fasttext` |
| `quality_heuristic` | NeMo Curator's Gopher/C4 heuristics as one score in [0, 1]: q(rephrasing) - q(original) |
| `calibrate` | the semantic threshold of an encoder, from random mismatched pairs |
| `semantic` | 1[BERTScore-F1(rephrasing, original) >= 0.65] over all 512-token windows (or truncated), raw F1 in the details |
| `structure` | deterministic structure signature, or the few-shot LLM judge |
| `length` | 1[chars(rephrasing) <= 1.25 chars(original)] |
| `format` | the marker is present (reads raw outputs) |
| `combine` | weighted sum over raw outputs: total and each component |

`build_rewards(cfg)` builds the configured set from `RewardsConfig`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.rl import RewardsConfig
from nemo_repro.rewards.base import Reward
from nemo_repro.rewards.combine import CombinedReward, RewardBreakdown
from nemo_repro.rewards.format import FormatReward
from nemo_repro.rewards.length import LengthReward

log = logging.getLogger(__name__)

SAMPLE_FASTTEXT_NAME = "quality_fasttext_sample.bin"


def build_quality_reward(cfg: RewardsConfig, work_dir: str | Path | None = None) -> Reward:
    """The configured quality scorer. fastText with no model trains one on the sample corpus into `work_dir`."""
    if cfg.quality_scorer == "lm":
        from nemo_repro.rewards.quality_lm import QualityLMReward

        if cfg.quality_model is None:
            raise ConfigError("rl.rewards.quality_model must name a local HF folder of the rater LM when quality_scorer=lm")
        return QualityLMReward(
            cfg.quality_model,
            max_input_tokens=cfg.quality_max_input_tokens,
            max_new_tokens=cfg.quality_max_new_tokens,
            unparseable_reward=cfg.quality_unparseable_reward,
            batch_size=cfg.batch_size,
            device=cfg.device,
        )
    if cfg.quality_scorer == "heuristic":
        from nemo_repro.rewards.quality_heuristic import QualityHeuristicReward

        return QualityHeuristicReward()
    from nemo_repro.rewards.quality_fasttext import QualityFastTextReward, train_quality_fasttext

    model_path = cfg.quality_model
    if model_path is None:
        if work_dir is None:
            raise ConfigError("rl.rewards.quality_model is null: a work_dir is needed to train the sample fastText classifier into")
        model_path = Path(work_dir) / SAMPLE_FASTTEXT_NAME
        if not model_path.exists():
            log.info("training the sample-corpus fastText quality classifier into %s", model_path)
            train_quality_fasttext(model_path)
    return QualityFastTextReward(model_path, label=cfg.fasttext_label)


def build_structure_reward(cfg: RewardsConfig) -> Reward:
    """The deterministic signature, or the LLM judge."""
    from nemo_repro.rewards.structure import StructureJudgeReward, StructureSignatureReward

    if cfg.structure_method == "signature":
        return StructureSignatureReward(cfg.structure_droppable)
    if cfg.structure_judge_model is None:
        raise ConfigError("rl.rewards.structure_judge_model must name a local HF folder when structure_method=judge")
    return StructureJudgeReward(cfg.structure_judge_model, max_input_tokens=cfg.quality_max_input_tokens, batch_size=cfg.batch_size, device=cfg.device)


def build_rewards(cfg: RewardsConfig, work_dir: str | Path | None = None) -> CombinedReward:
    """All five rewards with the configured weights (format is scored even at weight 0, as a diagnostic)."""
    from nemo_repro.rewards.semantic import SemanticReward

    semantic = SemanticReward(
        cfg.semantic_model,
        threshold=cfg.semantic_threshold,
        num_layers=cfg.semantic_num_layers,
        max_tokens=cfg.semantic_max_tokens,
        batch_size=cfg.batch_size,
        device=cfg.device,
        truncate=cfg.semantic_truncate,
    )
    rewards = [build_quality_reward(cfg, work_dir), semantic, build_structure_reward(cfg), LengthReward(cfg.length_ratio), FormatReward()]
    return CombinedReward(rewards, cfg.weights())


__all__ = ["CombinedReward", "Reward", "RewardBreakdown", "build_quality_reward", "build_rewards", "build_structure_reward"]
