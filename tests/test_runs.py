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
