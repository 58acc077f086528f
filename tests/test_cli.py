import subprocess
import sys

import pytest

from nemo_repro import cli


@pytest.fixture
def echo_subcommand(monkeypatch, tmp_path):
    """A throwaway subcommand wired through the real CLI machinery."""
    calls = []

    def run(cfg, run_dir):
        calls.append((cfg, run_dir))
        run_dir.metrics.log(0, {"x": 1.0})
        run_dir.write_report("# echo")
        return 0

    module = type(sys)("echo_mod")
    module.run = run
    monkeypatch.setitem(sys.modules, "echo_mod", module)
    monkeypatch.setitem(cli.SUBCOMMANDS, "pretrain", ("echo_mod:run", "echo for tests"))
    return calls


def test_help_lists_registered_subcommands(capsys, echo_subcommand):
    assert cli.main([]) == 0
    assert "pretrain" in capsys.readouterr().out


def test_cfg_job_prints_resolved_group(capsys, echo_subcommand):
    assert cli.main(["pretrain", "--cfg", "job", "train_iters=3"]) == 0
    out = capsys.readouterr().out
    assert "train_iters: 3" in out and "pretrain:" in out and "recycle:" not in out


def _help_value(out, key):
    line = next(line for line in out.splitlines() if line.startswith(key + " "))
    return line.split()[1]


def test_help_config_lists_docs(capsys, echo_subcommand):
    assert cli.main(["pretrain", "--help-config"]) == 0
    out = capsys.readouterr().out
    assert "pretrain.train_iters" in out and "Optimizer steps" in out


def test_help_config_shows_the_selected_config_and_the_group_options(capsys, echo_subcommand):
    from omegaconf import OmegaConf

    from nemo_repro.config.loader import conf_dir
    from nemo_repro.config.pretrain import PretrainConfig

    tiny = OmegaConf.load(conf_dir() / "pretrain" / "tiny.yaml")
    assert tiny.num_layers != PretrainConfig.num_layers, "the check needs the tiny config to differ from the schema default"
    assert cli.main(["pretrain", "--help-config"]) == 0
    out = capsys.readouterr().out
    assert _help_value(out, "pretrain.num_layers") == str(tiny.num_layers)
    assert "# pretrain: tiny (options: gpt_1p4b, gpt_400m, tiny;" in out
    assert cli.main(["pretrain", "pretrain=gpt_400m", "train_iters=7", "--help-config"]) == 0
    out = capsys.readouterr().out
    assert "# pretrain: gpt_400m" in out
    assert _help_value(out, "pretrain.num_layers") == str(OmegaConf.load(conf_dir() / "pretrain" / "gpt_400m.yaml").num_layers)
    assert _help_value(out, "pretrain.train_iters") == "7"
    assert not echo_subcommand, "--help-config runs nothing"


def test_help_config_with_a_bad_override_is_a_config_error(capsys, echo_subcommand):
    assert cli.main(["pretrain", "pretrain=nope", "--help-config"]) == 2
    assert "unknown option 'nope' for config group 'pretrain'" in capsys.readouterr().err


def test_bad_override_exits_nonzero_with_message(capsys, echo_subcommand):
    assert cli.main(["pretrain", "pretrain.bogus=1"]) == 2
    assert "unknown config key 'pretrain.bogus'" in capsys.readouterr().err
    assert not echo_subcommand, "nothing runs after a config error"


def test_run_creates_run_dir(tmp_path, echo_subcommand):
    assert cli.main(["pretrain", f"run.dir={tmp_path / 'r'}"]) == 0
    assert (tmp_path / "r" / "config.yaml").exists()
    assert (tmp_path / "r" / "metrics.jsonl").exists()
    assert (tmp_path / "r" / "report.md").read_text().startswith("# echo")
    cfg, run = echo_subcommand[0]
    assert cfg.run.dir == str(tmp_path / "r") and run.path == tmp_path / "r"


def test_console_script_help():
    exe = __import__("pathlib").Path(sys.executable).with_name("nemo-repro")
    if not exe.exists():
        pytest.skip("console script not installed in this interpreter's bin/")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    assert "usage: nemo-repro" in out
