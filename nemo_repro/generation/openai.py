"""`openai` backend: any OpenAI-compatible chat server (a vLLM server, NIM, `nemo_repro.generation.server`).

Requests go through NeMo Curator's `AsyncOpenAIClient`, which bounds the
number of requests in flight and retries rate-limit and connection errors with
exponential backoff; the OpenAI SDK's own retries are switched off so that one
policy applies. The API key comes from the environment variable named by
`api_key_env` (never from a config value), and every error names the server's URL
with any credentials in it redacted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Sequence

from tqdm.auto import tqdm

from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat
from nemo_repro.secrets import install_log_redaction, redact

NO_KEY = "EMPTY"  # what servers started without --api-key accept


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
        api_key_env: str = "OPENAI_API_KEY",
        max_concurrent_requests: int = 8,
        max_retries: int = 3,
        base_delay: float = 1.0,
        timeout: float = 600.0,
        progress: bool = False,
    ) -> None:
        install_log_redaction()  # also in Ray workers, where the stage's log handlers do not exist
        if max_concurrent_requests < 1:
            raise ValueError(f"max_concurrent_requests={max_concurrent_requests} must be >= 1")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.max_retries = max_retries
        self.client_kwargs = dict(
            max_concurrent_requests=max_concurrent_requests,
            max_retries=max_retries,
            base_delay=base_delay,
            base_url=base_url,
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
        # The key is read here, in the worker, so it never travels in a pickled stage or a config.
        client = AsyncOpenAIClient(api_key=os.environ.get(self.api_key_env) or NO_KEY, **self.client_kwargs)
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
        except Exception as exc:
            # The SDK's messages and causes can carry the URL with its credentials: keep only a redacted copy.
            raise RuntimeError(
                f"openai backend: a request to {redact(self.base_url)} (model {self.model!r}) failed "
                f"after {self.max_retries} retries: {type(exc).__name__}: {redact(str(exc))}"
            ) from None
        finally:
            bar.close()
            await client.client.close()
