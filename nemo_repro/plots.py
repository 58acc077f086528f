"""PNG plots for run reports (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import EngFormatter, MaxNLocator


def plot_curves(
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    out: str | Path,
    title: str,
    ylabel: str = "value",
    tokens_per_step: int | None = None,
) -> Path:
    """Line plot of `keys` against `step` from metrics rows; missing values are skipped.

    Steps are whole numbers, so the axis only has integer ticks. With `tokens_per_step`
    (global batch x sequence length) a second x axis on top shows tokens trained.
    """
    return _save(curves_figure(rows, keys, title, ylabel, tokens_per_step), out)


def _save(fig, out: str | Path) -> Path:
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return Path(out)


def curves_figure(rows: Sequence[dict[str, Any]], keys: Sequence[str], title: str, ylabel: str = "value", tokens_per_step: int | None = None):
    """The figure `plot_curves` saves."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for key in keys:
        points = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if points:
            xs, ys = zip(*points)
            ax.plot(xs, ys, label=key, marker="." if len(points) < 40 else None)
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if tokens_per_step:
        top = ax.secondary_xaxis("top", functions=(lambda s: s * tokens_per_step, lambda t: t / tokens_per_step))
        top.set_xlabel(f"tokens trained ({tokens_per_step:,} per step)")
        top.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    return fig


def bar_value_label(value: float) -> str:
    """A bar's label: 3 significant digits, never in scientific notation (a perplexity of 1170 reads
    "1,170", not "1.17e+03")."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value != value or value == 0:  # nan, 0
        return f"{value:g}"
    return np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="-")


def _grouped_bars(ax, labels: Sequence[str], series: dict[str, Sequence[float]], errors: dict[str, Sequence[float]] | None) -> None:
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [j + i * width for j in range(len(labels))]
        yerr = (errors or {}).get(name)
        bars = ax.bar(xs, values, width=width, label=name, yerr=yerr, capsize=3 if yerr is not None else 0)
        ax.bar_label(bars, labels=[bar_value_label(v) for v in values], fontsize=7)
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.6)


def plot_bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    out: str | Path,
    title: str,
    ylabel: str,
    errors: dict[str, Sequence[float]] | None = None,
) -> Path:
    """Grouped bar chart: one group per label, one bar per series; `errors` (per series) draws error bars."""
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) * max(1, len(series))), 4), dpi=110)
    _grouped_bars(ax, labels, series, errors)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, out)


def plot_tasks_and_score(
    tasks: Sequence[str],
    series: dict[str, Sequence[float]],
    scores: dict[str, float],
    out: str | Path,
    title: str,
    ylabel: str,
    errors: dict[str, Sequence[float]] | None = None,
    score_errors: dict[str, float] | None = None,
) -> Path:
    """Per-task grouped bars in one panel and the mean score in a panel of its own, so the mean is not read as a task."""
    return _save(tasks_and_score_figure(tasks, series, scores, title, ylabel, errors, score_errors), out)


def tasks_and_score_figure(tasks, series, scores, title, ylabel, errors=None, score_errors=None, score_label: str = "score (mean over tasks)"):
    """The figure `plot_tasks_and_score` saves: axes[0] the tasks, axes[1] the score."""
    width = max(6, 0.6 * len(tasks) * max(1, len(series))) + 2
    fig, (left, right) = plt.subplots(1, 2, figsize=(width, 4), dpi=110, sharey=True, gridspec_kw={"width_ratios": [max(1, len(tasks)), 1.2]})
    _grouped_bars(left, tasks, series, errors)
    left.set_title("per task")
    left.set_ylabel(ylabel)
    score_err = {name: [value] for name, value in (score_errors or {}).items()}
    _grouped_bars(right, [score_label], {name: [value] for name, value in scores.items()}, score_err or None)
    right.set_xticklabels([score_label], rotation=0, ha="center")
    right.set_title("mean")
    left.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def plot_histograms(
    series: dict[str, Sequence[float]],
    out: str | Path,
    title: str,
    xlabel: str,
    bins: int = 30,
    log_x: bool = False,
    value_range: tuple[float, float] | None = None,
) -> Path:
    """Overlaid histograms, one per named series, labelled with their counts; `log_x` uses log-spaced bins
    (values must be > 0); `value_range` fixes the bins' span (e.g. (0, 1) for a score)."""

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    values_all = [v for values in series.values() for v in values if not log_x or v > 0]
    edges: int | np.ndarray = bins if value_range is None else np.linspace(*value_range, bins + 1)
    if log_x and values_all:
        edges = np.logspace(np.log10(min(values_all)), np.log10(max(values_all) + 1), bins)
        ax.set_xscale("log")
    for name, values in series.items():
        values = [v for v in values if not log_x or v > 0]
        if value_range is not None:  # values outside the span go in the edge bins, so n counts every value drawn
            values = list(np.clip(values, *value_range))
        if len(values):
            ax.hist(values, bins=edges, alpha=0.5, label=f"{name} (n={len(values)})")
        else:  # an empty series still appears in the legend, so the reader sees it had nothing
            ax.plot([], [], " ", label=f"{name} (n=0)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, out)
