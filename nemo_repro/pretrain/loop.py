"""The pretraining loop, top to bottom.

    validate -> process groups -> tokenizer and data -> model, optimizer, LR schedule
    -> resume from run.dir/checkpoints/ -> for each step: 1F1B forward/backward over
    the microbatches, clip + AdamW step, LR step (when the update happened), finite
    check, log, checkpoint -> plot + report

`get_forward_backward_func()` picks megatron's schedule: no pipelining for PP=1,
1F1B (warmup, steady one-forward-one-backward, cooldown) for PP > 1. Rank 0
writes the metrics; the loss is computed on the last pipeline stage and summed
to every rank only on log steps, where the device is also synchronised for the
step time (as torchtitan does): the other steps queue their kernels and run on.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from nemo_repro.config.pretrain import PretrainConfig
from nemo_repro.runs import RunDir, bind_local_gpu, global_rank, read_metrics

log = logging.getLogger(__name__)


@dataclass
class PretrainResult:
    run_dir: Path
    """The run directory."""

    checkpoint_dir: Path
    """`run.dir/checkpoints/` (pass it to `checkpoint.load_for_inference`)."""

    final_loss: float
    """Mean LM loss of the last step (NaN on ranks other than 0)."""

    steps: int
    """Optimizer steps done, resumed ones included."""

    tokens_per_s: float
    """Mean training throughput of this process's steps (all ranks together)."""

    seconds_per_step: float
    """Mean wall time of this process's steps, logging included, checkpoint saves excluded."""

    skipped_steps: int = 0
    """Steps of this process whose update megatron's optimizer skipped (inf/NaN grads under loss scaling)."""


def vocab_parallel_logsumexp(logits: torch.Tensor) -> torch.Tensor:
    """log Z over a TP-sharded vocabulary (the last dim), differentiable."""
    from megatron.core import parallel_state
    from megatron.core.tensor_parallel.mappings import reduce_from_tensor_model_parallel_region

    peak = logits.detach().max(dim=-1).values
    torch.distributed.all_reduce(peak, op=torch.distributed.ReduceOp.MAX, group=parallel_state.get_tensor_model_parallel_group())
    sum_exp = (logits - peak.unsqueeze(-1)).exp().sum(dim=-1)
    return reduce_from_tensor_model_parallel_region(sum_exp).log() + peak


def masked_mean(loss_mask, token_loss: torch.Tensor):
    """Mean of megatron's per-token cross entropy over the loss mask; returns (loss, logged values)."""
    mask = loss_mask.float()
    lm_loss = (token_loss.float() * mask).sum() / mask.sum().clamp(min=1)
    return lm_loss, {"lm_loss": lm_loss.detach().clone()}  # the schedule scales the returned loss in place


def loss_with_z_loss(labels, loss_mask, z_loss: float, logits: torch.Tensor):
    """Mean token cross entropy + z_loss * mean (log Z)^2 from the (TP-sharded) logits."""
    from megatron.core import tensor_parallel

    logits = logits.float()
    mask = loss_mask.float()
    n_tokens = mask.sum().clamp(min=1)
    z_term = z_loss * ((vocab_parallel_logsumexp(logits) ** 2) * mask).sum() / n_tokens
    ce = tensor_parallel.vocab_parallel_cross_entropy(logits.clone(), labels)  # it shifts its input in place
    lm_loss = (ce * mask).sum() / n_tokens
    return lm_loss + z_term, {"lm_loss": lm_loss.detach().clone(), "z_loss": z_term.detach().clone()}


def forward_step(z_loss: float, data_iterator, model):
    """One microbatch. Without z-loss GPTModel computes the loss itself (fused, no logits copy)."""
    batch = next(data_iterator)
    if z_loss > 0:
        logits = model(batch["tokens"], batch["position_ids"], None)
        return logits, partial(loss_with_z_loss, batch["labels"], batch["loss_mask"], z_loss)
    token_loss = model(batch["tokens"], batch["position_ids"], None, labels=batch["labels"])
    return token_loss, partial(masked_mean, batch["loss_mask"])


def flops_per_token(cfg: PretrainConfig, vocab: int) -> float:
    """Training FLOPs per token: 6 x matmul parameters + attention scores (12 L h s, no causal discount), as Megatron counts."""
    from nemo_repro.pretrain.model import ffn_size

    h, L = cfg.hidden_size, cfg.num_layers
    mlp = (3 if cfg.swiglu else 2) * h * ffn_size(cfg)
    return 6.0 * (L * (4 * h * h + mlp) + vocab * h) + 12.0 * L * h * cfg.seq_length


