"""The stage command lines carry exactly the launcher's config: values round-trip through Hydra."""

from __future__ import annotations

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from launcher.overrides import hydra_value, stage_overrides
from nemo_repro.config.loader import load_config

PARSER = OverridesParser.create()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10**12, 10**12),
    st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
)


def _parse(value_text: str):
    """What the stage sees: Hydra's parse of the override, then OmegaConf's resolution of the composed config."""
    parsed = PARSER.parse_override(f"key={value_text}").value()
    return OmegaConf.to_container(OmegaConf.create({"key": parsed}), resolve=True)["key"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(scalars, st.lists(scalars, max_size=4)))
def test_hydra_value_parses_back_to_the_same_value(value):
    back = _parse(hydra_value(value))
    assert back == value
    if not isinstance(value, list):
        assert type(back) is type(value)


def test_hydra_value_quotes_what_would_change_type():
    assert hydra_value("/abs/path-1.json") == "/abs/path-1.json"
    for text in ("true", "Null", "1e3", "04:00:00", "a b", "x,y", "${oc.env:HOME}", "a\\${x}", "\\\\${y}", "${z", "$(touch x)", ""):
        assert hydra_value(text).startswith("'"), text
        assert _parse(hydra_value(text)) == text
    with pytest.raises(TypeError, match="dict key"):
        hydra_value({"a b": 1})


def test_only_changed_keys_are_passed():
    cfg, _ = load_config(["pretrain.train_iters=7", "pretrain.data=/x/blend.json", "run.seed=5", "rl.max_steps=3"], "launch")
    assert stage_overrides(cfg, "pretrain") == ["pretrain.data=/x/blend.json", "pretrain.train_iters=7", "run.seed=5"]
    assert stage_overrides(cfg, "evaluate") == ["run.seed=5"]


@pytest.mark.parametrize("stage", ["rl", "recycle", "pretrain", "evaluate"])
def test_stage_overrides_recompose_the_launchers_config(stage):
    """What the stage composes from its command line equals what the launcher validated."""
    launch_overrides = {
        "rl": ["rl=repro_4b", "rl.learning_rate=3e-6", "rl.data=/d/docs with space.jsonl"],
        "recycle": ["recycle.method=rewire", "recycle.organic_to_recycled=0.5", "recycle.input='/d/*.jsonl'"],
        # num_layers=24 is the schema default but not the tiny YAML's: the diff is against the composition.
        "pretrain": ["pretrain.num_layers=24", "pretrain.tensor_model_parallel_size=2", "pretrain.lr=1e-4"],
        "evaluate": ["evaluate.tasks=[arc_easy,hellaswag]", "evaluate.limit=5"],
    }[stage]
    cfg, _ = load_config([*launch_overrides, "run.log_level=DEBUG"], "launch")
    again, _ = load_config(stage_overrides(cfg, stage), stage)
    assert getattr(again, stage) == getattr(cfg, stage)
    assert again.run.log_level == "DEBUG"
