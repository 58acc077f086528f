"""Checks run before any job is written or submitted. Every problem names the key and the fix.

All problems are collected and raised together in one `ConfigError`, so a user fixes
a config in one pass instead of one submission attempt per mistake.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Iterator

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.root import RootConfig
from nemo_repro.secrets import redact
from launcher.mounts import auto_mounts, exists_on_host
from launcher.wiring import HANDOFFS, PATH_KEYS, canonical_order, get_key, is_path_value, needs_key, produced, reads_recycled_blend, recycle_tokenizer

# Values of `#SBATCH` options: sbatch parses those lines itself, so only plain words pass.
_SBATCH_WORD = re.compile(r"[A-Za-z0-9_.:,@+/\-]*")
_SBATCH_KEYS = ("cluster.partition", "cluster.account", "cluster.time", "cluster.job_name_prefix")
# In #SBATCH --chdir/--output paths, whitespace and quotes would split the option and `%` is a filename pattern.
_SBATCH_PATH_BAD = re.compile(r"[\s'\"\\%]")
_LINE_BREAKING = ("\n", "\r", "\0")


def _tokenizer_mismatch(cfg: RootConfig, run_dir: Path) -> list[str]:
    """Pretraining on recycle's `.bin/.idx` needs the vocabulary recycle tokenized them with."""
    ours, theirs = cfg.pretrain.tokenizer, recycle_tokenizer(cfg)
    if not reads_recycled_blend(cfg, run_dir) or not ours or not theirs or os.path.abspath(ours) == os.path.abspath(theirs):
        return []
    return [
        f"pretrain.tokenizer={ours} differs from {theirs}, the tokenizer recycle writes its .bin files with "
        "(recycle.tokenizer, else recycle.rephraser): set pretrain.tokenizer and recycle.tokenizer to the same folder"
    ]


def _leaves(node: Any, key: str) -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar in the config, with list items as `key[i]` and dict items as `key.name`."""
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from _leaves(getattr(node, f.name), f"{key}.{f.name}" if key else f.name)
    elif isinstance(node, dict):
        for name, value in node.items():
            yield f"{key}.{name}", name
            yield from _leaves(value, f"{key}.{name}")
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{key}[{i}]")
    else:
        yield key, node


def rendering_problems(cfg: RootConfig, run_dir: Path, workdir: Path) -> list[str]:
    """Values that could break out of their place in a script. Every value reaches the scripts shell-quoted
    (and Hydra-quoted in overrides), so what remains to refuse is what quoting cannot carry: line breaks
    and NUL anywhere, non-words in `#SBATCH` lines, and `,`/`:` in container mounts."""
    out = []
    values = [*_leaves(cfg, ""), ("run.dir", str(run_dir)), ("the working directory", str(workdir))]
    for key, value in values:
        if isinstance(value, str) and any(c in value for c in _LINE_BREAKING):
            out.append(f"{key} contains a line break or NUL, which no job script can carry: remove it")
        elif isinstance(value, str) and redact(value) != value:
            out.append(
                f"{key} holds a URL with credentials, which would be written into the job scripts: remove them from the URL "
                "and pass the key by name (recycle.api_key_env for the openai backend, secret_env_vars for others)"
            )
    if cfg.cluster.type != "slurm":
        return out
    for key in _SBATCH_KEYS:
        value = get_key(cfg, key)
        if value is not None and not _SBATCH_WORD.fullmatch(str(value)):
            out.append(f"{key}={value!r} has characters an #SBATCH line cannot hold: use letters, digits and . : , @ + / _ -")
    for key, value in (("run.dir", str(run_dir)), ("the working directory", str(workdir))):
        if _SBATCH_PATH_BAD.search(value):
            out.append(f"{key}={value!r} has whitespace, a quote, a backslash or %, which #SBATCH --chdir/--output cannot hold: pick another folder")
    if cfg.container:
        for i, mount in enumerate(cfg.container_mounts):
            if "," in mount:
                out.append(f"container_mounts[{i}]={mount!r} contains `,`, which separates pyxis mounts: rename the folder")
        for key, folder in auto_mounts(cfg, run_dir):
            if "," in folder or ":" in folder:
                out.append(f"{key}={folder!r} must be mounted into the container, and pyxis mounts cannot hold `,` or `:`: use another path")
    return out


def problems(cfg: RootConfig, run_dir: Path, workdir: Path | None = None) -> list[str]:
    """Every problem with `cfg` for launching into `run_dir`; empty when it is ready to go.

    `cfg` is the wired config (`launcher.wiring.wire`), so keys fed by earlier stages are set.
    """
    out: list[str] = rendering_problems(cfg, run_dir, (workdir or Path.cwd()).resolve())
    if out:  # the checks below touch the file system with these values
        return out
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
                "pass container=<image>, the project image `make image` builds (docker/Dockerfile), or cluster.requires_container=false to run on the hosts"
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
    if "recycle" in cfg.stages and cfg.recycle.stage is not None:
        from curator_stages.registry import check_stage  # the stage names live with the stages

        try:
            check_stage(cfg.recycle)
        except ConfigError as exc:
            out.append(str(exc))
    out += _tokenizer_mismatch(cfg, run_dir)
    for stage in cfg.stages:
        coming = produced(cfg, run_dir, stage)
        for key in PATH_KEYS[stage]:
            value = get_key(cfg, key)
            if value is None and needs_key(cfg, key):
                feeder = next((h for h in HANDOFFS if h.consumer == key), None)
                if feeder is not None and feeder.required:
                    out.append(
                        f"{key} is not set and no earlier stage produces it: pass {key}=<path>, "
                        f"or run {feeder.producer} before {stage} in stages"
                    )
                continue
            if not is_path_value(cfg, key):
                continue
            path = str(value)
            if path in coming or exists_on_host(path, cfg.container_mounts):
                continue
            out.append(f"{key}={path} does not exist and no earlier stage produces it: fix the path or run the stage that writes it first")
    return out


def check_folder(key: str, path: str | Path) -> None:
    """Refuse a line break or NUL in a folder before the file system sees it (Python raises on a NUL)."""
    if any(c in str(path) for c in _LINE_BREAKING):
        raise ConfigError(f"launch cannot start:\n  - {key} contains a line break or NUL, which no job script can carry: remove it")


def validate(cfg: RootConfig, run_dir: Path, workdir: Path | None = None) -> None:
    """Raise one `ConfigError` listing every problem, before anything is written or submitted."""
    found = problems(cfg, run_dir, workdir)
    if found:
        raise ConfigError("launch cannot start:\n  - " + "\n  - ".join(found))