def _step_loss(losses: list[dict], layout) -> dict[str, float]:
    """Mean of the microbatch values on the last stage, averaged over DP, summed to every rank (a collective)."""
    from megatron.core import parallel_state

    keys = ("lm_loss", "z_loss")
    local = torch.zeros(len(keys), dtype=torch.float64)
    if torch.cuda.is_available():
        local = local.cuda()
    if parallel_state.is_pipeline_last_stage() and losses:
        for i, key in enumerate(keys):
            if key in losses[0]:
                local[i] = torch.stack([m[key] for m in losses]).double().mean()  # on the device: one copy, below
    torch.distributed.all_reduce(local)
    local /= layout.dp * layout.tp  # every TP rank of every DP replica's last stage holds it
    return {k: float(v) for k, v in zip(keys, local.cpu())}


def _as_run(run: RunDir | str | Path) -> RunDir:
    if isinstance(run, RunDir):
        return run
    path = Path(run)
    path.mkdir(parents=True, exist_ok=True)
    return RunDir(path, "pretrain", global_rank())


def _rank0_first(fn):
    """Run `fn` on rank 0, then on the others (for files all ranks read, built once)."""
    if torch.distributed.get_rank() == 0:
        result = fn()
        torch.distributed.barrier()
        return result
    torch.distributed.barrier()
    return fn()


class TrainingDiverged(RuntimeError):
    """The loss or the gradient norm is no longer finite: the run stops before anything reaches a checkpoint."""


def check_finite(step: int, ckpt_root: Path, grad_norm: float | None = None, loss: float | None = None) -> None:
    """Raise `TrainingDiverged` naming the step, the bad values and the last good checkpoint."""
    bad = {name: value for name, value in (("grad norm", grad_norm), ("loss", loss)) if value is not None and not math.isfinite(value)}
    if not bad:
        return
    from nemo_repro.pretrain.checkpoint import iteration_dir, latest_iteration

    last = latest_iteration(ckpt_root)
    where = f"the last good checkpoint is {iteration_dir(ckpt_root, last)}" if last is not None else "no checkpoint was written yet"
    values = ", ".join(f"{name} {value}" for name, value in bad.items())
    raise TrainingDiverged(
        f"pretrain step {step}: {values}; training diverged and stops here, before a checkpoint; {where}. "
        "Lower pretrain.lr or lengthen pretrain.lr_warmup_iters (or check the data) and train again."
    )


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class StepClock:
    """Wall time of the steps since the last `read`, checkpoint saves excluded.

    Reading it waits for the device (queued kernels finish), so the loop reads it
    only on log steps and lets the other steps run ahead.
    """

    def __init__(self) -> None:
        self.total_seconds = 0.0
        self.total_steps = 0
        self._window_seconds = 0.0
        self._window_steps = 0
        self._t = time.perf_counter()

    def tick(self) -> None:
        self._window_steps += 1

    def pause(self) -> None:
        """Stop counting (before a checkpoint save)."""
        _synchronize()
        self._window_seconds += time.perf_counter() - self._t

    def resume(self) -> None:
        self._t = time.perf_counter()

    def read(self) -> tuple[int, float]:
        """(steps, seconds) since the last read; starts a new window."""
        self.pause()
        steps, seconds = self._window_steps, self._window_seconds
        self.total_steps += steps
        self.total_seconds += seconds
        self._window_steps, self._window_seconds = 0, 0.0
        self.resume()
        return steps, seconds


