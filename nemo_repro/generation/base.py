"""The one interface every text-generation backend implements.

A prompt is either a chat (a list of `{"role", "content"}` messages, the
natural unit of the RePro, ReWire and ProX prompts: each backend applies the
model's own chat template) or a plain string sent to the model as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional, Protocol, Union, runtime_checkable

ChatMessages = Sequence[Mapping[str, str]]
Prompt = Union[str, ChatMessages]


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
        # Imported here: the config package embeds this class (`recycle.sampling`), so a
        # module-level import would be circular.
        from nemo_repro.config.fields import ConfigError, check_positive

        check_positive("temperature", self.temperature, allow_zero=True)
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p={self.top_p!r} must be in (0, 1]")
        check_positive("max_new_tokens", self.max_new_tokens)

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy (temperature 0)."""
        return self.temperature == 0


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
