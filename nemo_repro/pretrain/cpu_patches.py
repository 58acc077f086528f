"""Run megatron-core 0.16.1 on CPU: redirect its CUDA hard-codes.

megatron-core assumes a GPU in a few places that the CPU tensor-/pipeline-
parallel path goes through (measured by running that path on a CPU-only
machine; `tests/pretrain/test_cpu_patches.py` keeps each one covered):

1. `megatron.core.utils.GlobalMemoryBuffer.get_tensor` (sequence-parallel and
   TP all-gather scratch space) allocates on `torch.cuda.current_device()`;
2. `tensor_parallel.get_cuda_rng_tracker().fork()` forks the CUDA RNG state
   around TP-sharded weight init and dropout;
3. `pipeline_parallel/p2p_communication.py` allocates receive buffers on
   `torch.cuda.current_device()` and calls `torch.cuda.synchronize()`;
4. `pipeline_parallel/schedules.py` creates `torch.zeros(..., device="cuda")`
   token counters in every schedule;
Found while building this module (the measurement above used learned
positions and explicit masks):
5. `RotaryEmbedding.get_emb` moves its inverse frequencies to
   `torch.cuda.current_device()`;
6. `transformer/utils.py: get_default_causal_mask` (used when no attention
   mask is passed) builds the mask with `device="cuda"`;
7. dist_checkpointing's `torch_dist` save path: `filesystem_async.py` calls
   `torch.cuda.synchronize()` and `state_dict_saver.py` all-reduces its
   success flags in CUDA tensors.

`apply()` redirects exactly those to the CPU and does nothing when CUDA is
available. Places 1 and 3 to 7 see a module-local `torch` whose `cuda` namespace
answers `current_device()` with "cpu" and makes `synchronize()` a no-op, and
whose factory functions map `device="cuda"` to the CPU; the real `torch` is
untouched for everybody else. Place 2 uses megatron's own no-op tracker (the
one it builds for inference): forking becomes a null context. That is exact
only without dropout, so `validate` in `nemo_repro.pretrain.validate` requires
dropout 0 on CPU.
"""

from __future__ import annotations

import types

import torch

# The megatron modules whose `torch` global is swapped (places 1 and 3 to 7).
PATCHED_MODULES = (
    "megatron.core.utils",
    "megatron.core.pipeline_parallel.p2p_communication",
    "megatron.core.pipeline_parallel.schedules",
    "megatron.core.models.common.embeddings.rotary_pos_embedding",
    "megatron.core.transformer.utils",
    "megatron.core.dist_checkpointing.strategies.filesystem_async",
    "megatron.core.dist_checkpointing.strategies.state_dict_saver",
)
_FACTORIES = ("empty", "zeros", "ones", "tensor", "full")


class _CpuCuda:
    """`torch.cuda` as seen by a patched module: the current device is the CPU."""

    def __getattr__(self, name):
        return getattr(torch.cuda, name)

    @staticmethod
    def current_device() -> str:
        return "cpu"

    @staticmethod
    def synchronize(device=None) -> None:
        """Gloo p2p ops have completed once `wait()` returned; nothing to sync."""


def _on_cpu(factory):
    def make(*args, **kwargs):
        device = kwargs.get("device")
        if device is not None and torch.device(device).type == "cuda":
            kwargs["device"] = "cpu"
        return factory(*args, **kwargs)

    return make


class _CpuTorch(types.ModuleType):
    """A stand-in for `torch` inside one megatron module; everything else is the real torch."""

    def __init__(self) -> None:
        super().__init__("torch")
        self.cuda = _CpuCuda()
        for name in _FACTORIES:
            setattr(self, name, _on_cpu(getattr(torch, name)))

    def __getattr__(self, name):
        return getattr(torch, name)


def apply() -> bool:
    """Redirect the CUDA hard-codes to the CPU when CUDA is absent (idempotent); returns whether it did."""
    if torch.cuda.is_available():
        return False
    import importlib

    from megatron.core.tensor_parallel import random as tp_random

    for name in PATCHED_MODULES:
        module = importlib.import_module(name)
        if not isinstance(module.torch, _CpuTorch):
            module.torch = _CpuTorch()
    # The inference tracker's fork() is a null context and add()/set_states() are no-ops.
    if not tp_random.get_cuda_rng_tracker(inference_rng_tracker=True).is_inference_rng_tracker:
        tp_random.initialize_rng_tracker(inference_rng_tracker=True, force_reset=True)
    return True
