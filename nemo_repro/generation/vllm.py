"""`vllm` backend: in-process vLLM offline inference (GPU only).

Thin over vLLM's documented offline API: `LLM(...)` loads the model once,
`llm.chat` applies the model's chat template, `llm.generate` takes plain
strings, `SamplingParams` carries the sampling settings. vLLM is imported only
when the generator is built, so CPU machines never touch it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat


class VLLMGenerator:
    """Generate with `vllm.LLM`; extra keyword arguments (e.g. `gpu_memory_utilization`,
    `max_model_len`) go to `LLM(...)` unchanged."""

    def __init__(
        self,
        model: str | Path,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        progress: bool = False,
        **llm_kwargs: Any,
    ) -> None:
        try:
            from vllm import LLM
        except ImportError as error:
            raise ImportError("the vllm backend needs vLLM on a CUDA machine: pip install vllm") from error
        self.progress = progress
        self.llm = LLM(model=str(model), tensor_parallel_size=tensor_parallel_size, dtype=dtype, **llm_kwargs)

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
