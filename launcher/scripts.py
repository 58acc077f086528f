"""Render one bash script per stage: `#SBATCH` + `srun` (pyxis) for SLURM, plain bash for local.

The scripts are the product: readable, runnable by hand (`sbatch pretrain.sbatch`,
`bash pretrain.sh`), and exactly what `nemo-repro launch` submits or runs.

How each stage starts its processes:
- rl: TRL's GRPOTrainer under `accelerate launch`, one process per GPU; across nodes a
  c10d rendezvous on the first node, so every node runs the same command.
- recycle: a Ray cluster (head on the first node, a worker on each other node), then
  the NeMo Curator pipeline on the head node with `RAY_ADDRESS` pointing at it.
- pretrain: SLURM starts one task per GPU (`--ntasks-per-node=gpus_per_node`); each
  task takes its rank and world size from SLURM (`SLURM_PROCID`, `SLURM_NTASKS`,
  `SLURM_LOCALID`) and meets the others at `MASTER_ADDR:MASTER_PORT`. Locally: torchrun.
- evaluate: one process on one node, one GPU (not the whole node).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from nemo_repro.config.root import RootConfig
from launcher.mounts import container_mounts

CONT = " \\\n    "
HEAD_NODE = 'head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)'


@dataclass(frozen=True)
class Context:
    """Where the scripts point: absolute paths fixed at render time."""

    run_dir: Path
    """The launch's run dir; each stage runs in `<run_dir>/<stage>`."""

    workdir: Path
    """Working directory of every job (relative config paths resolve against it)."""

    bin_dir: Optional[Path]
    """Host folder with `python`, `torchrun`, `accelerate`, `ray`; put first on PATH when there is no container."""


def _cli(stage: str, overrides: list[str], launcher: tuple[str, ...] = ("python",)) -> list[str]:
    """Lines of the stage command: the launcher's lines ending in `-m nemo_repro.cli <stage>`, then one override per line."""
    return [*launcher[:-1], f"{launcher[-1]} -m nemo_repro.cli {stage}", *(shlex.quote(o) for o in overrides)]


def secret_names(cfg: RootConfig) -> list[str]:
    """Environment variables the jobs take by name from the launching shell: `secret_env_vars`, plus the
    openai backend's key variable when recycle runs against a server."""
    names = list(cfg.secret_env_vars)
    if "recycle" in cfg.stages and cfg.recycle.backend == "openai" and cfg.recycle.api_key_env not in names:
        names.append(cfg.recycle.api_key_env)
    return names


def _preamble(cfg: RootConfig, ctx: Context) -> list[str]:
    lines = ["set -euo pipefail", ""]
    if cfg.cluster.type == "local":
        lines.insert(1, f"cd {shlex.quote(str(ctx.workdir))}")
    if not (cfg.cluster.type == "slurm" and cfg.container) and ctx.bin_dir is not None:
        lines.append(f'export PATH={shlex.quote(str(ctx.bin_dir))}:"$PATH"')
    if cfg.launch.code_mount:
        # The source folder (mounted at the same path) wins over any installed copy; the stage checks the stack.
        lines += [f'export PYTHONPATH={shlex.quote(str(cfg.launch.code_mount))}"${{PYTHONPATH:+:$PYTHONPATH}}"', "export NEMO_REPRO_CHECK_STACK=1"]
    lines += [f"export {k}={shlex.quote(str(v))}" for k, v in cfg.env_vars.items()]
    names = secret_names(cfg)
    if names:
        # Passed by name: sbatch exports the submitting shell's environment to the job, srun and pyxis pass it on.
        lines.append("# Credentials come from the environment the job was started from, never from this file.")
        lines += [f'if [ -z "${{{n}:-}}" ]; then echo "{n} is not set: export it before launching" >&2; exit 2; fi' for n in names]
    return lines


def _header(stage: str, how: str) -> list[str]:
    return ["#!/bin/bash", f"# Stage `{stage}` of a nemo_repro launch, rendered by `nemo-repro launch`.", f"# {how}"]


# ---------------------------------------------------------------- local


