"""Per-run lm-eval task YAMLs: one file per task, including the format template.

The templates (`tasks/<format>.yaml`) say how a format is scored; the per-run
file adds what differs by task and by run: the name, the data file, the shot
count and the continuation delimiter. Writing them into the run directory
leaves a record of exactly what lm-eval was asked to do.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from nemo_repro.evaluate.suite import TaskSpec

TEMPLATES = Path(__file__).resolve().parent / "tasks"


def task_config(spec: TaskSpec, data_file: Path) -> dict:
    """The lm-eval config of one task reading `data_file`."""
    config = {
        "task": spec.name,
        "include": str(TEMPLATES / f"{spec.format}.yaml"),
        "dataset_kwargs": {"data_file": str(Path(data_file).resolve()), "format": spec.format},
        "num_fewshot": spec.num_fewshot,
        # llm-foundry puts its continuation delimiter between query and answer, in shots too
        "target_delimiter": spec.continuation_delimiter,
        "metadata": {"version": 1.0},
    }
    if spec.format == "language_modeling":
        # lm-eval adds target_delimiter to the shots' answers but not to a loglikelihood
        # request's continuation, so the delimiter goes into the target itself
        config["target_delimiter"] = ""
        config["doc_to_target"] = spec.continuation_delimiter + "{{continuation}}"
    return config


def write_task_yamls(tasks: dict[TaskSpec, Path], out_dir: str | Path) -> Path:
    """Write `<out_dir>/<task>.yaml` for each task; returns `out_dir` (an lm-eval include_path)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for spec, data_file in tasks.items():
        text = yaml.safe_dump(task_config(spec, data_file), sort_keys=False, allow_unicode=True)
        (out / f"{spec.name}.yaml").write_text(text, encoding="utf-8")
    return out
