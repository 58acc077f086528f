"""Cross-section rules of the root config: GRPO rewards the marker wherever the recycler requires it."""

import pytest
from omegaconf import OmegaConf

from nemo_repro.config import ConfigError, load_config
from nemo_repro.config.loader import conf_dir, group_options
from nemo_repro.config.root import recycler_requires_marker


@pytest.mark.parametrize("rl", group_options("rl"))
def test_every_rl_option_rewards_the_marker_the_default_recycler_requires(rl):
    cfg, _ = load_config([f"rl={rl}"])
    assert recycler_requires_marker(cfg.recycle), "the default recycle option filters on the marker"
    assert cfg.rl.rewards.weight_format > 0
    assert OmegaConf.load(conf_dir() / "rl" / f"{rl}.yaml").rewards.weight_format > 0, "stated in the file itself"


@pytest.mark.parametrize("rl", ["tiny", "repro_4b"])
def test_a_zero_format_weight_with_a_marker_filter_is_a_config_error(rl):
    with pytest.raises(ConfigError, match=r"rl.rewards.weight_format=0.0 but recycle.require_marker=true"):
        load_config([f"rl={rl}", "rl.rewards.weight_format=0"])


@pytest.mark.parametrize("override", ["recycle.require_marker=false", "recycle=prox", "recycle=rewire"])
def test_the_format_reward_may_be_off_where_no_marker_is_required(override):
    cfg, _ = load_config(["rl.rewards.weight_format=0", override])
    assert not recycler_requires_marker(cfg.recycle) and cfg.rl.rewards.weight_format == 0
