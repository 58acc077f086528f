"""`nemo-repro quickstart`: the whole RePro loop, end to end, on CPU in minutes.

1. GRPO-train a tiny rephraser (short SFT warm-start) with the real rewards;
2. recycle the embedded sample corpus with it through the NeMo Curator pipeline;
3. pretrain two tiny Megatron-Core GPTs on the same token budget: organic only, organic + recycled;
4. evaluate both on the embedded task set;
5. write report.md / report.html with plots, and summary.json.

Each phase is the same library call its subcommand makes; the quickstart only wires
outputs to inputs and writes the combined report.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from nemo_repro.config.root import RootConfig
from nemo_repro.runs import RunDir

log = logging.getLogger(__name__)

PHASES = ("rephraser (GRPO)", "recycle (NeMo Curator)", "pretrain organic-only", "pretrain organic+recycled", "evaluate")


class Phases:
    """Prints `[i/n] phase` banners and keeps each phase's wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._start = 0.0

    def start(self, name: str) -> None:
        self.stop()
        index = PHASES.index(name) + 1
        print(f"\n[{index}/{len(PHASES)}] {name}", flush=True)
        self._name, self._start = name, time.time()

    def stop(self) -> None:
        if self._name is not None:
            self.seconds[self._name] = round(time.time() - self._start, 1)
            print(f"      done in {self.seconds[self._name]:.1f} s", flush=True)
            self._name = None


def _organic_only_blend(blend_path: Path, out: Path) -> Path:
    """A blend with only the organic prefix of the recycle stage's blend (same data, no recycled side)."""
    from nemo_repro.mix.blend import read_blend, read_blend_tokenizer, write_blend

    organic = [e for e in read_blend(blend_path) if Path(e.prefix).name == "organic"]
    if not organic:
        raise RuntimeError(f"{blend_path} has no organic prefix")
    return write_blend(out, [(1.0, organic[0].prefix)], read_blend_tokenizer(blend_path))


def run(cfg: RootConfig, run: RunDir) -> int:
    from curator_stages.pipeline import recycle
    from nemo_repro.data.sample_corpus import write_corpus
    from nemo_repro.evaluate.runner import evaluate
    from nemo_repro.evaluate.sample_tasks import write_sample_tasks
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.rl.train import train_rephraser

    root, seed, progress = run.path, cfg.run.seed, cfg.run.progress
    phases = Phases()
    started = time.time()
    corpus = write_corpus(root / "data" / "corpus.jsonl", n_docs=cfg.quickstart.n_docs, seed=seed)
    print(f"nemo-repro quickstart: {cfg.quickstart.n_docs} sample documents -> {corpus}")

    phases.start("rephraser (GRPO)")
    rl_cfg = dataclasses.replace(cfg.rl, data=str(corpus))
    rl_dir = root / "rl"
    rephraser = train_rephraser(rl_cfg, rl_dir, metrics=RunDir(rl_dir, "rl").metrics, seed=seed, progress=progress)

    phases.start("recycle (NeMo Curator)")
    recycle_cfg = dataclasses.replace(cfg.recycle, input=str(corpus), rephraser=str(rephraser), tokenizer=str(rephraser))
    recycle_dir = root / "recycle"
    summary = recycle(recycle_cfg, recycle_dir, seed=seed, progress=progress, run=RunDir(recycle_dir, "recycle"))
    if "blend" not in summary["megatron"]:
        raise RuntimeError(
            f"nothing reached the mix (recycled {summary['recycled']} of {summary['input']}; filter reasons: "
            f"{summary['reasons']['filtered']}): train the rephraser longer (rl.max_steps) or see {recycle_dir}/report.md"
        )
    blend = Path(summary["megatron"]["blend"])

    runs = {"organic-only": _organic_only_blend(blend, root / "data" / "blend_organic_only.json"), "organic+recycled": blend}
    pretrain_dirs = {}
    for name, data in runs.items():
        phases.start(f"pretrain {name}")
        pretrain_cfg = dataclasses.replace(cfg.pretrain, data=str(data), tokenizer=str(rephraser))
        out = root / f"pretrain_{name.replace('+', '_').replace('-', '_')}"
        pretrain(pretrain_cfg, RunDir(out, "pretrain"), seed=seed, progress=progress)
        pretrain_dirs[name] = out

    phases.start("evaluate")
    tasks_dir = write_sample_tasks(root / "data" / "eval", n_per_task=cfg.quickstart.eval_items_per_task, seed=seed)
    results = {}
    for name, out in pretrain_dirs.items():
        tasks = sorted(p.stem for p in tasks_dir.glob("*.jsonl"))
        eval_cfg = dataclasses.replace(cfg.evaluate, model=str(out / "checkpoints"), data_dir=str(tasks_dir), tasks=tasks)
        results[name] = evaluate(eval_cfg, root / f"eval_{out.name.removeprefix('pretrain_')}")
    phases.stop()

    from nemo_repro.quickstart_report import write_quickstart_report

    report = write_quickstart_report(root, cfg, summary, pretrain_dirs, results, phases.seconds, time.time() - started)
    print(report.console_summary)
    return 0
