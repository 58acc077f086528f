"""Megatron-Core GPT pretraining: TP/PP/DP, FP8 via Transformer Engine, exact resume.

`pretrain(cfg, run_dir)` trains; `checkpoint.load_for_inference(dir)` loads any checkpoint
into one process; `cli.run` is the `nemo-repro pretrain` entry point.
"""
