"""AdamW with grad clipping: megatron's (distributed) optimizer on GPU, a torch one on CPU.

On GPU the optimizer comes from `get_megatron_optimizer` (distributed optimizer,
bf16 main params, its own clipping and grad norm) over the chunks that
`data_parallel.wrap_for_data_parallel` wrapped in megatron's DDP. Both are
CUDA-only in megatron-core 0.16.1, so on CPU `CpuAdamW` does the same job in a
few lines: average grads over the data-parallel group, take the global L2 norm
over the model-parallel group (counting TP-duplicated norm weights once), clip,
step; a non-finite norm skips the update, as megatron skips an overflowed step.
Both expose the same small surface: `zero_grad`, `step() -> (update_successful,
grad_norm)`, `param_groups`, `sharded_state_dict`, `load_state_dict`.
"""

from __future__ import annotations

import math

import torch

from nemo_repro.config.pretrain import PretrainConfig


def _param_groups(model_chunks, weight_decay: float) -> list[dict]:
    """No weight decay on norms and biases (1-D tensors), as megatron does (`wd_mult` keeps the scheduler from setting it)."""
    decay, no_decay = [], []
    for chunk in model_chunks:
        for param in chunk.parameters():
            if param.requires_grad:
                (no_decay if param.dim() < 2 else decay).append(param)
    return [
        {"params": decay, "weight_decay": weight_decay, "wd_mult": 1.0},
        {"params": no_decay, "weight_decay": 0.0, "wd_mult": 0.0},
    ]


