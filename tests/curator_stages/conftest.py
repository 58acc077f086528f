"""Fixtures of the recycling tests: a scripted tiny rephraser, a corpus with every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from recycle_fixtures import BAD_LINES, build_scripted_lm

@pytest.fixture(scope="session")
def scripted_rephraser_dir(tmp_path_factory) -> Path:
    """Tiny Qwen2 (512-token BPE) that always answers `SCRIPTED_ANSWER`."""
    return build_scripted_lm(tmp_path_factory.mktemp("scripted_rephraser"))

@pytest.fixture(scope="session")
def mixed_corpus(tmp_path_factory, sample_corpus_path) -> Path:
    """The 60-doc sample corpus with one line of each bad-input kind spliced in (and a blank line)."""
    good = sample_corpus_path.read_bytes().splitlines(keepends=True)
    out = tmp_path_factory.mktemp("mixed") / "mixed.jsonl"
    lines = good[:10] + list(BAD_LINES.values()) + [b"\n"] + good[10:]
    out.write_bytes(b"".join(lines))
    return out
