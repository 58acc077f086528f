"""`grpo_args`: how our RL config becomes TRL's GRPOConfig (process count, vLLM, precision, checkpointing)."""

from __future__ import annotations

import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.loader import load_config
from nemo_repro.rl.train import grpo_args, per_device_batch


def _cfg(*overrides: str):
    return load_config(["rl=tiny", *overrides], subcommand="rl")[0].rl


def test_batch_is_split_over_the_processes_of_the_run():
    cfg = _cfg("rl.prompts_per_step=4", "rl.num_generations=8", "rl.gradient_accumulation_steps=2")  # 32 completions a step
    assert per_device_batch(cfg, 1) == 16 and per_device_batch(cfg, 4) == 4
    with pytest.raises(ConfigError, match="processes"):
        per_device_batch(cfg, 3)


def test_process_count_comes_from_the_launcher(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr("nemo_repro.rl.train.per_device_batch", lambda cfg, n: seen.append(n) or per_device_batch(cfg, n))
    grpo_args(_cfg(), tmp_path, 0, False, [1.0])
    assert seen == [1]  # WORLD_SIZE unset: one process, whatever the GPUs


def test_process_count_under_srun_comes_from_slurm(tmp_path, monkeypatch):
    seen = []
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("SLURM_NTASKS", "2")  # srun without torchrun/accelerate: the same count pretraining reads
    monkeypatch.setattr("nemo_repro.rl.train.per_device_batch", lambda cfg, n: seen.append(n) or per_device_batch(cfg, n))
    grpo_args(_cfg(), tmp_path, 0, False, [1.0])
    assert seen == [2]


def test_vllm_is_asked_for_only_where_it_can_run(tmp_path, caplog):
    args = grpo_args(_cfg("rl.use_vllm=true"), tmp_path, 0, False, [1.0])
    assert not args.use_vllm  # no GPU / no vLLM here: TRL would raise at start-up
    assert "rollouts are generated with transformers" in caplog.text


def test_weights_stay_float32_and_checkpointing_follows_the_config(tmp_path):
    off = grpo_args(_cfg("rl.bf16=true"), tmp_path, 0, False, [1.0])
    assert off.model_init_kwargs == {"dtype": "float32"}
    assert not off.gradient_checkpointing  # TRL's own default is on
    on = grpo_args(_cfg("rl.gradient_checkpointing=true"), tmp_path, 0, False, [1.0])
    assert on.gradient_checkpointing
