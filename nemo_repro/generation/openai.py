"""`openai` backend: any OpenAI-compatible chat server (a vLLM server, NIM, `nemo_repro.generation.server`).

Requests go through NeMo Curator's `AsyncOpenAIClient`, which bounds the
number of requests in flight and retries rate-limit and connection errors with
exponential backoff; the OpenAI SDK's own retries are switched off so that one
policy applies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence

from tqdm.auto import tqdm

from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat


class OpenAIGenerator:
    """Chat completions from an OpenAI-compatible server, `max_concurrent_requests` at a time.

    `model` is the name the server serves (see its `/v1/models`). Prompts must be
    chats: the server applies the chat template, and the chat endpoint is the one
    every OpenAI-compatible server has.
    """

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key: str = "EMPTY",
        max_concurrent_requests: int = 8,
        max_retries: int = 3,
        base_delay: float = 1.0,
        timeout: float = 600.0,
        progress: bool = False,
    ) -> None:
        if max_concurrent_requests < 1:
            raise ValueError(f"max_concurrent_requests={max_concurrent_requests} must be >= 1")
        self.model = model
        self.client_kwargs = dict(
            max_concurrent_requests=max_concurrent_requests,
            max_retries=max_retries,
            base_delay=base_delay,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
        )
        self.progress = progress

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[str]:
        """Return the assistant text of each chat, in input order."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.agenerate(prompts, sampling))
        # Called from inside an event loop (a notebook, an async stage): run on a private loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.agenerate(prompts, sampling)).result()

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[str]:
        """The async form of `generate`, for callers that already run an event loop."""
        from nemo_curator.models.client.llm_client import GenerationConfig
        from nemo_curator.models.client.openai_client import AsyncOpenAIClient

        for index, prompt in enumerate(prompts):
            if not is_chat(prompt):
                raise TypeError(f"openai generator: prompt {index} is a plain string; send chat messages")
        config = GenerationConfig(
            max_tokens=sampling.max_new_tokens,
            n=1,
            seed=sampling.seed,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
        )
        # A client per call: the SDK's HTTP pool is bound to the event loop that created it.
        client = AsyncOpenAIClient(**self.client_kwargs)
        client.setup()
        client.client = client.client.with_options(max_retries=0)
        bar = tqdm(total=len(prompts), desc="generate", unit="prompt", disable=not self.progress)

        async def one(prompt: Prompt) -> str:
            choices = await client.query_model(
                messages=[dict(m) for m in prompt], model=self.model, generation_config=config
            )
            bar.update(1)
            return choices[0] or ""  # a server may send `content: null` for an empty answer

        try:
            return list(await asyncio.gather(*(one(p) for p in prompts)))
        finally:
            bar.close()
            await client.client.close()
