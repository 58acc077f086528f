import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.rl import SFTWarmupConfig
from nemo_repro.rl.policy import lr_factor


def test_lr_factor_warms_up_then_decays_to_floor():
    factors = [lr_factor(step, warmup_steps=10, total_steps=120) for step in range(120)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(factors[:10], factors[1:10]))  # rising during warmup
    assert all(a >= b for a, b in zip(factors[10:], factors[11:]))  # never rising after
    assert lr_factor(120, 10, 120) == pytest.approx(0.1)  # ends at the floor
    assert [lr_factor(step, 0, 100) for step in (0, 50, 99)] == [1.0, 1.0, 1.0]  # no warmup: constant, as before


def test_negative_warmup_is_a_config_error():
    with pytest.raises(ConfigError, match="rl.sft_warmup.warmup_steps"):
        SFTWarmupConfig(warmup_steps=-1)
