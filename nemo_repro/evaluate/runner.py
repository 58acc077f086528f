"""`nemo-repro evaluate`: lm-eval on local task files, DCLM scoring, results.json and report.md.

    nemo-repro evaluate evaluate.model=<checkpoint or HF folder> evaluate.data_dir=<dir> \
        evaluate.tasks=[arc_easy,piqa] run.dir=runs/eval-x
    nemo-repro evaluate compare=[runs/eval-a,runs/eval-b] run.dir=runs/cmp

`results.json`: `tasks.<name>.{n, acc, acc_stderr, baseline, centered_acc,
centered_acc_stderr, lm_eval}`, `core` (mean centered accuracy over the evaluated
tasks) with `core_stderr`, `partial` (true unless all 22 DCLM Core tasks were
evaluated in full), `skipped` (tasks whose file is missing), model and data paths,
and `definitions` saying what each number is (`score.METRIC_DOCS`): `acc` is DCLM's
accuracy, `centered_acc` rescales it so chance is 0, and `lm_eval.acc`/`acc_norm`
are lm-eval's own rules, kept for reference and not used in the score.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

from nemo_repro.config.evaluate import EvaluateConfig
from nemo_repro.config.fields import ConfigError
from nemo_repro.evaluate.formats import read_task_file
from nemo_repro.evaluate.models import load_lm, model_kind
from nemo_repro.evaluate.score import METRIC_DOCS, core_score, core_stderr, task_result
from nemo_repro.evaluate.sample_tasks import write_sample_tasks
from nemo_repro.evaluate.suite import DCLM_CORE, SAMPLE_TASKS, TaskSpec, find_data_file, get_task
from nemo_repro.evaluate.task_yaml import write_task_yamls
from nemo_repro.runs import RunDir, write_atomic

log = logging.getLogger(__name__)
SAMPLE_NAMES = {t.name for t in SAMPLE_TASKS}


def resolve_tasks(cfg: EvaluateConfig) -> tuple[dict[TaskSpec, Path], list[str]]:
    """(task -> data file) for the tasks with a file, and the names of those without one."""
    if not cfg.data_dir:
        raise ConfigError("evaluate.data_dir is required: a folder of llm-foundry-format <task>.jsonl files")
    if not Path(cfg.data_dir).is_dir():
        raise ConfigError(f"evaluate.data_dir={cfg.data_dir} is not a directory")
    try:
        specs = [get_task(name) for name in cfg.tasks] if cfg.tasks else list(DCLM_CORE)
    except KeyError as exc:
        raise ConfigError(f"evaluate.tasks: {exc.args[0]}") from None
    if cfg.num_fewshot is not None:
        specs = [dataclasses.replace(spec, num_fewshot=cfg.num_fewshot) for spec in specs]
    found: dict[TaskSpec, Path] = {}
    skipped = []
    for spec in specs:
        path = find_data_file(spec, cfg.data_dir)
        if path is None:
            skipped.append(spec.name)
        else:
            found[spec] = path
    if not found:
        raise ConfigError(f"no task file found in {cfg.data_dir} for {[s.name for s in specs]} (looked for <task>.jsonl)")
    return found, skipped


def run_lm_eval(lm, tasks: dict[TaskSpec, Path], yaml_dir: Path, limit: int | None = None, fewshot_seed: int = 1234) -> dict[str, Any]:
    """lm-eval's `simple_evaluate` on our per-run task YAMLs, with every sample logged."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(write_task_yamls(tasks, yaml_dir)), include_defaults=False)
    return lm_eval.simple_evaluate(
        model=lm,
        tasks=[spec.name for spec in tasks],
        task_manager=manager,
        limit=limit,
        log_samples=True,
        bootstrap_iters=0,
        fewshot_random_seed=fewshot_seed,
    )


