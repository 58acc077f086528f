"""Evaluation: lm-eval on local llm-foundry-format task files, DCLM Core scoring, run comparison.

`evaluate(cfg, run_dir) -> results` is the programmatic entry; `nemo-repro evaluate` the CLI one.
"""

from nemo_repro.evaluate.runner import evaluate

__all__ = ["evaluate"]
