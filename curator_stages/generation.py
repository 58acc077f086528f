"""What a generating stage needs to build its generator inside a worker (picklable, built in `setup()`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import TEXT
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


@dataclass
class GeneratingStage(RowStage):
    """Base of the stages that prompt a generator with each live row's text (Rephrase, ReWire, ProX).

    The generator is built once per worker in `setup()`; a worker reserves the GPUs the spec asks for.
    """

    generator: GeneratorSpec
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def __post_init__(self) -> None:
        if self.generator.gpus:
            self.resources = Resources(cpus=1.0, gpus=self.generator.gpus)

    def setup(self, worker_metadata=None) -> None:
        self._generator = self.generator.build()

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]
