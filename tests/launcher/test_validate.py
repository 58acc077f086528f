"""Each validation error is raised before anything is written, and names the key and the fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from launcher.launch import launch
from launcher.validate import problems
from launcher.wiring import HANDOFFS, PATH_KEYS, get_key, wire
from nemo_repro.config.cluster import ClusterConfig
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.loader import GROUPS
from nemo_repro.config.root import RootConfig

RUN = Path("/results/run")


def _slurm(**cluster) -> ClusterConfig:
    base = dict(type="slurm", partition="batch", account="acct", gpus_per_node=8, requires_container=True)
    return ClusterConfig(**{**base, **cluster})


def _cfg(stages=("pretrain",), cluster=None, **root) -> RootConfig:
    cfg = RootConfig(stages=list(stages), cluster=cluster or _slurm(), container=root.pop("container", "nvcr.io/nvidia/nemo:25.07"), **root)
    return wire(cfg, RUN)


def _one(cfg: RootConfig) -> str:
    found = problems(cfg, RUN)
    assert len(found) == 1, found
    return found[0]


def test_a_good_config_has_no_problems():
    assert problems(_cfg(), RUN) == []


def test_missing_partition():
    assert _one(_cfg(cluster=_slurm(partition=None))).startswith("cluster.partition is not set")
    assert "cluster.partition=<name>" in _one(_cfg(cluster=_slurm(partition=None)))


def test_missing_account():
    msg = _one(_cfg(cluster=_slurm(account=None)))
    assert msg.startswith("cluster.account is not set") and "cluster.account=<name>" in msg


def test_container_required_by_the_cluster():
    msg = _one(_cfg(container=None))
    assert "cluster.requires_container=true" in msg and "container=<image>" in msg
    assert problems(_cfg(container=None, cluster=_slurm(requires_container=False)), RUN) == []


@pytest.mark.parametrize(
    "cluster, key",
    [(_slurm(nodes=1, gpus_per_node=3), "cluster.nodes*cluster.gpus_per_node=3"), (ClusterConfig(type="local", nproc_per_node=3), "cluster.nproc_per_node=3")],
)
def test_world_not_divisible_by_model_parallel(cluster, key):
    cfg = _cfg(cluster=cluster)
    cfg.pretrain.tensor_model_parallel_size = 2
    msg = _one(cfg)
    assert msg.startswith(key) and "pretrain.tensor_model_parallel_size*pretrain.pipeline_model_parallel_size=2*1" in msg


def test_stages_out_of_order_or_repeated():
    assert "use stages=[pretrain,evaluate]" in problems(_cfg(stages=["evaluate", "pretrain"]), RUN)[0]
    assert "use stages=[pretrain]" in _one(_cfg(stages=["pretrain", "pretrain"]))
    assert _one(_cfg(stages=[])).startswith("stages is empty")


def test_input_path_must_exist(tmp_path):
    cfg = _cfg()
    cfg.pretrain.tokenizer = str(tmp_path / "missing_tokenizer")
    msg = _one(cfg)
    assert msg.startswith(f"pretrain.tokenizer={tmp_path}/missing_tokenizer does not exist")
    (tmp_path / "missing_tokenizer").mkdir()
    assert problems(cfg, RUN) == []


def test_path_produced_by_an_earlier_stage_is_accepted():
    cfg = _cfg(stages=["pretrain", "evaluate"])
    assert cfg.evaluate.model == f"{RUN}/pretrain/checkpoints"
    assert problems(cfg, RUN) == []


def test_required_input_without_a_producer():
    msg = _one(_cfg(stages=["evaluate"]))
    assert msg == "evaluate.model is not set and no earlier stage produces it: pass evaluate.model=<path>, or run pretrain before evaluate in stages"


def test_container_paths_are_checked_on_the_host_through_the_mounts(tmp_path):
    (tmp_path / "tok").mkdir()
    cfg = _cfg(container_mounts=[f"{tmp_path}:/data"])
    cfg.pretrain.tokenizer = "/data/tok"
    assert problems(cfg, RUN) == []
    cfg.pretrain.tokenizer = "/data/other"
    assert "pretrain.tokenizer=/data/other does not exist" in _one(cfg)


def test_all_problems_are_reported_together_and_nothing_is_written(tmp_path):
    cfg = RootConfig(stages=["evaluate"], cluster=_slurm(partition=None, account=None))
    with pytest.raises(ConfigError) as info:
        launch(cfg, tmp_path / "run")
    text = str(info.value)
    for key in ("cluster.partition", "cluster.account", "container is not set", "evaluate.model"):
        assert key in text
    assert not (tmp_path / "run").exists()


def test_wiring_fills_only_unset_keys_of_later_stages():
    cfg = RootConfig(stages=["rl", "recycle", "pretrain", "evaluate"])
    cfg.pretrain.data = "/mine/blend.json"
    wired = wire(cfg, RUN)
    assert wired.recycle.rephraser == f"{RUN}/rl/final"
    assert wired.pretrain.data == "/mine/blend.json", "an explicit value wins"
    assert wired.evaluate.model == f"{RUN}/pretrain/checkpoints"
    assert cfg.recycle.rephraser is None, "wire() returns a copy"
    assert wire(RootConfig(stages=["recycle", "evaluate"]), RUN).evaluate.model is None


def test_wiring_and_path_keys_name_real_config_fields():
    cfg = RootConfig()
    for key in [h.consumer for h in HANDOFFS] + [k for keys in PATH_KEYS.values() for k in keys]:
        group, name = key.split(".")
        assert name in {f.name for f in dataclasses.fields(GROUPS[group])}, key
        get_key(cfg, key)


def test_pretraining_on_recycled_tokens_uses_recycles_tokenizer(tmp_path):
    cfg = RootConfig(stages=["rl", "recycle", "pretrain"])
    assert wire(cfg, RUN).pretrain.tokenizer == f"{RUN}/rl/final", "the rephraser's tokenizer, as recycle uses it"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    cfg.recycle.tokenizer = str(tmp_path / "a")
    assert wire(cfg, RUN).pretrain.tokenizer == str(tmp_path / "a")
    cfg.pretrain.tokenizer = str(tmp_path / "b")
    cfg.recycle.rephraser = str(tmp_path / "a")
    msg = _one(_cfg(stages=["recycle", "pretrain"], recycle=cfg.recycle, pretrain=cfg.pretrain))
    assert msg.startswith(f"pretrain.tokenizer={tmp_path}/b differs from {tmp_path}/a") and "same folder" in msg


def test_env_var_names_must_be_exportable():
    msg = _one(_cfg(env_vars={"HF_HOME": "/x", "BAD-NAME": "1"}))
    assert msg.startswith("env_vars.BAD-NAME is not a valid environment variable name")


def test_openai_rephraser_is_a_served_name_not_a_path():
    from nemo_repro.config.recycle import RecycleConfig

    recycle = RecycleConfig(backend="openai", base_url="http://gpu-node:8000/v1", rephraser="repro-4b")
    assert problems(_cfg(stages=["recycle"], recycle=recycle), RUN) == []


def test_recycle_needs_a_rephraser_given_or_trained_in_the_same_launch():
    assert _one(_cfg(stages=["recycle"])).startswith("recycle.rephraser is not set and no earlier stage produces it")
    assert problems(_cfg(stages=["rl", "recycle"]), RUN) == []


def test_precomputed_rewrites_need_no_rephraser_and_are_mounted(tmp_path, monkeypatch):
    from launcher.mounts import container_mounts

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text("{}\n")
    (tmp_path / "rw").mkdir()
    (tmp_path / "rw" / "a.jsonl").write_text("{}\n")
    (tmp_path / "cal.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    cfg = RootConfig(stages=["recycle"], cluster=_slurm(), container="img")
    cfg.recycle.backend, cfg.recycle.input, cfg.recycle.rewrites = "precomputed", "in/docs.jsonl", "rw/*.jsonl"
    cfg.recycle.min_semantic_f1 = "cal.json"
    wired = wire(cfg, RUN, tmp_path)
    assert problems(wired, RUN) == []
    assert wired.recycle.rewrites == f"{tmp_path}/rw/*.jsonl" and wired.recycle.min_semantic_f1 == f"{tmp_path}/cal.json"
    mounts = container_mounts(wired, RUN)
    assert f"{tmp_path}/rw:{tmp_path}/rw" in mounts
    cfg.recycle.min_semantic_f1 = "auto"
    assert wire(cfg, RUN, tmp_path).recycle.min_semantic_f1 == "auto", "a word, not a path"


def test_paths_become_absolute_and_unmountable_ones_are_refused(tmp_path, monkeypatch):
    from launcher.mounts import container_mounts

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text("{}\n")
    (tmp_path / "models:x").mkdir()
    monkeypatch.chdir(tmp_path)
    cfg = RootConfig(stages=["recycle"], cluster=_slurm(), container="img")
    cfg.recycle.input, cfg.recycle.rephraser = "in/docs.jsonl", "models:x"
    wired = wire(cfg, RUN, tmp_path)
    assert wired.recycle.input == f"{tmp_path}/in/docs.jsonl"
    assert f"{tmp_path}/in:{tmp_path}/in" in container_mounts(wired, RUN)
    msg = _one(wired)
    assert msg.startswith(f"recycle.rephraser='{tmp_path}/models:x' must be mounted into the container") and "`,` or `:`" in msg


def test_a_url_with_credentials_is_refused_without_echoing_it():
    from nemo_repro.config.recycle import RecycleConfig

    recycle = RecycleConfig(backend="openai", base_url="http://bob:s3cr3t-xyz@gpu-node:8000/v1", rephraser="m")
    msg = _one(_cfg(stages=["recycle"], recycle=recycle))
    assert msg.startswith("recycle.base_url holds a URL with credentials") and "s3cr3t" not in msg
