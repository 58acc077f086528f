"""The one interface every text-generation backend implements.

A prompt is either a chat (a list of `{"role", "content"}` messages, the
natural unit of the RePro, ReWire and ProX prompts: each backend applies the
model's own chat template) or a plain string sent to the model as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, Union, runtime_checkable

from nemo_repro.config.generation import SamplingConfig

ChatMessages = Sequence[Mapping[str, str]]
Prompt = Union[str, ChatMessages]

__all__ = ["ChatMessages", "Generator", "Prompt", "SamplingConfig", "is_chat"]


@runtime_checkable
class Generator(Protocol):
    """Turns prompts into completions; one output string per prompt, in order."""

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[str]:
        """Return only the newly generated text of each prompt (no prompt echo, no special tokens)."""
        ...


def is_chat(prompt: Prompt) -> bool:
    """Whether `prompt` is a chat (list of messages) rather than a plain string; fails on anything else."""
    if isinstance(prompt, str):
        return False
    if isinstance(prompt, Sequence) and all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in prompt
    ):
        return True
    raise TypeError(f"a prompt must be a string or a list of {{'role', 'content'}} messages, got {prompt!r:.200}")
