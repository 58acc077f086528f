"""Report plots: integer step ticks, the tokens axis, the score apart from the tasks, error bars."""

import matplotlib.pyplot as plt
import pytest

from nemo_repro.plots import curves_figure, plot_curves, plot_tasks_and_score, tasks_and_score_figure


def _rows(n):
    return [{"step": s, "loss": 5.0 - 0.1 * s} for s in range(1, n + 1)]


@pytest.mark.parametrize("steps", [3, 7, 20])
def test_step_ticks_are_whole_numbers(steps):
    fig = curves_figure(_rows(steps), ["loss"], "loss")
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    plt.close(fig)
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_tokens_axis_is_steps_times_tokens_per_step(tmp_path):
    fig = curves_figure(_rows(20), ["loss"], "loss", tokens_per_step=8 * 128)
    fig.canvas.draw()
    ax = fig.axes[0]
    top = [child for child in ax.child_axes][0]
    assert "tokens" in top.get_xlabel() and "1,024 per step" in top.get_xlabel()
    lo, hi = ax.get_xlim()
    assert top.get_xlim() == pytest.approx((lo * 1024, hi * 1024))
    plt.close(fig)
    no_tokens = curves_figure(_rows(5), ["loss"], "loss")
    assert not no_tokens.axes[0].child_axes, "no token axis unless tokens per step is known"
    plt.close(no_tokens)
    assert plot_curves(_rows(20), ["loss"], tmp_path / "loss.png", "loss", tokens_per_step=1024).stat().st_size > 0


def test_score_has_its_own_panel_with_error_bars(tmp_path):
    tasks = ["task_a", "task_b", "task_c"]
    series = {"run1": [0.1, 0.2, 0.3], "run2": [0.0, -0.1, 0.4]}
    errors = {"run1": [0.05, 0.05, 0.05], "run2": [0.02, 0.02, 0.02]}
    fig = tasks_and_score_figure(tasks, series, {"run1": 0.2, "run2": 0.1}, "eval", "centered", errors, {"run1": 0.03, "run2": 0.01})
    left, right = fig.axes
    assert [t.get_text() for t in left.get_xticklabels()] == tasks, "the mean is not drawn among the tasks"
    assert [t.get_text() for t in right.get_xticklabels()] == ["score (mean over tasks)"]
    assert len(left.containers) == 2 * 2, "bars and error bars for each run"
    heights = sorted(p.get_height() for p in right.patches)
    assert heights == pytest.approx([0.1, 0.2])
    plt.close(fig)
    assert plot_tasks_and_score(tasks, series, {"run1": 0.2, "run2": 0.1}, tmp_path / "eval.png", "eval", "c").stat().st_size > 0


def test_histogram_counts_every_value_within_a_fixed_span(tmp_path, monkeypatch):
    import nemo_repro.plots as plots

    drawn = {}
    monkeypatch.setattr(plots, "_save", lambda fig, out: drawn.setdefault("fig", fig))
    plots.plot_histograms({"recycled": [0.7, 0.7, 1.2], "filtered": [-0.1], "none": []}, tmp_path / "h.png", "F1", "F1", bins=10, value_range=(0.0, 1.0))
    ax = drawn["fig"].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["recycled (n=3)", "filtered (n=1)", "none (n=0)"]
    assert sum(p.get_height() for p in ax.patches) == 4, "out-of-span values land in the edge bins"
    assert ax.patches[0].get_x() == pytest.approx(0.0, abs=1e-12)
    drawn["fig"].canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_yticks()), "counts have whole-number ticks"
    plt.close(drawn["fig"])


def test_bar_labels_never_use_scientific_notation():
    from nemo_repro.plots import bar_value_label

    assert bar_value_label(1170.4) == "1,170"
    assert bar_value_label(123456.0) == "123,456"
    assert bar_value_label(0.01234) == "0.0123"
    assert bar_value_label(42.17) == "42.2"
    assert "e" not in bar_value_label(2.5e7)
    assert bar_value_label(1.5e-05) == "0.000015"
    assert bar_value_label(0.0) == "0"