def pretrain(cfg: PretrainConfig, run: RunDir | str | Path, seed: int = 1234, progress: bool = True) -> PretrainResult:
    """Train (or resume) in this process; under torchrun/srun every rank calls it.

    The metrics writer and the progress bar are closed however the loop ends; a
    NaN/inf loss or grad norm stops it with `TrainingDiverged`. The process group
    stays up for the caller (the CLI tears it down; in-process callers reuse it).
    """
    from megatron.core import parallel_state
    from megatron.core.pipeline_parallel import get_forward_backward_func
    from tqdm import tqdm

    from nemo_repro.pretrain import checkpoint, data, optim, parallel
    from nemo_repro.pretrain.data_parallel import wrap_for_data_parallel
    from nemo_repro.pretrain.model import build_model
    from nemo_repro.pretrain.tokenizer import resolve_tokenizer
    from nemo_repro.pretrain.validate import validate

    bind_local_gpu()
    run = _as_run(run)
    validate(cfg)
    layout = parallel.initialize(cfg.tensor_model_parallel_size, cfg.pipeline_model_parallel_size, seed)
    tokenizer = _rank0_first(lambda: resolve_tokenizer(cfg.tokenizer, run.path / "tokenizer"))
    if cfg.data is None:
        blend = ([_rank0_first(lambda: data.write_sample_data(run.path / "data", tokenizer, cfg.sample_docs, seed))], None)
    else:
        blend = data.resolve_blend(cfg.data)
    num_samples = cfg.train_iters * cfg.global_batch_size
    dataset = data.build_train_dataset(blend, tokenizer, cfg.seq_length, num_samples, seed, run.path / "data_cache")

    torch.manual_seed(seed)
    model, choice = build_model(cfg, tokenizer.vocab_size, seed)
    model = wrap_for_data_parallel(model, cfg)
    optimizer = optim.build_optimizer([model], cfg, bf16=choice.dtype == torch.bfloat16)
    scheduler = optim.build_scheduler(optimizer, cfg)

    ckpt_root = run.path / "checkpoints"
    step, consumed = 0, 0
    if cfg.resume and checkpoint.latest_iteration(ckpt_root) is not None:
        step, consumed = checkpoint.load_checkpoint(ckpt_root, model, optimizer, scheduler)
        if layout.rank == 0:
            run.metrics.truncate_after(step)
        log.info("resumed from %s at step %d (%d samples consumed)", ckpt_root, step, consumed)
    info = {
        "pretrain": dataclasses.asdict(cfg),
        "vocab_size": tokenizer.vocab_size,
        "padded_vocab_size": choice.padded_vocab_size,
        "transformer_impl": choice.transformer_impl,
        "dtype": str(choice.dtype),
        "layout": {"tp": layout.tp, "pp": layout.pp, "dp": layout.dp},
        "seed": seed,
    }

    num_micro = cfg.global_batch_size // (cfg.micro_batch_size * layout.dp)
    forward_backward = get_forward_backward_func()
    tokens_per_step = cfg.global_batch_size * cfg.seq_length
    flops_per_step = flops_per_token(cfg, choice.padded_vocab_size) * tokens_per_step
    peak = cfg.peak_tflops or (989.0 if torch.cuda.is_available() else None)
    dp_rank = parallel_state.get_data_parallel_rank()
    skipped = 0
    metrics: dict[str, float] = {}
    model.train()
    bar = tqdm(total=cfg.train_iters, initial=step, desc="pretrain", disable=not progress or layout.rank != 0)
    clock = StepClock()
    try:
        while step < cfg.train_iters:
            optimizer.zero_grad()
            losses = forward_backward(
                forward_step_func=partial(forward_step, cfg.z_loss),
                data_iterator=data.microbatches(dataset, consumed, cfg.global_batch_size, cfg.micro_batch_size, dp_rank, layout.dp),
                model=model,
                num_microbatches=num_micro,
                seq_length=cfg.seq_length,
                micro_batch_size=cfg.micro_batch_size,
                forward_only=False,
            )
            update_successful, grad_norm = optimizer.step()  # the grad norm is a host float: megatron synchronised for it
            if update_successful:  # as megatron: a skipped update leaves the LR schedule where it was
                scheduler.step(1)
            else:
                skipped += 1
            step += 1
            consumed += cfg.global_batch_size
            clock.tick()
            check_finite(step, ckpt_root, grad_norm=grad_norm)
            if step % cfg.log_interval == 0 or step == cfg.train_iters:
                metrics = _step_loss(losses, layout)  # the only collective and device sync of a step
                check_finite(step, ckpt_root, loss=metrics["lm_loss"])
                steps, seconds = clock.read()
                row = {
                    "loss": metrics["lm_loss"],
                    "lr": optimizer.param_groups[0]["lr"],
                    "grad_norm": grad_norm,
                    "tokens_per_s": steps * tokens_per_step / seconds,
                    "step_time_s": seconds / steps,
                    "consumed_samples": consumed,
                }
                if cfg.z_loss > 0:
                    row["z_loss"] = metrics["z_loss"]
                if peak:
                    row["mfu"] = steps * flops_per_step / seconds / (layout.world_size * peak * 1e12)
                if skipped:
                    row["skipped_steps"] = skipped
                run.metrics.log(step, row)
                bar.set_postfix(loss=f"{metrics['lm_loss']:.4f}")
            bar.update(1)
            if step % cfg.save_interval == 0 or step == cfg.train_iters:
                clock.pause()
                checkpoint.save_checkpoint(ckpt_root, step, consumed, model, optimizer, scheduler, info, tokenizer, cfg.keep_last)
                clock.resume()
    finally:
        bar.close()
        run.metrics.close()
    done, train_seconds = clock.total_steps, clock.total_seconds
    if not done and layout.rank == 0 and run.metrics.path.exists():  # an already finished run: report what it logged
        metrics = {"lm_loss": read_metrics(run.metrics.path)[-1]["loss"]}
    result = PretrainResult(
        run_dir=run.path,
        checkpoint_dir=ckpt_root,
        final_loss=metrics.get("lm_loss", float("nan")),
        steps=step,
        tokens_per_s=done * tokens_per_step / train_seconds if done else 0.0,
        seconds_per_step=train_seconds / done if done else 0.0,
        skipped_steps=skipped,
    )
    if layout.rank == 0:
        from nemo_repro.pretrain.report import write_report

        write_report(run, cfg, info, result, data.samples_per_prefix(dataset, num_samples))
    return result
