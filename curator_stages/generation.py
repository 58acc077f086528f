"""What a generating stage needs to build its generator inside a worker (picklable, built in `setup()`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nemo_repro.generation import Generator, SamplingConfig, build_generator


@dataclass
class GeneratorSpec:
    backend: str
    """`hf`, `vllm` or `openai` (see `nemo_repro.generation`)."""

    model: str
    """Local HF folder (`hf`, `vllm`) or served model name (`openai`)."""

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    """Sampling settings of every call."""

    options: dict[str, Any] = field(default_factory=dict)
    """Backend constructor options (`batch_size`, `base_url`, `max_concurrent_requests`, ...)."""

    gpus: float = 0.0
    """GPUs a worker of this stage reserves."""

    def build(self) -> Generator:
        return build_generator(self.backend, self.model, **self.options)