def evaluate(cfg: EvaluateConfig, run_dir: str | Path) -> dict[str, Any]:
    """Evaluate `cfg.model` on the tasks of `cfg.data_dir`; writes and returns the results dict."""
    import lm_eval

    if not cfg.model:
        raise ConfigError("evaluate.model is required: our checkpoint directory or an HF model folder")
    run_dir = Path(run_dir)
    if cfg.data_dir is None and cfg.tasks and all(name in SAMPLE_NAMES for name in cfg.tasks):
        # the embedded tasks need no data: write them into the run (the CPU quickstart)
        cfg = dataclasses.replace(cfg, data_dir=str(write_sample_tasks(run_dir / "sample_tasks")))
    tasks, skipped = resolve_tasks(cfg)
    for name in skipped:
        log.warning("task %s skipped: no data file in %s", name, cfg.data_dir)
    sizes = {spec.name: len(read_task_file(path, spec.format)) for spec, path in tasks.items()}  # fail fast on bad rows
    kind = model_kind(cfg.model)
    lm, count_tokens = load_lm(cfg, kind)
    start = time.perf_counter()
    out = run_lm_eval(lm, tasks, run_dir / "lm_eval_tasks", limit=cfg.limit, fewshot_seed=cfg.fewshot_seed)
    seconds = time.perf_counter() - start

    results: dict[str, Any] = {"tasks": {}}
    for spec in tasks:
        row = task_result(out["samples"][spec.name], spec, count_tokens)
        row["num_fewshot"] = spec.num_fewshot
        row["data_file"] = str(tasks[spec])
        row["lm_eval"] = {k.split(",")[0]: v for k, v in out["results"][spec.name].items() if k.endswith(",none") and isinstance(v, (int, float))}
        results["tasks"][spec.name] = row
    evaluated = results["tasks"]
    # the score is DCLM Core only for exactly its 22 tasks, every example, DCLM's shot counts
    is_core = set(evaluated) == {s.name for s in DCLM_CORE} and all(
        evaluated[s.name]["n"] == sizes[s.name] and s.num_fewshot == get_task(s.name).num_fewshot for s in tasks
    )
    results.update(
        core=core_score({name: r["centered_acc"] for name, r in evaluated.items()}),
        core_stderr=core_stderr({name: r["centered_acc_stderr"] for name, r in evaluated.items()}),
        partial=not is_core,
        skipped=skipped,
        missing_core=[s.name for s in DCLM_CORE if s.name not in evaluated],
        model=str(Path(cfg.model).resolve()),
        model_kind=kind,
        data_dir=str(Path(cfg.data_dir).resolve()),
        limit=cfg.limit,
        examples=sum(r["n"] for r in evaluated.values()),
        seconds=round(seconds, 2),
        lm_eval_version=lm_eval.__version__,
        definitions=METRIC_DOCS,
    )
    write_atomic(run_dir / "results.json", json.dumps(results, indent=2) + "\n")
    return results


def report_markdown(results: dict[str, Any]) -> str:
    """report.md of one evaluation run."""
    lines = [
        "# Evaluation",
        "",
        f"- model: `{results['model']}` ({results['model_kind']})",
        f"- data: `{results['data_dir']}`" + (f", first {results['limit']} examples per task" if results["limit"] else ""),
        f"- score (mean centered accuracy over {len(results['tasks'])} tasks): **{results['core']:.4f} ± {results['core_stderr']:.4f}**"
        + (" (partial: not the full 22-task DCLM Core)" if results["partial"] else " (DCLM Core, all 22 tasks)"),
        f"- {results['examples']} examples in {results['seconds']:.1f} s ({results['examples'] / max(results['seconds'], 1e-9):.1f} examples/s)",
    ]
    if results["skipped"]:
        lines.append(f"- skipped, no data file: {', '.join(results['skipped'])}")
    lines += ["", "| task | shots | n | acc ± SE | baseline | centered acc ± SE |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in sorted(results["tasks"].items()):
        lines.append(
            f"| {name} | {r['num_fewshot']} | {r['n']} | {r['acc']:.4f} ± {r['acc_stderr']:.4f} | {r['baseline']:.3f} "
            f"| {r['centered_acc']:.4f} ± {r['centered_acc_stderr']:.4f} |"
        )
    lines += [
        "",
        "acc: DCLM's rule (the choice with the lowest mean per-token loss; for language modeling, every token greedy).",
        "centered acc: (acc - baseline) / (1 - baseline), 0 at chance; the score is its mean over the tasks.",
        "SE: binomial standard error sqrt(acc (1 - acc) / n), divided by (1 - baseline) for centered acc.",
        "lm-eval's own acc/acc_norm are kept in results.json under `lm_eval` for reference only.",
        "",
        "![centered accuracy](centered_acc.png)",
    ]
    return "\n".join(lines)


def run(cfg, run: RunDir) -> int:
    """CLI entry point of `nemo-repro evaluate`."""
    from nemo_repro.evaluate.compare import compare_runs
    from nemo_repro.plots import plot_bars

    if cfg.evaluate.compare:
        print(compare_runs(cfg.evaluate.compare, run.path))
        return 0
    results = evaluate(cfg.evaluate, run.path)
    names = sorted(results["tasks"])
    run.metrics.log(0, {"core": results["core"], **{f"{n}/centered_acc": results["tasks"][n]["centered_acc"] for n in names}})
    plot_bars(
        names,
        {"centered acc": [results["tasks"][n]["centered_acc"] for n in names]},
        run.path / "centered_acc.png",
        "Centered accuracy per task (error bars: 1 SE)",
        "(acc - b) / (1 - b)",
        errors={"centered acc": [results["tasks"][n]["centered_acc_stderr"] for n in names]},
    )
    run.write_report(report_markdown(results))
    print(f"score {results['core']:.4f} over {len(names)} tasks" + (" (partial)" if results["partial"] else "") + f"; results in {run.path / 'results.json'}")
    return 0
