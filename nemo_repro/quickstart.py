"""`nemo-repro quickstart`: the whole RePro loop, end to end, on CPU in minutes.

1. teach a tiny rephraser the task (SFT warm-start on page -> marker + clean article), then GRPO with every reward;
2. recycle the shortest pages of the embedded sample corpus with it through the NeMo Curator pipeline, with the
   paper's filters at calibrated thresholds;
3. when both sides of the mix have data: pretrain two tiny Megatron-Core GPTs on the same token budget (organic
   only, organic + recycled; no side read more than `quickstart.max_epochs` times), several seeds each, and score
   each on held-out clean articles (perplexity) and the embedded task set;
4. write report.md / report.html with plots, and summary.json.

Each phase is the same library call its subcommand makes; the quickstart only wires
outputs to inputs and writes the combined report.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

from nemo_repro.config.root import RootConfig
from nemo_repro.runs import RunDir, write_atomic

log = logging.getLogger(__name__)

PHASES = ("rephraser (GRPO)", "recycle (NeMo Curator)", "pretrain organic-only", "pretrain organic+recycled")


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


HELDOUT_SEED_OFFSET = 1_000_003
"""Held-out pages come from the sample corpus under `run.seed + this`: none of them is in the training corpus."""


def _organic_only_blend(blend_path: Path, out: Path) -> Path:
    """A blend with only the organic prefix of the recycle stage's blend (same data, no recycled side)."""
    from nemo_repro.mix.blend import read_blend, read_blend_tokenizer, write_blend

    organic = [e for e in read_blend(blend_path) if Path(e.prefix).name == "organic"]
    if not organic:
        raise RuntimeError(f"{blend_path} has no organic prefix")
    return write_blend(out, [(1.0, organic[0].prefix)], read_blend_tokenizer(blend_path))


def nothing_to_mix(megatron: dict[str, Any]) -> str | None:
    """Why the two pretraining runs cannot be compared (None when both sides have tokens)."""
    tokens = {side: megatron.get(side, {}).get("tokens", 0) for side in ("organic", "recycled")}
    if not tokens["recycled"]:
        return "no recycled document passed the filters, so there was nothing to mix with the organic pool"
    if not tokens["organic"]:
        return "no organic page passed the quality filter, so there is no organic-only baseline"
    return None


