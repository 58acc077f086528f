"""The whole configuration: one group per stage plus the cluster, NeMo-launcher style."""

import re
from dataclasses import dataclass, field
from typing import Optional

from nemo_repro.config.cluster import ClusterConfig
from nemo_repro.config.evaluate import EvaluateConfig
from nemo_repro.config.fields import ConfigError, check_choice, is_secret_name
from nemo_repro.config.launch import LaunchConfig
from nemo_repro.config.pretrain import PretrainConfig
from nemo_repro.config.quickstart import QuickstartConfig
from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.config.rl import RLConfig
from nemo_repro.config.run import RunConfig

LAUNCH_STAGES = ("rl", "recycle", "pretrain", "evaluate")


def recycler_requires_marker(recycle: RecycleConfig) -> bool:
    """Whether recycling filters every output without `Here is a paraphrased version:` (RePro with require_marker,
    on a generating backend: precomputed rewrites carry no marker)."""
    return recycle.method == "repro" and recycle.require_marker and recycle.backend != "precomputed"


def check_format_reward(rl: RLConfig, recycle: RecycleConfig) -> None:
    """One rule for the marker: GRPO rewards it wherever the recycler requires it.

    Otherwise the policy is never taught the marker the recycler filters on, and most
    of its outputs are dropped at recycling time.
    """
    if recycler_requires_marker(recycle) and not rl.rewards.weight_format > 0:
        raise ConfigError(
            f"rl.rewards.weight_format={rl.rewards.weight_format} but recycle.require_marker=true filters every output "
            "without the marker: set rl.rewards.weight_format > 0 (paper: 1) or recycle.require_marker=false"
        )


@dataclass
class RootConfig:
    stages: list[str] = field(default_factory=lambda: list(LAUNCH_STAGES))
    """Stages `nemo-repro launch` runs, in this order, each after the previous succeeded."""

    run: RunConfig = field(default_factory=RunConfig)
    """Run directory, seed, logging."""

    rl: RLConfig = field(default_factory=RLConfig)
    """GRPO training of the rephraser (`nemo-repro rl`)."""

    recycle: RecycleConfig = field(default_factory=RecycleConfig)
    """The recycling pipeline (`nemo-repro recycle`)."""

    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    """Megatron-Core pretraining (`nemo-repro pretrain`)."""

    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    """DCLM Core evaluation (`nemo-repro evaluate`)."""

    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    """Where `nemo-repro launch` runs the stages."""

    launch: LaunchConfig = field(default_factory=LaunchConfig)
    """Options of `nemo-repro launch`."""

    quickstart: QuickstartConfig = field(default_factory=QuickstartConfig)
    """Options of `nemo-repro quickstart` (it also uses the `tiny` option of every stage group)."""

    container: Optional[str] = None
    """Container image for SLURM jobs (pyxis `--container-image`), e.g. an NGC NeMo image. `null` runs on the host."""

    container_mounts: list[str] = field(default_factory=list)
    """`src:dst` mounts for the container (pyxis `--container-mounts`)."""

    base_results_dir: str = "runs"
    """Parent folder of default run directories."""

    env_vars: dict[str, str] = field(default_factory=dict)
    """Environment variables exported in every job. Their values are written into the job scripts and
    `config.yaml`, so credentials are refused here: list their names in `secret_env_vars`."""

    secret_env_vars: list[str] = field(default_factory=list)
    """Names of environment variables holding credentials (API keys, tokens) that jobs take from the
    environment `nemo-repro launch` runs in, by name only: the scripts check they are set, never hold a value.
    `recycle.api_key_env` is added when recycle runs with `recycle.backend=openai`."""

    def __post_init__(self) -> None:
        for i, stage in enumerate(self.stages):
            check_choice(f"stages[{i}]", stage, LAUNCH_STAGES)
        for name in self.env_vars:
            if is_secret_name(str(name)):
                raise ConfigError(
                    f"env_vars.{name} looks like a credential, and env_vars values land in config.yaml and every job script: "
                    f"drop it from env_vars, export {name} in the shell you launch from, and pass secret_env_vars=[{name}]"
                )
        for i, name in enumerate(self.secret_env_vars):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                raise ConfigError(f"secret_env_vars[{i}] must be the NAME of an environment variable (letters, digits, _), not a value")
        check_format_reward(self.rl, self.recycle)