def accelerate_launch(cfg: RootConfig, nodes: int, procs: int) -> tuple[str, ...]:
    """`accelerate launch` lines for RL, every setting explicit (a user's default_config.yaml never applies).

    FSDP2 (`rl.fsdp`) as in TRL's own fsdp2 config; across nodes each node's launcher takes its rank from
    `$SLURM_NODEID`, which the caller must let expand inside the step (see `_slurm_body`).
    """
    port = cfg.launch.master_port
    lines = [f"accelerate launch --num_machines={nodes} --num_processes={procs} --mixed_precision={'bf16' if cfg.rl.bf16 else 'no'} --dynamo_backend=no"]
    if cfg.rl.fsdp:
        lines.append("--use_fsdp --fsdp_version=2 --fsdp_auto_wrap_policy=TRANSFORMER_BASED_WRAP --fsdp_reshard_after_forward=true "
                     "--fsdp_state_dict_type=FULL_STATE_DICT --fsdp_cpu_ram_efficient_loading=true")
    elif procs > 1:
        lines.append("--multi_gpu")
    if nodes > 1:
        lines.append(f'--machine_rank="$SLURM_NODEID" --rdzv_backend=c10d --main_process_ip="$head_node" --main_process_port={port}')
    elif procs > 1:
        lines.append(f"--main_process_port={port}")
    return tuple(lines)


def local_command(cfg: RootConfig, stage: str, overrides: list[str]) -> list[str]:
    n = cfg.cluster.nproc_per_node
    if stage == "pretrain":
        return _cli(stage, overrides, (f"torchrun --standalone --nproc_per_node={n}",))
    if stage == "rl":
        return _cli(stage, overrides, accelerate_launch(cfg, 1, n))
    return _cli(stage, overrides)


def local_script(cfg: RootConfig, stage: str, overrides: list[str], ctx: Context) -> str:
    lines = _header(stage, f"Run by hand with `bash {stage}.sh`.") + _preamble(cfg, ctx)
    lines.append(CONT.join(local_command(cfg, stage, overrides)))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- slurm


def stage_nodes(cfg: RootConfig, stage: str) -> int:
    """Evaluation is a single lm-eval process; every other stage uses all `cluster.nodes`."""
    return 1 if stage == "evaluate" else cfg.cluster.nodes


def _sbatch_lines(cfg: RootConfig, stage: str, ctx: Context) -> list[str]:
    c = cfg.cluster
    evaluate = stage == "evaluate"  # one lm-eval process on one GPU: no whole node
    opts = [
        f"--job-name={c.job_name_prefix}{stage}",
        f"--partition={c.partition}",
        f"--account={c.account}",
        f"--time={c.time}",
        f"--nodes={stage_nodes(cfg, stage)}",
        f"--ntasks-per-node={c.gpus_per_node if stage == 'pretrain' else 1}",
    ]
    if c.request_gpus:
        opts.append(f"--gpus-per-node={1 if evaluate else c.gpus_per_node}")
    if c.cpus_per_task is not None:
        opts.append(f"--cpus-per-task={c.cpus_per_task}")
    if c.exclusive and not evaluate:
        opts.append("--exclusive")
    # append: the background Ray/worker steps and the driver write to the same log; with the default
    # truncate mode each step writes at its own offset and they overwrite each other's lines
    opts += [f"--chdir={ctx.workdir}", f"--output={ctx.run_dir / stage}/slurm-%j.out", "--open-mode=append"]
    return [f"#SBATCH {shlex.quote(o)}" for o in opts]


def _srun(cfg: RootConfig, ctx: Context, flags: str, command: list[str]) -> str:
    """`srun <flags>`, the cluster's srun_args, the pyxis flags when a container is set, then the command."""
    lines = [" ".join(["srun", flags, *(shlex.quote(a) for a in cfg.cluster.srun_args)])]
    if cfg.container:
        mounts = container_mounts(cfg, ctx.run_dir)
        lines += [
            shlex.quote(f"--container-image={cfg.container}"),
            shlex.quote(f"--container-mounts={','.join(mounts)}"),
            shlex.quote(f"--container-workdir={ctx.run_dir}"),
            "--no-container-mount-home",
        ]
    return CONT.join(lines + command)


