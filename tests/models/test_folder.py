"""The one rule of a local HF model folder."""

import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.models.folder import is_hf_model_folder, require_hf_model_folder


def test_a_model_folder_has_its_config_json(tmp_path):
    assert not is_hf_model_folder(tmp_path) and not is_hf_model_folder(tmp_path / "absent")
    with pytest.raises(ConfigError, match=r"rl.policy='x' is not a local HF model folder \(no config.json\)"):
        require_hf_model_folder(tmp_path, "rl.policy='x'")
    with pytest.raises(FileNotFoundError, match="config.json"):
        require_hf_model_folder(tmp_path, "hf generator", FileNotFoundError)
    (tmp_path / "config.json").write_text("{}")
    assert is_hf_model_folder(tmp_path) and require_hf_model_folder(str(tmp_path), "x") == tmp_path
