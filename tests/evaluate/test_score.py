import math

import pytest

from nemo_repro.evaluate.score import (
    METRIC_DOCS,
    binomial_stderr,
    centered_accuracy,
    chosen_index,
    core_score,
    core_stderr,
    item_correct,
    sample_choice,
    task_result,
)
from nemo_repro.evaluate.suite import TaskSpec

MC = TaskSpec("mc", "multiple_choice", 0, 0.25)
LM = TaskSpec("lm", "language_modeling", 0, 0.0)


def test_centered_accuracy_hand_cases():
    assert centered_accuracy(0.25, 0.25) == 0.0
    assert centered_accuracy(1.0, 0.25) == 1.0
    assert centered_accuracy(0.625, 0.25) == pytest.approx(0.5)
    assert centered_accuracy(0.5, 0.62) == pytest.approx((0.5 - 0.62) / 0.38)  # below chance is negative
    assert centered_accuracy(0.3, 0.0) == 0.3


def test_core_is_the_mean_of_centered_accuracies():
    # arc_easy acc 0.625 (b=.25) -> 0.5; copa acc 0.75 (b=.5) -> 0.5; squad acc 0.2 (b=0) -> 0.2
    centered = {"arc_easy": centered_accuracy(0.625, 0.25), "copa": centered_accuracy(0.75, 0.5), "squad": 0.2}
    assert core_score(centered) == pytest.approx(0.4)
    assert math.isnan(core_score({}))


def test_choice_is_lowest_mean_per_token_loss_not_sum():
    # choice 0: -3 over 1 token (mean -3); choice 1: -4 over 4 tokens (mean -1): the sum picks 0, DCLM picks 1
    assert chosen_index([-3.0, -4.0], [1, 4]) == 1
    assert chosen_index([-3.0, -4.0], [1, 1]) == 0
    assert chosen_index([-2.0, -2.0], [2, 2]) == 0  # ties: first


def _mc_sample(lls, conts, gold):
    return {"doc": {"gold": gold}, "arguments": [("ctx", c) for c in conts], "filtered_resps": [(ll, False) for ll in lls]}


def test_items_and_task_result():
    count_words = lambda ctx, cont: len(cont.split())  # noqa: E731
    a = _mc_sample([-3.0, -4.0], [" x", " a b c d"], gold=1)
    b = _mc_sample([-3.0, -4.0], [" x", " a b c d"], gold=0)
    assert sample_choice(a, count_words) == 1
    assert item_correct(a, MC, count_words) and not item_correct(b, MC, count_words)
    greedy = {"filtered_resps": [(-1.0, True)]}
    assert item_correct(greedy, LM, count_words)
    result = task_result([a, b, a, a], MC, count_words)
    se = (0.75 * 0.25 / 4) ** 0.5
    assert result == {
        "n": 4,
        "acc": 0.75,
        "acc_stderr": pytest.approx(se),
        "baseline": 0.25,
        "centered_acc": pytest.approx(2 / 3),
        "centered_acc_stderr": pytest.approx(se / 0.75),
    }
    with pytest.raises(ValueError, match="no evaluated examples"):
        task_result([], MC, count_words)


def test_standard_errors_hand_cases():
    assert binomial_stderr(0.5, 100) == pytest.approx(0.05)
    assert binomial_stderr(0.0, 10) == 0.0 and binomial_stderr(1.0, 10) == 0.0
    assert binomial_stderr(0.1, 900) == pytest.approx(0.01)
    # three independent tasks with SE 0.03, 0.04, 0.12: sqrt(0.0009 + 0.0016 + 0.0144) / 3 = 0.13 / 3
    assert core_stderr({"a": 0.03, "b": 0.04, "c": 0.12}) == pytest.approx(0.13 / 3)
    assert math.isnan(core_stderr({}))


def test_every_result_field_is_defined():
    count_words = lambda ctx, cont: len(cont.split())  # noqa: E731
    row = task_result([_mc_sample([-1.0, -2.0], [" a", " b"], gold=0)], MC, count_words)
    assert set(row) <= set(METRIC_DOCS) and {"lm_eval", "core", "core_stderr"} <= set(METRIC_DOCS)
    assert "neither enters the score" in METRIC_DOCS["lm_eval"]
