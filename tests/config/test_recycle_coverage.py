"""`recycle.min_coverage` and `recycle.coverage_similarity`: values, and bad ones fail before any work (exit 2, naming the key)."""

import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.recycle import RecycleConfig


def test_defaults_and_values():
    cfg = RecycleConfig()
    assert cfg.min_coverage == 0.45 and cfg.coverage_similarity == "auto"
    assert RecycleConfig(min_coverage=1, coverage_similarity=0).min_coverage == 1.0
    assert RecycleConfig(min_coverage=None).min_coverage is None
    for bad in (1.5, -0.1, True, "half"):
        with pytest.raises(ConfigError, match="recycle.min_coverage"):
            RecycleConfig(min_coverage=bad)
    for bad in ("calibrated", 2.0, False):
        with pytest.raises(ConfigError, match="recycle.coverage_similarity"):
            RecycleConfig(coverage_similarity=bad)


@pytest.mark.parametrize("override, key", [("recycle.min_coverage=1.5", "recycle.min_coverage"), ("recycle.min_coverage=abc", "recycle.min_coverage"),
                                           ("recycle.coverage_similarity=maybe", "recycle.coverage_similarity")])
def test_bad_values_exit_2_naming_the_key(tmp_path, capsys, override, key):
    from nemo_repro.cli import main

    assert main(["recycle", override, f"run.dir={tmp_path / 'run'}", "run.progress=false"]) == 2
    assert key in capsys.readouterr().err
    assert not (tmp_path / "run" / "recycled").exists()
