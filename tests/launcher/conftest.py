"""A real one-node SLURM on localhost for the launcher's integration test.

Installs Debian's slurmctld/slurmd/slurm-client/munge with apt when they are missing
(root only), writes a one-node slurm.conf with free ports into a tmp folder, starts
munged, slurmctld and slurmd there, and always stops them again. Skips with the reason
when SLURM cannot run here (not root, no apt, install failed, daemons not up).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
BINARIES = ["slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "munged", "mungekey"]


def _which_all() -> bool:
    return all(shutil.which(b) or Path("/usr/sbin", b).exists() for b in BINARIES)


def _install() -> str | None:
    """Install SLURM and munge with apt; returns why not, or None when they are there."""
    if _which_all():
        return None
    if os.geteuid() != 0:
        return "SLURM is not installed and installing it needs root"
    if shutil.which("apt-get") is None:
        return "SLURM is not installed and there is no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        if proc.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-500:]}"
    return None if _which_all() else "apt-get installed SLURM but its binaries are not on PATH"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@dataclass
class LocalSlurm:
    base: Path
    """Folder holding slurm.conf, state, spool, logs and the munge socket."""

    env: dict[str, str]
    """Environment with SLURM_CONF pointing at this cluster (pass to subprocesses)."""

    def run(self, *args: str, attempts: int = 5) -> str:
        """Run a SLURM client command; retried, since a loaded 2-core box can drop an RPC."""
        def call() -> str:
            return subprocess.run(list(args), capture_output=True, text=True, env=self.env, check=True, timeout=30).stdout

        for _ in range(attempts - 1):
            try:
                return call()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(1.0)
        return call()

    def job_state(self, job_id: str) -> tuple[str, str]:
        """(JobState, ExitCode) from `scontrol show job -o` (no slurmdbd here, so no sacct)."""
        fields = dict(kv.split("=", 1) for kv in self.run("scontrol", "show", "job", "-o", job_id).split() if "=" in kv)
        return fields["JobState"], fields["ExitCode"]

    def wait(self, job_ids: list[str], timeout_s: float) -> dict[str, str]:
        """Poll until every job reached a final state; returns job id -> state."""
        final = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"}
        deadline = time.monotonic() + timeout_s
        while True:
            states = {j: self.job_state(j)[0] for j in job_ids}
            if all(s in final for s in states.values()) or time.monotonic() > deadline:
                return states
            time.sleep(0.5)

    def drain(self, timeout_s: float = 30) -> None:
        """Cancel every job and wait until none runs, so no job step outlives the daemons."""
        subprocess.run(["scancel", "--user=root"], env=self.env, capture_output=True, timeout=30)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = subprocess.run(["squeue", "-h", "-o", "%i"], env=self.env, capture_output=True, text=True, timeout=30)
            if proc.returncode == 0 and not proc.stdout.strip():
                return
            time.sleep(0.5)


def _slurm_conf(base: Path, ctld_port: int, slurmd_port: int) -> str:
    cpus = max(4, os.cpu_count() or 1)  # config_overrides lets jobs ask for more tasks than cores
    return f"""\
ClusterName=nemorepro
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/munge/munge.sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
MinJobAge=86400
ReturnToService=2
EnforcePartLimits=ALL
SlurmdParameters=config_overrides
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
NodeName=localhost CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="session")
def local_slurm(tmp_path_factory) -> LocalSlurm:
    reason = _install()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool", "log", "munge"):
        (base / sub).mkdir(mode=0o755)
    base.chmod(0o755)
    conf = base / "slurm.conf"
    conf.write_text(_slurm_conf(base, _free_port(), _free_port()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    cluster = LocalSlurm(base, env)
    daemons: list[subprocess.Popen] = []
    munge_pid = base / "munge" / "munged.pid"
    try:
        subprocess.run(["mungekey", "--create", f"--keyfile={base}/munge/munge.key"], check=True, capture_output=True)
        subprocess.run(
            ["munged", "--force", f"--socket={base}/munge/munge.sock", f"--key-file={base}/munge/munge.key",
             f"--pid-file={munge_pid}", f"--log-file={base}/log/munged.log", f"--seed-file={base}/munge/munged.seed"],
            check=True, capture_output=True,
        )
        for cmd in (["slurmctld", "-D", "-i", "-f", str(conf)], ["slurmd", "-D", "-N", "localhost", "-f", str(conf)]):
            with open(base / "log" / f"{cmd[0]}.stdout", "w") as out:
                daemons.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            proc = subprocess.run(["sinfo", "-h", "-n", "localhost", "-o", "%T"], capture_output=True, text=True, env=env)
            state = proc.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.2)
        else:
            logs = "\n".join((base / "log" / n).read_text()[-1000:] for n in ("slurmctld.log", "slurmd.log") if (base / "log" / n).exists())
            pytest.skip(f"SLURM node did not become idle in 30 s (state {state!r}):\n{logs}")
        yield cluster
    finally:
        cluster.drain()
        subprocess.run(["scontrol", "shutdown"], env=env, capture_output=True, timeout=30)
        for proc in daemons:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        pid = _pid(munge_pid)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid, 10)
