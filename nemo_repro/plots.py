"""PNG plots for run reports (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_curves(rows: Sequence[dict[str, Any]], keys: Sequence[str], out: str | Path, title: str, ylabel: str = "value") -> Path:
    """Line plot of `keys` against `step` from metrics rows; missing values are skipped."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for key in keys:
        points = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if points:
            xs, ys = zip(*points)
            ax.plot(xs, ys, label=key, marker="." if len(points) < 40 else None)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return Path(out)


def plot_bars(labels: Sequence[str], series: dict[str, Sequence[float]], out: str | Path, title: str, ylabel: str) -> Path:
    """Grouped bar chart: one group per label, one bar per series."""
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) * max(1, len(series))), 4), dpi=110)
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [j + i * width for j in range(len(labels))]
        bars = ax.bar(xs, values, width=width, label=name)
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return Path(out)


def plot_histograms(series: dict[str, Sequence[float]], out: str | Path, title: str, xlabel: str, bins: int = 30, log_x: bool = False) -> Path:
    """Overlaid histograms, one per named series; `log_x` uses log-spaced bins (values must be > 0)."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    values_all = [v for values in series.values() for v in values if not log_x or v > 0]
    edges: int | np.ndarray = bins
    if log_x and values_all:
        edges = np.logspace(np.log10(min(values_all)), np.log10(max(values_all) + 1), bins)
        ax.set_xscale("log")
    for name, values in series.items():
        values = [v for v in values if not log_x or v > 0]
        if len(values):
            ax.hist(values, bins=edges, alpha=0.5, label=f"{name} (n={len(values)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return Path(out)
