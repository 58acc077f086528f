import json

from omegaconf import OmegaConf

from nemo_repro.runs import MetricsLogger, RunDir, default_run_dir, read_metrics


def test_run_dir_writes_config_log_and_report(tmp_path):
    raw = OmegaConf.create({"run": {"dir": None, "seed": 1}, "x": 3})
    run = RunDir.start("demo", raw, str(tmp_path / "r"), base=str(tmp_path))
    run.metrics.log(0, {"loss": 1.5, "bad": float("nan")})
    run.metrics.log(1, {"loss": 1.25})
    report = run.write_report("# hi")
    run.close()
    cfg = OmegaConf.load(tmp_path / "r" / "config.yaml")
    assert cfg.run.dir == str(tmp_path / "r") and cfg.x == 3
    rows = read_metrics(tmp_path / "r" / "metrics.jsonl")
    assert rows == [{"step": 0, "loss": 1.5, "bad": None}, {"step": 1, "loss": 1.25}]
    assert list((tmp_path / "r" / "tb").iterdir()), "TensorBoard events written"
    assert report.read_text() == "# hi\n"
    assert (tmp_path / "r" / "logs" / "demo.log").exists()


def test_truncate_after_drops_later_steps(tmp_path):
    m = MetricsLogger(tmp_path)
    for step in range(5):
        m.log(step, {"v": step})
    m.truncate_after(2)
    m.close()
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [0, 1, 2]


def test_default_run_dir_uses_launcher_id(monkeypatch, tmp_path):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert default_run_dir(tmp_path, "pretrain") == tmp_path / "pretrain-4242"
    monkeypatch.delenv("SLURM_JOB_ID")
    assert default_run_dir(tmp_path, "pretrain").name.startswith("pretrain-20")


# ----------------------------------------------------------------------------- lock, resume invariants, logging

import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from nemo_repro import cli  # noqa: E402


@pytest.fixture
def echo(monkeypatch):
    """`pretrain` and `recycle` wired to a throwaway entry point through the real CLI; `echo.fail` makes it raise."""
    calls = []

    def run(cfg, run_dir):
        calls.append(run_dir.path)
        if getattr(run, "fail", False):
            raise RuntimeError("boom in the stage")
        return 0

    module = type(sys)("echo_runs")
    module.run = run
    monkeypatch.setitem(sys.modules, "echo_runs", module)
    monkeypatch.setitem(cli.SUBCOMMANDS, "pretrain", ("echo_runs:run", "echo"))
    monkeypatch.setitem(cli.SUBCOMMANDS, "recycle", ("echo_runs:run", "echo"))
    run.calls = calls
    return run


def test_a_second_process_on_a_run_dir_fails_naming_the_holder(tmp_path, echo, capsys):
    run_dir = tmp_path / "r"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from omegaconf import OmegaConf; from nemo_repro.runs import RunDir;"
         f"RunDir.start('pretrain', OmegaConf.create({{'run': {{'seed': 1234}}, 'pretrain': {{}}}}), {str(run_dir)!r}, '.');"
         "print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert cli.main(["pretrain", f"run.dir={run_dir}"]) == 2
        err = capsys.readouterr().err
        assert f"run.dir={run_dir} is in use by pid {holder.pid}" in err and err.count("\n") == 1
        assert not echo.calls
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(["pretrain", f"run.dir={run_dir}"]) == 0, "the kernel released a dead holder's lock"


def test_resume_refuses_changed_keys_and_other_subcommands(tmp_path, echo, capsys):
    run_dir = tmp_path / "r"
    assert cli.main(["pretrain", f"run.dir={run_dir}", "pretrain.seq_length=64"]) == 0
    assert cli.main(["pretrain", f"run.dir={run_dir}", "pretrain.seq_length=64", "pretrain.train_iters=99"]) == 0  # safe to change
    capsys.readouterr()
    assert cli.main(["pretrain", f"run.dir={run_dir}", "pretrain.seq_length=128", "run.seed=7"]) == 2
    err = capsys.readouterr().err
    assert "pretrain.seq_length (64 -> 128)" in err and "run.seed (1234 -> 7)" in err and "run.resume=false" in err
    assert cli.main(["recycle", f"run.dir={run_dir}"]) == 2
    assert "holds a `pretrain` run; give `recycle` its own run.dir" in capsys.readouterr().err
    assert OmegaConf.load(run_dir / "config.yaml").pretrain.train_iters == 99, "a refused rerun leaves config.yaml alone"
    # run.resume=false: the old folder is kept aside and the run starts over
    assert cli.main(["recycle", f"run.dir={run_dir}", "run.resume=false"]) == 0
    aside = list(tmp_path.glob("r.old-*"))
    assert len(aside) == 1 and json.loads((aside[0] / "run.json").read_text())["subcommand"] == "pretrain"
    assert json.loads((run_dir / "run.json").read_text())["subcommand"] == "recycle"


def test_uncaught_errors_go_to_the_log_with_traceback_and_handlers_are_removed(tmp_path, echo):
    echo.fail = True
    before = list(logging.getLogger().handlers)
    assert cli.main(["pretrain", f"run.dir={tmp_path / 'r'}"]) == 1
    log_text = (tmp_path / "r" / "logs" / "pretrain.log").read_text()
    assert "Traceback (most recent call last)" in log_text and "RuntimeError: boom in the stage" in log_text
    assert logging.getLogger().handlers == before, "close() detaches the run's log file"
    RunDir.start("demo", OmegaConf.create({"run": {"seed": 1}}), str(tmp_path / "d"), ".").close()
    assert logging.getLogger().handlers == before


def test_resume_invariants_drop_safe_keys_nested_ones_included():
    from nemo_repro.runs import resume_invariants

    resolved = {
        "recycle": {"stage": None, "method": "repro", "max_retries": 3, "vllm": {"memory_fraction": 0.1, "dtype": "float32"}},
        "run": {"seed": 1},
    }
    inv = resume_invariants("recycle", resolved)
    assert inv == {"recycle.stage": None, "recycle.method": "repro", "recycle.vllm.dtype": "float32", "run.seed": 1}
