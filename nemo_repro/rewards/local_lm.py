"""A local HF causal LM used as a judge: chat prompt in, greedy text out, batched.

The LM quality rater and the structure judge both need exactly this (few new
tokens, deterministic), so it lives here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def resolve_device(device: str) -> str:
    """`auto` -> `cuda` when a GPU is visible, else `cpu`."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class GreedyLM:
    """Greedy, batched generation from a local HF folder, on the `hf` generator backend.

    Adds what a rater or judge needs on top: head+tail truncation of long inputs
    and rendering of chat prompts before truncation.
    """

    def __init__(self, model_path: str | Path, device: str = "auto", batch_size: int = 16) -> None:
        from nemo_repro.generation.hf import HFGenerator

        self.device = resolve_device(device)
        self._generator = HFGenerator(model_path, batch_size=batch_size, device=self.device, dtype="bfloat16" if self.device == "cuda" else "float32")
        self.tokenizer = self._generator.tokenizer

    def head_tail(self, text: str, max_tokens: int) -> str:
        """Keep the first and last `max_tokens // 2` tokens of a long text (the middle is dropped)."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= max_tokens:
            return text
        half = max_tokens // 2
        return self.tokenizer.decode(ids[:half]) + "\n...\n" + self.tokenizer.decode(ids[-half:])

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        """Render chat messages with the tokenizer's template (plain concatenation without one)."""
        if self.tokenizer.chat_template:
            return self._generator.render(messages)
        return "\n\n".join(m["content"] for m in messages) + "\n\n"

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy continuations of already-rendered prompts."""
        from nemo_repro.generation.base import SamplingConfig

        return self._generator.generate(list(prompts), SamplingConfig(temperature=0.0, max_new_tokens=max_new_tokens, seed=None))


def load_lm(lm: GreedyLM | None, model_path: str | Path | None, device: str, batch_size: int, owner: str) -> GreedyLM:
    """`lm` when given (an already loaded model is shared), else a GreedyLM on `model_path`."""
    if lm is not None:
        return lm
    if model_path is None:
        raise ValueError(f"{owner} needs model_path (a local HF folder of its LM) or lm")
    return GreedyLM(model_path, device=device, batch_size=batch_size)
