"""Checks run before any job is written or submitted. Every problem names the key and the fix.

All problems are collected and raised together in one `ConfigError`, so a user fixes
a config in one pass instead of one submission attempt per mistake.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.root import RootConfig
from launcher.wiring import HANDOFFS, PATH_KEYS, canonical_order, get_key, path_exists, produced, reads_recycled_blend, recycle_tokenizer


def _host_path(path: str, mounts: list[str]) -> str:
    """Where a container path lives on the host, through `container_mounts` (`src:dst[:flags]`)."""
    for mount in mounts:
        src, _, rest = mount.partition(":")
        dst = rest.split(":")[0] or src
        if path == dst or path.startswith(dst.rstrip("/") + "/"):
            return src + path[len(dst.rstrip("/")) :]
    return path


def _tokenizer_mismatch(cfg: RootConfig, run_dir: Path) -> list[str]:
    """Pretraining on recycle's `.bin/.idx` needs the vocabulary recycle tokenized them with."""
    ours, theirs = cfg.pretrain.tokenizer, recycle_tokenizer(cfg)
    if not reads_recycled_blend(cfg, run_dir) or not ours or not theirs or os.path.abspath(ours) == os.path.abspath(theirs):
        return []
    return [
        f"pretrain.tokenizer={ours} differs from {theirs}, the tokenizer recycle writes its .bin files with "
        "(recycle.tokenizer, else recycle.rephraser): set pretrain.tokenizer and recycle.tokenizer to the same folder"
    ]


def problems(cfg: RootConfig, run_dir: Path) -> list[str]:
    """Every problem with `cfg` for launching into `run_dir`; empty when it is ready to go.

    `cfg` is the wired config (`launcher.wiring.wire`), so keys fed by earlier stages are set.
    """
    out: list[str] = []
    cluster = cfg.cluster
    if not cfg.stages:
        out.append("stages is empty: list the stages to run, e.g. stages=[recycle,pretrain,evaluate]")
    if len(set(cfg.stages)) != len(cfg.stages) or cfg.stages != canonical_order(cfg.stages):
        out.append(
            f"stages={cfg.stages} must name each stage at most once, in pipeline order: "
            f"use stages=[{','.join(canonical_order(cfg.stages))}]"
        )
    for name in cfg.env_vars:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            out.append(f"env_vars.{name} is not a valid environment variable name: use letters, digits and _, not starting with a digit")
    if cluster.type == "slurm":
        if not cluster.partition:
            out.append("cluster.partition is not set: SLURM needs one; pass cluster.partition=<name> (`sinfo -s` lists them)")
        if not cluster.account:
            out.append("cluster.account is not set: SLURM needs one; pass cluster.account=<name> (`sacctmgr show assoc user=$USER`)")
        if cluster.requires_container and not cfg.container:
            out.append(
                "container is not set but cluster.requires_container=true (jobs run in pyxis containers): "
                "pass container=<image>, e.g. container=nvcr.io/nvidia/nemo:25.07, or cluster.requires_container=false to run on the hosts"
            )
    if "pretrain" in cfg.stages:
        tp = cfg.pretrain.tensor_model_parallel_size
        pp = cfg.pretrain.pipeline_model_parallel_size
        if cluster.type == "slurm":
            world, world_key = cluster.nodes * cluster.gpus_per_node, "cluster.nodes*cluster.gpus_per_node"
        else:
            world, world_key = cluster.nproc_per_node, "cluster.nproc_per_node"
        if world % (tp * pp):
            out.append(
                f"{world_key}={world} is not divisible by pretrain.tensor_model_parallel_size*"
                f"pretrain.pipeline_model_parallel_size={tp}*{pp}: change the parallel sizes or the process count"
            )
    out += _tokenizer_mismatch(cfg, run_dir)
    for stage in cfg.stages:
        coming = produced(cfg, run_dir, stage)
        for key in PATH_KEYS[stage]:
            value = get_key(cfg, key)
            if value is None:
                feeder = next((h for h in HANDOFFS if h.consumer == key), None)
                if feeder is not None and feeder.required:
                    out.append(
                        f"{key} is not set and no earlier stage produces it: pass {key}=<path>, "
                        f"or run {feeder.producer} before {stage} in stages"
                    )
                continue
            path = str(value)
            if path in coming or path_exists(_host_path(path, cfg.container_mounts)):
                continue
            out.append(f"{key}={path} does not exist and no earlier stage produces it: fix the path or run the stage that writes it first")
    return out


def validate(cfg: RootConfig, run_dir: Path) -> None:
    """Raise one `ConfigError` listing every problem, before anything is written or submitted."""
    found = problems(cfg, run_dir)
    if found:
        raise ConfigError("launch cannot start:\n  - " + "\n  - ".join(found))
