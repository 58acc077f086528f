"""Hostile values in every key the launcher renders: either the launch refuses them (naming the key) or the
scripts carry them as data. The scripts are executed with stand-ins for srun, sbatch, scontrol, python, ray,
torchrun and accelerate in a temporary folder; a `touch` hidden in a value must never run, and every value
must reach its command, its environment or its #SBATCH line unchanged."""

from __future__ import annotations

import copy
import os
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from launcher.launch import launch
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.loader import load_config

PARSER = OverridesParser.create()

# Records its name, arguments and two environment variables (NUL-separated, one file per call).
RECORD = 'f=$(mktemp "$CALLS/call.XXXXXX"); printf "%s\\0" "$(basename "$0")" "$@" "ENV:HF_HOME=${HF_HOME:-}" > "$f"\n'
STUBS = {
    "srun": RECORD + 'while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n',
    "sbatch": RECORD + 'echo 42\n',
    "scontrol": 'echo node-a\n',
    **{name: RECORD for name in ("python", "ray", "torchrun", "accelerate")},
}


def _payloads(marks: Path) -> dict[str, str]:
    return {
        "newline": f"x\ntouch {marks}/newline",
        "carriage": f"x\rtouch {marks}/carriage",
        "nul": "x\0y",
        "subst": f"x$(touch {marks}/subst)",
        "backtick": f"x`touch {marks}/backtick`",
        "semicolon": f"x;touch {marks}/semicolon",
        "squote": f"x';touch {marks}/squote;'",
        "dquote": f'x";touch {marks}/dquote;"',
        "comma": "x,y",
        "equals": "x=y",
        "interp": "x${oc.env:HOME}",
    }


def _set(cfg, key: str, value: str, tmp: Path) -> str:
    """Put `value` into `key` (creating the file or folder when the key names one); returns the key the
    launcher must name if it refuses."""
    if key in ("recycle.input", "pretrain.tokenizer", "evaluate.data_dir", "recycle.rephraser", "launch.code_mount"):
        path = tmp / "in" / key / value.replace("/", "_")
        if "\0" not in value:
            path.mkdir(parents=True)
            if key == "recycle.input":
                path = path / "docs.jsonl"
                path.write_text("{}\n")
        value = str(path)
    group, _, name = key.rpartition(".")
    if key == "cluster.srun_args":
        cfg.cluster.srun_args = [f"--comment={value}"]
    elif key == "container_mounts":
        cfg.container_mounts = [f"/data:/data{value}"]
    elif key == "env_vars":
        cfg.env_vars = {"HF_HOME": value}
    elif key == "recycle.base_url":
        cfg.recycle.backend, cfg.recycle.base_url = "openai", f"http://host/{value}"
    elif key == "container":
        cfg.container = value
    else:
        setattr(eval(f"cfg.{group}"), name, value)
    return key


KEYS = [
    "cluster.partition", "cluster.account", "cluster.time", "cluster.job_name_prefix", "cluster.srun_args",
    "container", "container_mounts", "env_vars", "recycle.input", "recycle.rephraser", "recycle.text_field",
    "recycle.base_url", "pretrain.tokenizer", "evaluate.data_dir", "launch.code_mount", "run.dir", "workdir",
]
MODES = {
    "pyxis": ["cluster=slurm", "cluster.account=a", "cluster.partition=p", "cluster.nodes=2", "container=img"],
    "local": ["cluster=local"],
}


@lru_cache(maxsize=None)
def _composed(mode: str):
    return load_config([*MODES[mode], "stages=[rl,recycle,pretrain,evaluate]", "launch.dry_run=true"], subcommand="launch")[0]


def _base(mode: str):
    return copy.deepcopy(_composed(mode))


def _calls(folder: Path) -> list[list[str]]:
    return [p.read_bytes().decode().split("\0")[:-1] for p in sorted(folder.iterdir())]


def _stage_value(arg: str):
    parsed = PARSER.parse_override(arg).value()
    return OmegaConf.to_container(OmegaConf.create({"v": parsed}), resolve=True)["v"]