def _slurm_body(cfg: RootConfig, stage: str, overrides: list[str], ctx: Context) -> list[str]:
    c, port = cfg.cluster, cfg.launch.master_port
    if stage == "evaluate":
        return [_srun(cfg, ctx, "--nodes=1 --ntasks=1", _cli(stage, overrides))]
    if stage == "pretrain":
        return [
            HEAD_NODE,
            'export MASTER_ADDR="$head_node"',
            f"export MASTER_PORT={port}",
            "# One task per GPU; each takes its rank from SLURM_PROCID and the world size from SLURM_NTASKS.",
            _srun(cfg, ctx, f"--ntasks-per-node={c.gpus_per_node}", _cli(stage, overrides)),
        ]
    if stage == "rl":
        command = _cli(stage, overrides, accelerate_launch(cfg, c.nodes, c.nodes * c.gpus_per_node))
        lines = [HEAD_NODE, "# One accelerate launcher per node, one training process per GPU."]
        if c.nodes > 1:
            # $SLURM_NODEID differs per node: it must expand inside the step, so the launcher runs under bash -c
            lines += ["export head_node"]
            command = ["bash -c " + shlex.quote(CONT.join(command))]
        return lines + [_srun(cfg, ctx, "--ntasks-per-node=1", command)]
    # recycle: a Ray cluster over the allocation, then the pipeline as its driver.
    ray_port, nodes = cfg.launch.ray_port, c.nodes
    on_head = '--overlap --nodes=1 --ntasks=1 --nodelist="$head_node"'
    # A Ray node owns its whole node: all CPUs (a step gets one by default) and the GPUs.
    ray_node = '--cpus-per-task="$SLURM_CPUS_ON_NODE"' + (f" --gpus-per-node={c.gpus_per_node}" if c.request_gpus else "")
    lines = [
        HEAD_NODE,
        f'export RAY_ADDRESS="$head_node:{ray_port}"',
        "# Ray token auth with this job's own token: ~/.ray/auth_token is shared by every Ray cluster of the user.",
        "export RAY_AUTH_MODE=token",
        "RAY_AUTH_TOKEN=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \\n')",
        "export RAY_AUTH_TOKEN",
        "# Ray head on the first node and a worker on every other node; they live until the job ends.",
        _srun(cfg, ctx, f"{on_head} {ray_node}", [f"ray start --head --port={ray_port} --disable-usage-stats --block"]) + " &",
    ]
    if nodes > 1:
        workers = f'--overlap --nodes={nodes - 1} --ntasks={nodes - 1} --exclude="$head_node" {ray_node}'
        lines.append(_srun(cfg, ctx, workers, ['ray start --address="$RAY_ADDRESS" --block']) + " &")
    wait = f'python -m launcher.ray_cluster --address="$RAY_ADDRESS" --nodes={nodes} --timeout={cfg.launch.ray_timeout_s}'
    lines += [_srun(cfg, ctx, on_head, [wait]), _srun(cfg, ctx, on_head, _cli(stage, overrides))]
    return lines


def sbatch_script(cfg: RootConfig, stage: str, overrides: list[str], ctx: Context) -> str:
    how = f"Submit by hand with `sbatch {stage}.sbatch`; submit.sh chains all stages with afterok dependencies."
    lines = _header(stage, how) + _sbatch_lines(cfg, stage, ctx) + [""] + _preamble(cfg, ctx)
    lines += _slurm_body(cfg, stage, overrides, ctx)
    return "\n".join(lines) + "\n"


def submit_script(stages: list[str]) -> str:
    """Submit the stages in order, each after the previous one succeeded; prints `<stage> <jobid>` lines."""
    lines = [
        "#!/bin/bash",
        "# Submit every stage of this launch; each waits for the previous one to succeed (afterok)",
        "# and is cancelled if it fails (--kill-on-invalid-dep). Prints `<stage> <jobid>` per job.",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
    ]
    previous = None
    for stage in stages:
        var = f"{stage}_job"
        dep = f" --dependency=afterok:${previous} --kill-on-invalid-dep=yes" if previous else ""
        lines += [f"{var}=$(sbatch --parsable{dep} {stage}.sbatch)", f"{var}=${{{var}%%;*}}", f'echo "{stage} ${var}"']
        previous = var
    return "\n".join(lines) + "\n"