def sized_train_iters(side_tokens: dict[str, int], weights: dict[str, float], tokens_per_iter: int, max_iters: int, max_epochs: float) -> int:
    """The most iterations (up to `max_iters`) for which neither run reads either side more than `max_epochs` times.

    The organic-only run reads the organic side alone; the mixed run reads each side at its blend weight."""
    total = sum(weights.values())
    budgets = [max_epochs * side_tokens["organic"]]  # organic-only
    budgets += [max_epochs * side_tokens[side] * total / w for side, w in weights.items()]  # organic+recycled
    return max(0, min(max_iters, int(min(budgets) // tokens_per_iter)))


def _policy_samples(cfg: RootConfig, root: Path, corpus_docs: list[dict], heldout_pages: list[dict]) -> list[dict]:
    """Greedy answers after the warm-start and after GRPO, on held-in (RL prompt) and held-out pages."""
    from nemo_repro.rl.samples import answer_rows, policy_answers

    n = cfg.quickstart.samples
    if not n:
        return []
    pages = {"held-in": corpus_docs[:n], "held-out": heldout_pages[:n]}
    stages = {"warm-start": root / "rl" / "sft", "GRPO": root / "rl" / "final"}
    rows = []
    for stage, model_dir in stages.items():
        if not (model_dir / "config.json").exists():
            continue
        for split, docs in pages.items():
            answers = policy_answers(model_dir, [d["text"] for d in docs], cfg.rl.max_doc_chars, cfg.recycle.sampling.max_new_tokens)
            rows += answer_rows(docs, answers, split, stage)
    return rows


def run(cfg: RootConfig, run: RunDir) -> int:
    from curator_stages.pipeline import recycle
    from nemo_repro.data.sample_corpus import generate_corpus, short_documents, write_documents
    from nemo_repro.rl.train import train_rephraser

    root, seed, progress, qs = run.path, cfg.run.seed, cfg.run.progress, cfg.quickstart
    phases = Phases()
    started = time.time()
    corpus_docs = short_documents(qs.n_docs, seed)
    corpus = write_documents(root / "data" / "corpus.jsonl", corpus_docs)
    heldout_pages = list(generate_corpus(max(qs.heldout_docs, qs.samples), seed + HELDOUT_SEED_OFFSET))
    heldout = write_documents(root / "data" / "heldout.jsonl", heldout_pages)
    print(f"nemo-repro quickstart: {qs.n_docs} sample documents -> {corpus}; {qs.heldout_docs} held-out articles -> {heldout}")

    phases.start("rephraser (GRPO)")
    rl_cfg = dataclasses.replace(cfg.rl, data=str(corpus))
    rl_dir = root / "rl"
    rephraser = train_rephraser(rl_cfg, rl_dir, metrics=RunDir(rl_dir, "rl").metrics, seed=seed, progress=progress)
    samples = _policy_samples(cfg, root, corpus_docs, heldout_pages)
    write_atomic(rl_dir / "samples.json", json.dumps(samples, indent=1) + "\n")

    phases.start("recycle (NeMo Curator)")
    # The pretraining runs get a word-level BPE of their own: the rephraser's merges span words (rl=tiny), which would
    # shrink the organic side to a few hundred tokens and leave the comparison nothing to train on.
    tokenizer = root / "data" / "pretrain_tokenizer"
    if not (tokenizer / "tokenizer.json").exists():
        from nemo_repro.models.tiny import train_bpe_tokenizer

        train_bpe_tokenizer([d["text"] for d in corpus_docs], vocab_size=qs.pretrain_vocab_size, out_dir=tokenizer)
    recycle_cfg = dataclasses.replace(cfg.recycle, input=str(corpus), rephraser=str(rephraser), tokenizer=str(tokenizer))
    recycle_dir = root / "recycle"
    tokens_per_iter = cfg.pretrain.global_batch_size * cfg.pretrain.seq_length
    summary = recycle(recycle_cfg, recycle_dir, seed=seed, progress=progress, run=RunDir(recycle_dir, "recycle"),
                      train=(cfg.pretrain.train_iters, tokens_per_iter))

    comparison = compare(cfg, root, summary, [d["clean_text"] for d in heldout_pages[: qs.heldout_docs]], str(tokenizer), phases)
    phases.stop()

    from nemo_repro.quickstart_report import write_quickstart_report

    report = write_quickstart_report(root, cfg, summary, comparison, samples, phases.seconds, time.time() - started)
    print(report.console_summary)
    return 0


def compare(cfg: RootConfig, root: Path, summary: dict[str, Any], heldout_texts: list[str], tokenizer: str, phases: Phases) -> dict[str, Any]:
    """Pretrain organic-only and organic+recycled on the same token budget, `quickstart.seeds` seeds each; score
    held-out perplexity and the embedded tasks. Returns what the report needs (`ran: false` with the reason when
    there is nothing to compare)."""
    from nemo_repro.evaluate.perplexity import checkpoint_perplexity
    from nemo_repro.evaluate.runner import evaluate
    from nemo_repro.evaluate.sample_tasks import write_sample_tasks
    from nemo_repro.mix.ratio import epochs_per_side
    from nemo_repro.pretrain.loop import pretrain

    qs, pcfg = cfg.quickstart, cfg.pretrain
    megatron = summary["megatron"]
    side_tokens = {side: megatron.get(side, {}).get("tokens", 0) for side in ("organic", "recycled")}
    tokens_per_iter = pcfg.global_batch_size * pcfg.seq_length
    out: dict[str, Any] = {"ran": False, "side_tokens": side_tokens, "tokens_per_iter": tokens_per_iter, "max_epochs": qs.max_epochs,
                           "seeds": [cfg.run.seed + k for k in range(qs.seeds)], "heldout": {"docs": len(heldout_texts), "seed": cfg.run.seed + HELDOUT_SEED_OFFSET}}
    reason = nothing_to_mix(megatron)
    weights = megatron.get("weights", {})
    train_iters = 0 if reason else sized_train_iters(side_tokens, weights, tokens_per_iter, pcfg.train_iters, qs.max_epochs)
    if not reason and train_iters < 2:
        reason = (f"the smaller side holds too few tokens ({min(side_tokens.values())}) for even 2 iterations of {tokens_per_iter} tokens "
                  f"within {qs.max_epochs} epochs")
    if reason:
        out["reason"] = reason
        print(f"      pretraining comparison skipped: {reason}", flush=True)
        return out
    train_tokens = train_iters * tokens_per_iter
    blend = Path(megatron["blend"])
    data = {"organic-only": _organic_only_blend(blend, root / "data" / "blend_organic_only.json"), "organic+recycled": blend}
    epochs = {"organic-only": epochs_per_side(side_tokens, {"organic": 1.0}, train_tokens), "organic+recycled": epochs_per_side(side_tokens, weights, train_tokens)}
    out.update(ran=True, train_iters=train_iters, train_tokens=train_tokens, configured_train_iters=pcfg.train_iters,
               weights=weights, runs={name: {"epochs": {k: round(v, 3) for k, v in epochs[name].items()}, "seeds": {}} for name in data})
    tasks_dir = write_sample_tasks(root / "data" / "eval", n_per_task=qs.eval_items_per_task, seed=cfg.run.seed)
    tasks = sorted(p.stem for p in tasks_dir.glob("*.jsonl"))
    sized = dataclasses.replace(pcfg, train_iters=train_iters, save_interval=train_iters, lr_warmup_iters=min(pcfg.lr_warmup_iters, train_iters - 1), tokenizer=tokenizer)
    for name, blend_path in data.items():
        phases.start(f"pretrain {name}")
        for seed in out["seeds"]:
            run_dir = root / f"pretrain_{name.replace('+', '_').replace('-', '_')}" / f"seed{seed}"
            result = pretrain(dataclasses.replace(sized, data=str(blend_path)), RunDir(run_dir, "pretrain"), seed=seed, progress=cfg.run.progress)
            ppl = checkpoint_perplexity(str(run_dir / "checkpoints"), heldout_texts)
            eval_cfg = dataclasses.replace(cfg.evaluate, model=str(run_dir / "checkpoints"), data_dir=str(tasks_dir), tasks=tasks)
            results = evaluate(eval_cfg, run_dir / "eval")
            out["runs"][name]["seeds"][seed] = {"run_dir": str(run_dir), "final_loss": result.final_loss, "heldout": ppl, "eval": results}
            out["heldout"]["tokens"] = ppl["tokens"]
    return out
