import dataclasses

import pytest

from nemo_repro.config import ConfigError, RootConfig, field_docs, load_config
from nemo_repro.config.loader import GROUPS, expand_shorthand, group_options


def _all_schemas():
    seen, todo = [], [RootConfig]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        import typing

        for hint in typing.get_type_hints(cls).values():
            if isinstance(hint, type) and dataclasses.is_dataclass(hint):
                todo.append(hint)
    return seen


def test_every_schema_field_has_a_docstring():
    for cls in _all_schemas():
        docs = field_docs(cls)
        missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
        assert not missing, f"{cls.__name__} fields without a docstring: {missing}"


def test_defaults_compose_to_typed_config():
    cfg, raw = load_config([])
    assert isinstance(cfg, RootConfig)
    assert cfg.stages == ["rl", "recycle", "pretrain", "evaluate"]
    assert set(raw.keys()) >= set(GROUPS)


def test_every_group_option_composes():
    for group in GROUPS:
        for option in group_options(group):
            cfg, raw = load_config([f"{group}={option}"])
            assert raw[group] is not None


def test_override_types_are_converted():
    cfg, _ = load_config(["pretrain.train_iters=7", "cluster.exclusive=false", "run.dir=/tmp/x"])
    assert cfg.pretrain.train_iters == 7 and cfg.cluster.exclusive is False and cfg.run.dir == "/tmp/x"


@pytest.mark.parametrize(
    "override, expected",
    [
        ("pretrain.nonsense=1", "unknown config key 'pretrain.nonsense'. Valid keys under 'pretrain': "),
        ("nonsense=1", "unknown config key 'nonsense'"),
        ("pretrain.train_iters=abc", "bad value for 'pretrain.train_iters'"),
        ("rl=nope", "unknown option 'nope' for config group 'rl'. Choose one of: "),
        ("cluster.type=k8s", "cluster.type='k8s' is not valid; choose one of ['local', 'slurm']"),
        ("stages=[rl,bogus]", "stages[1]='bogus' is not valid"),
    ],
)
def test_bad_overrides_name_the_key(override, expected):
    with pytest.raises(ConfigError) as info:
        load_config([override])
    assert expected in str(info.value)


def test_unknown_key_lists_valid_choices():
    with pytest.raises(ConfigError) as info:
        load_config(["rl.max_stepz=3"])
    assert "max_steps" in str(info.value)


def test_shorthand_prefixes_subcommand_group_keys():
    assert expand_shorthand(["max_steps=3", "run.dir=x", "rl=tiny", "stages=[rl]"], "rl") == [
        "rl.max_steps=3",
        "run.dir=x",
        "rl=tiny",
        "stages=[rl]",
    ]
    assert expand_shorthand(["max_steps=3"], None) == ["max_steps=3"]
    cfg, _ = load_config(["max_steps=3"], subcommand="rl")
    assert cfg.rl.max_steps == 3


def test_selected_options_follow_the_defaults_list_and_overrides():
    from nemo_repro.config.loader import selected_options

    assert selected_options() == {"rl": "tiny", "recycle": "tiny", "pretrain": "tiny", "evaluate": "tiny", "cluster": "local"}
    assert selected_options(["pretrain=gpt_400m", "cluster=slurm"])["pretrain"] == "gpt_400m"
    with pytest.raises(ConfigError, match="unknown option 'nope' for config group 'rl'"):
        selected_options(["rl=nope"])
