"""Per-item correctness under DCLM's rules, centered accuracy and the Core score.

DCLM scores with llm-foundry: a multiple-choice or schema item is correct when
the gold choice has the lowest mean per-token loss over its continuation (not
lm-eval's summed `acc` nor its per-byte `acc_norm`); a language-modeling item is
correct when every continuation token is the greedy prediction. lm-eval logs
each choice's loglikelihood, so the rule is applied to its logged samples, with
token counts from the model's own `(context, continuation)` split.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping, Sequence

from nemo_repro.evaluate.suite import TaskSpec

# (context, continuation) -> number of continuation tokens
TokenCounter = Callable[[str, str], int]


def chosen_index(loglikelihoods: Sequence[float], n_tokens: Sequence[int]) -> int:
    """The choice with the highest mean per-token loglikelihood (first on ties)."""
    means = [ll / max(n, 1) for ll, n in zip(loglikelihoods, n_tokens, strict=True)]
    return max(range(len(means)), key=means.__getitem__)


def sample_choice(sample: Mapping[str, Any], count_tokens: TokenCounter) -> int:
    """The option a model picks in one lm-eval logged multiple-choice or schema sample."""
    lls = [float(r[0]) for r in sample["filtered_resps"]]
    n_tokens = [count_tokens(ctx, cont) for ctx, cont in sample["arguments"]]
    return chosen_index(lls, n_tokens)


def item_correct(sample: Mapping[str, Any], spec: TaskSpec, count_tokens: TokenCounter) -> bool:
    """Whether one lm-eval logged sample is answered correctly."""
    if spec.format == "language_modeling":
        return bool(sample["filtered_resps"][0][1])
    return sample_choice(sample, count_tokens) == int(sample["doc"]["gold"])


METRIC_DOCS: dict[str, str] = {
    "n": "items scored",
    "acc": "accuracy under DCLM's rule (lowest mean per-token loss; greedy match for language modeling): the one the score uses",
    "acc_stderr": "binomial standard error of acc, sqrt(acc (1 - acc) / n)",
    "baseline": "chance accuracy b of the task",
    "centered_acc": "(acc - b) / (1 - b): 0 at chance, 1 when perfect; the score averages it over tasks",
    "centered_acc_stderr": "acc_stderr / (1 - b)",
    "lm_eval": "lm-eval's own metrics for the same samples, for reference only: acc = highest summed loglikelihood, "
    "acc_norm = highest loglikelihood per byte; neither enters the score",
    "core": "mean centered_acc over the evaluated tasks (DCLM Core when all 22 tasks are complete)",
    "core_stderr": "standard error of core, sqrt(sum of centered_acc_stderr^2) / number of tasks (tasks independent)",
}
"""What each number in results.json means; written into the file as `definitions`."""


def centered_accuracy(acc: float, baseline: float) -> float:
    """DCLM's centered accuracy `(acc - b) / (1 - b)`: 0 at chance, 1 when perfect."""
    return (acc - baseline) / (1.0 - baseline)


def binomial_stderr(p: float, n: int) -> float:
    """Standard error `sqrt(p (1 - p) / n)` of an accuracy `p` measured on `n` items."""
    return math.sqrt(p * (1.0 - p) / n)


def task_result(samples: Iterable[Mapping[str, Any]], spec: TaskSpec, count_tokens: TokenCounter) -> dict[str, Any]:
    """`{n, acc, acc_stderr, baseline, centered_acc, centered_acc_stderr}` of one task from its logged samples."""
    correct = [item_correct(s, spec, count_tokens) for s in samples]
    if not correct:
        raise ValueError(f"task {spec.name}: no evaluated examples")
    n = len(correct)
    acc = sum(correct) / n
    stderr = binomial_stderr(acc, n)
    return {
        "n": n,
        "acc": acc,
        "acc_stderr": stderr,
        "baseline": spec.baseline,
        "centered_acc": centered_accuracy(acc, spec.baseline),
        "centered_acc_stderr": stderr / (1.0 - spec.baseline),
    }


def core_score(centered: Mapping[str, float]) -> float:
    """Mean centered accuracy over the tasks given (NaN when none)."""
    values = list(centered.values())
    return sum(values) / len(values) if values else math.nan


def core_stderr(centered_stderr: Mapping[str, float]) -> float:
    """Standard error of `core_score` for independent tasks: `sqrt(sum se_i^2) / k` (NaN when none)."""
    values = list(centered_stderr.values())
    return math.sqrt(sum(v * v for v in values)) / len(values) if values else math.nan
