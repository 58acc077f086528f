"""Where stages run: local processes or SLURM jobs (with pyxis containers)."""

from dataclasses import dataclass, field
from typing import Optional

from nemo_repro.config.fields import ConfigError, check_choice


@dataclass
class ClusterConfig:
    type: str = "local"
    """`local` runs stages as processes on this machine; `slurm` renders and submits sbatch scripts."""

    partition: Optional[str] = None
    """SLURM partition (`#SBATCH --partition`). Required for `slurm`."""

    account: Optional[str] = None
    """SLURM account (`#SBATCH --account`). Required for `slurm`."""

    time: str = "04:00:00"
    """Wall-clock limit per job (`#SBATCH --time`)."""

    nodes: int = 1
    """Nodes per job."""

    gpus_per_node: int = 8
    """GPUs per node; pretraining runs one task per GPU, RL one accelerate process per GPU."""

    request_gpus: bool = True
    """Ask SLURM for the GPUs (`#SBATCH --gpus-per-node`). `false` on CPU-only clusters, where
    `gpus_per_node` then only sets the processes per node."""

    cpus_per_task: Optional[int] = None
    """`#SBATCH --cpus-per-task`, unset to use the cluster default."""

    exclusive: bool = True
    """Ask for whole nodes (`#SBATCH --exclusive`)."""

    job_name_prefix: str = "nemo_repro:"
    """Prefix of every job name; the stage name follows."""

    srun_args: list[str] = field(default_factory=list)
    """Extra arguments passed to every `srun`."""

    requires_container: bool = False
    """The cluster runs jobs only inside pyxis containers: `container` must be set."""

    nproc_per_node: int = 1
    """Local cluster: processes per node for torchrun (pretraining)."""

    def __post_init__(self) -> None:
        check_choice("cluster.type", self.type, ["local", "slurm"])
        if self.nodes < 1:
            raise ConfigError(f"cluster.nodes={self.nodes} must be >= 1")
        if self.gpus_per_node < 1:
            raise ConfigError(f"cluster.gpus_per_node={self.gpus_per_node} must be >= 1")
        if self.nproc_per_node < 1:
            raise ConfigError(f"cluster.nproc_per_node={self.nproc_per_node} must be >= 1")
