"""Build a generator by backend name (the `backend` key of a config)."""

from __future__ import annotations

from typing import Any

from nemo_repro.config.generation import GENERATION_BACKENDS as BACKENDS
from nemo_repro.generation.base import Generator


def build_generator(backend: str, model: str, **options: Any) -> Generator:
    """A `Generator` for `backend`; `model` is a local HF folder (`hf`, `vllm`) or the served
    model name (`openai`). `options` go to the backend's constructor:

    - hf: `batch_size`, `device`, `dtype`, `progress`
    - vllm: `engine` (a `VLLMConfig`), `progress`, any `vllm.LLM` argument
    - openai: `base_url`, `api_key_env`, `max_concurrent_requests`, `max_retries`, `base_delay`, `timeout`, `progress`
    """
    if backend == "hf":
        from nemo_repro.generation.hf import HFGenerator

        return HFGenerator(model, **options)
    if backend == "vllm":
        from nemo_repro.generation.vllm import VLLMGenerator

        return VLLMGenerator(model, **options)
    if backend == "openai":
        from nemo_repro.generation.openai import OpenAIGenerator

        return OpenAIGenerator(model, **options)
    raise ValueError(f"generation backend {backend!r} is unknown; choose one of {list(BACKENDS)}")