def _run_scripts(run_dir: Path, stubs: Path, calls: Path, workdir: Path) -> None:
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "CALLS": str(calls), "SLURM_JOB_NODELIST": "node-a", "SLURM_CPUS_ON_NODE": "2",
           "OPENAI_API_KEY": "k", "HOME": "/nonexistent"}
    scripts = sorted(run_dir.glob("*.sbatch")) + sorted(run_dir.glob("*.sh"))
    assert scripts
    for script in scripts:
        proc = subprocess.run(["bash", str(script)], env=env, cwd=workdir, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr[-2000:]}"


def _check_value_arrives(key: str, value: str, cfg, run_dir: Path, calls: list[list[str]]) -> None:
    """The value reached its place unchanged: an override parses back to it, the env holds it, srun got it."""
    stage_args = [a for call in calls for a in call]
    if key.startswith(("recycle.", "pretrain.", "evaluate.")):
        expected = {"recycle.base_url": f"http://host/{value}"}.get(key)
        if expected is None:
            from launcher.wiring import get_key

            expected = str(get_key(cfg, key)) if key == "recycle.text_field" else os.path.normpath(str(get_key(cfg, key)))
        got = [_stage_value(a) for a in stage_args if a.startswith(f"{key}=")]
        assert got and all(g == expected for g in got), (key, got, expected)
    elif key == "env_vars":
        assert f"ENV:HF_HOME={value}" in stage_args
    elif key == "container" and cfg.cluster.type == "slurm":
        assert f"--container-image={value}" in stage_args
    elif key == "cluster.srun_args" and cfg.cluster.type == "slurm":
        assert f"--comment={value}" in stage_args
    elif key == "run.dir":
        got = [_stage_value(a) for a in stage_args if a.startswith("run.dir=")]
        assert got and all(Path(g).parent == run_dir for g in got), got
    elif key.startswith("cluster.") and cfg.cluster.type == "slurm":
        text = (run_dir / "pretrain.sbatch").read_text()
        option = {"cluster.partition": "partition", "cluster.account": "account", "cluster.time": "time"}.get(key)
        if option:
            assert f"#SBATCH --{option}={value}\n" in text


# Local scripts render no #SBATCH line, srun or container: those keys are exercised on SLURM only.
CASES = [(mode, key) for mode in sorted(MODES) for key in KEYS if mode == "pyxis" or not key.startswith(("cluster.", "container"))]


@pytest.mark.parametrize(("mode", "key"), CASES)
def test_hostile_values_are_refused_or_carried_as_data(mode, key, tmp_path, monkeypatch):
    marks = tmp_path / "marks"
    marks.mkdir()
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/bash\n" + body)
        (stubs / name).chmod(0o755)
    # Scripts on the host put the interpreter's folder first on PATH: make that the stand-ins' folder.
    monkeypatch.setattr("sys.executable", str(stubs / "python"))
    outcomes = {}
    for label, value in _payloads(marks).items():
        case = tmp_path / "cases" / label
        case.mkdir(parents=True)
        cfg = _base(mode)
        workdir, run_dir = case / "work", case / "run"
        workdir.mkdir()
        cfg.recycle.rephraser = cfg.recycle.rephraser or str(workdir)
        cfg.evaluate.data_dir = str(workdir)
        if key == "run.dir":
            run_dir = case / f"run{value.replace('/', '_')}"
        elif key == "workdir":
            workdir = case / f"work{value.replace('/', '_')}"
            if "\0" not in value:
                workdir.mkdir()
        else:
            _set(cfg, key, value, case)
        named = {"workdir": "the working directory"}.get(key, key)
        try:
            launch(cfg, run_dir, workdir=workdir, echo=lambda text: None)
        except ConfigError as exc:
            assert named in str(exc), f"{label}: refusal does not name {named}: {exc}"
            assert not run_dir.exists(), "a refused launch writes nothing"
            outcomes[label] = "refused"
            continue
        calls = case / "calls"
        calls.mkdir()
        _run_scripts(run_dir, stubs, calls, workdir)
        _check_value_arrives(key, value, cfg, run_dir, _calls(calls))
        outcomes[label] = "carried"
    assert sorted(p.name for p in marks.iterdir()) == [], f"injected commands ran: {outcomes}"
    for label in ("newline", "carriage", "nul"):
        assert outcomes[label] == "refused", (label, outcomes)
