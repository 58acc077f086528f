"""GRPO training of the RePro rephraser on TRL's GRPOTrainer.

- `data`: jsonl documents -> RePro chat prompts (bad rows counted and rejected, long ones cut and fitted)
- `policy`: tiny random policy for CPU runs, optional SFT warm-start
- `reward_funcs`: `nemo_repro.rewards` as TRL reward functions (one per component, weighted by TRL)
- `hard_examples`: Escaping-Collapse prompt sampler
- `trainer`: GRPOTrainer subclass (sampler hook) and the metrics callback
- `train`: `train_rephraser(cfg, run_dir) -> final model folder`, the `nemo-repro rl` entry
"""