class CpuAdamW:
    """torch AdamW + data-parallel grad averaging + global-norm clipping (CPU path)."""

    def __init__(self, model_chunks, cfg: PretrainConfig) -> None:
        self.params = [p for chunk in model_chunks for p in chunk.parameters() if p.requires_grad]
        self.clip_grad = cfg.clip_grad
        self.optimizer = torch.optim.AdamW(
            _param_groups(model_chunks, cfg.weight_decay),
            lr=cfg.lr,
            betas=(cfg.adam_beta1, cfg.adam_beta2),
            eps=cfg.adam_eps,
        )

    @property
    def param_groups(self) -> list[dict]:
        return self.optimizer.param_groups

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)

    def _grad_norm(self) -> float:
        from megatron.core import parallel_state
        from megatron.core.tensor_parallel import param_is_not_tensor_parallel_duplicate

        square = torch.zeros((), dtype=torch.float64)
        for p in self.params:
            if p.grad is not None and param_is_not_tensor_parallel_duplicate(p):
                square += p.grad.double().pow(2).sum()
        torch.distributed.all_reduce(square, group=parallel_state.get_model_parallel_group())
        return float(square.sqrt())

    def step(self) -> tuple[bool, float]:
        """Average grads over DP, clip to `clip_grad`, update; returns (updated, pre-clip grad norm).

        A NaN/inf norm leaves the weights as they were (False), like megatron's skipped step."""
        from megatron.core import parallel_state

        dp_group = parallel_state.get_data_parallel_group()
        dp_size = torch.distributed.get_world_size(dp_group)
        if dp_size > 1:  # gloo has no AVG: sum, then divide
            for p in self.params:
                if p.grad is not None:
                    torch.distributed.all_reduce(p.grad, group=dp_group)
                    p.grad.div_(dp_size)
        norm = self._grad_norm()
        if not math.isfinite(norm):
            return False, norm
        if self.clip_grad > 0 and norm > self.clip_grad:
            scale = self.clip_grad / (norm + 1e-6)
            for p in self.params:
                if p.grad is not None:
                    p.grad.mul_(scale)
        self.optimizer.step()
        return True, norm

    def sharded_state_dict(self, model_sharded_state_dict, is_loading: bool = False) -> dict:
        """AdamW moments as ShardedTensors shaped like their parameters (reshardable), step as a common value."""
        from megatron.core.dist_checkpointing.optimizer import get_param_id_to_sharded_param_map, optim_state_to_sharding_state

        if is_loading:  # the load needs tensors to fill: create the (empty) moments first
            for group in self.optimizer.param_groups:
                for p in group["params"]:
                    state = self.optimizer.state[p]
                    if not state:
                        state.update(step=torch.zeros(()), exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        state_dict = self.optimizer.state_dict()
        steps = {float(s["step"]) for s in state_dict["state"].values()}
        id_map = get_param_id_to_sharded_param_map(model_sharded_state_dict, (p for g in self.optimizer.param_groups for p in g["params"]))
        optim_state_to_sharding_state(state_dict, id_map, exclude_keys="step")
        state_dict["common_step"] = max(steps, default=0.0)
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        step = state_dict.pop("common_step")
        for state in state_dict["state"].values():
            state["step"] = torch.tensor(step)
        self.optimizer.load_state_dict(state_dict)


class GpuOptimizer:
    """megatron's optimizer (distributed optimizer when configured) over DDP-wrapped chunks."""

    def __init__(self, model_chunks, cfg: PretrainConfig, bf16: bool) -> None:
        from megatron.core.optimizer import OptimizerConfig, get_megatron_optimizer

        self.model_chunks = model_chunks
        self.optimizer = get_megatron_optimizer(
            OptimizerConfig(
                optimizer="adam",
                lr=cfg.lr,
                min_lr=cfg.min_lr,
                weight_decay=cfg.weight_decay,
                adam_beta1=cfg.adam_beta1,
                adam_beta2=cfg.adam_beta2,
                adam_eps=cfg.adam_eps,
                clip_grad=cfg.clip_grad,
                bf16=bf16,
                params_dtype=torch.float32,
                use_distributed_optimizer=cfg.use_distributed_optimizer,
            ),
            model_chunks,
        )
        for adam in self._torch_adams():
            prime_adam_state(adam)

    def _torch_adams(self) -> list[torch.optim.Optimizer]:
        """The torch Adam/AdamW megatron falls back to without Transformer Engine or Apex (none with their fused Adam)."""
        chained = getattr(self.optimizer, "chained_optimizers", [self.optimizer])
        inner = [getattr(opt, "optimizer", None) for opt in chained]
        return [opt for opt in inner if isinstance(opt, (torch.optim.Adam, torch.optim.AdamW))]

    @property
    def param_groups(self) -> list[dict]:
        return self.optimizer.param_groups

    def zero_grad(self) -> None:
        for chunk in self.model_chunks:
            chunk.zero_grad_buffer()
        self.optimizer.zero_grad()

    def step(self) -> tuple[bool, float | None]:
        """megatron's step: (update_successful, pre-clip grad norm; None when it found inf/NaN grads and skipped)."""
        update_successful, grad_norm, _ = self.optimizer.step()
        return bool(update_successful), None if grad_norm is None else float(grad_norm)

    def sharded_state_dict(self, model_sharded_state_dict, is_loading: bool = False) -> dict:
        return self.optimizer.sharded_state_dict(model_sharded_state_dict, is_loading=is_loading)

    def load_state_dict(self, state_dict: dict) -> None:
        self.optimizer.load_state_dict(state_dict)
        for adam in self._torch_adams():
            unshare_steps(adam)


def prime_adam_state(adam: torch.optim.Optimizer) -> None:
    """Give every parameter the state torch's Adam would create on its first step (step 0, zero moments).

    megatron-core 0.16.1 with torch's Adam (no TE/Apex) reads a uniform per-parameter `step` when it
    builds a checkpoint template: a fresh optimizer has none, so resuming fails. The first update
    computes exactly what it would from an empty state.
    """
    for group in adam.param_groups:
        for param in group["params"]:
            state = adam.state[param]
            if state:
                continue
            state["step"] = torch.tensor(0.0, dtype=torch.float32, device=param.device if group.get("capturable") or group.get("fused") else "cpu")
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            if group.get("amsgrad"):
                state["max_exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)


def unshare_steps(adam: torch.optim.Optimizer) -> None:
    """megatron's distributed optimizer restores one `step` tensor shared by all parameters; torch's Adam
    increments each parameter's in place, so a shared one would advance once per parameter per update."""
    for state in adam.state.values():
        if "step" in state:
            state["step"] = state["step"].clone()


def build_optimizer(model_chunks, cfg: PretrainConfig, bf16: bool):
    return GpuOptimizer(model_chunks, cfg, bf16) if torch.cuda.is_available() else CpuAdamW(model_chunks, cfg)


def build_scheduler(optimizer, cfg: PretrainConfig):
    """Linear warmup then cosine (or linear/constant) decay to min_lr: megatron's OptimizerParamScheduler."""
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    # megatron's scheduler needs warmup < decay steps: a run shorter than its warmup ends one step before peak
    warmup = min(cfg.lr_warmup_iters, cfg.train_iters - 1)
    return OptimizerParamScheduler(
        optimizer,
        init_lr=0.0,
        max_lr=cfg.lr,
        min_lr=cfg.min_lr,
        lr_warmup_steps=warmup,
        lr_decay_steps=cfg.train_iters,
        lr_decay_style=cfg.lr_decay_style,
        start_wd=cfg.weight_decay,
        end_wd=cfg.weight_decay,
        wd_incr_steps=cfg.train_iters,
        wd_incr_style="constant",
    )
