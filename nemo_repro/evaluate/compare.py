"""Side-by-side comparison of evaluation runs (`nemo-repro evaluate compare=[runA,runB]`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from nemo_repro.config.fields import ConfigError
from nemo_repro.runs import write_atomic


def read_results(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise ConfigError(f"evaluate.compare: {path} not found (is {run_dir} an evaluation run directory?)")
    return json.loads(path.read_text(encoding="utf-8"))


def _labels(run_dirs: Sequence[str | Path]) -> list[str]:
    """Short names: folder names, or full paths when two folders share a name."""
    names = [Path(d).name for d in run_dirs]
    return names if len(set(names)) == len(names) else [str(d) for d in run_dirs]


def comparison_table(labels: Sequence[str], runs: Sequence[dict[str, Any]]) -> str:
    """Markdown table: centered accuracy ± standard error per task (a dash where a run lacks the task), then the score."""

    def cell(value: float | None, stderr: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.4f}" + (f" ± {stderr:.4f}" if stderr is not None else "")

    tasks = sorted({t for r in runs for t in r["tasks"]})
    lines = ["| task | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for task in tasks:
        rows = [r["tasks"].get(task, {}) for r in runs]
        lines.append(f"| {task} | " + " | ".join(cell(row.get("centered_acc"), row.get("centered_acc_stderr")) for row in rows) + " |")
    lines.append("| **score** | " + " | ".join(f"**{cell(r['core'], r.get('core_stderr'))}**" + (" (partial)" if r["partial"] else "") for r in runs) + " |")
    return "\n".join(lines)


def compare_runs(run_dirs: Sequence[str | Path], out_dir: str | Path) -> str:
    """Write report.md (the table), compare.json and compare.png into `out_dir`; returns the markdown table."""
    from nemo_repro.plots import plot_tasks_and_score

    out = Path(out_dir)
    runs = [read_results(d) for d in run_dirs]
    labels = _labels(run_dirs)
    table = comparison_table(labels, runs)
    tasks = sorted({t for r in runs for t in r["tasks"]})
    series = {label: [r["tasks"].get(t, {}).get("centered_acc", 0.0) for t in tasks] for label, r in zip(labels, runs)}
    # results.json files written before standard errors were recorded draw without error bars
    errors = {label: [r["tasks"].get(t, {}).get("centered_acc_stderr", 0.0) for t in tasks] for label, r in zip(labels, runs)}
    scores = {label: r["core"] for label, r in zip(labels, runs)}
    score_errors = {label: r.get("core_stderr", 0.0) for label, r in zip(labels, runs)}
    plot_tasks_and_score(tasks, series, scores, out / "compare.png", "Centered accuracy by task (error bars: 1 SE)", "(acc - b) / (1 - b)", errors, score_errors)
    summary = {label: {"run_dir": str(d), "core": r["core"], "partial": r["partial"], "tasks": {t: v["centered_acc"] for t, v in r["tasks"].items()}} for label, d, r in zip(labels, run_dirs, runs)}
    write_atomic(out / "compare.json", json.dumps(summary, indent=2) + "\n")
    write_atomic(out / "report.md", "# Comparison\n\n" + table + "\n\nA task a run lacks is drawn as 0 in the chart.\n\n![comparison](compare.png)\n")
    return table
