"""Text generation behind one protocol: `hf` (transformers), `vllm` (in-process engine), `openai` (any server)."""

from nemo_repro.generation.base import ChatMessages, Generator, Prompt, SamplingConfig
from nemo_repro.generation.factory import BACKENDS, build_generator

__all__ = ["BACKENDS", "ChatMessages", "Generator", "Prompt", "SamplingConfig", "build_generator"]
