"""The `openai` backend for real: NeMo Curator's async client against our local server."""

import threading
import time
from http import HTTPStatus

import pytest

from nemo_repro.generation import SamplingConfig, build_generator
from nemo_repro.generation.server import OpenAICompatServer, RequestError

PROMPTS = [[{"role": "system", "content": "be brief"}, {"role": "user", "content": "item " * n}] for n in (2, 9, 4, 15)]


@pytest.fixture(scope="module")
def served(varied_qwen2_dir):
    hf = build_generator("hf", str(varied_qwen2_dir), batch_size=4)
    with OpenAICompatServer(hf, model_name="tiny-qwen2") as server:
        yield hf, server


def test_openai_backend_returns_exactly_what_hf_returns(served):
    hf, server = served
    assert server.url.startswith("http://127.0.0.1:")
    client = build_generator("openai", "tiny-qwen2", base_url=server.url, max_concurrent_requests=3)
    greedy = SamplingConfig(temperature=0, max_new_tokens=8)
    expected = hf.generate(PROMPTS, greedy)
    assert client.generate(PROMPTS, greedy) == expected
    assert len(set(expected)) == len(expected)
    seeded = SamplingConfig(max_new_tokens=8, seed=3)  # one request per prompt: same seed, same sample
    assert client.generate(PROMPTS[:1], seeded) == hf.generate(PROMPTS[:1], seeded)
    with pytest.raises(TypeError, match="plain string"):
        client.generate(["not a chat"], greedy)


def test_server_speaks_the_openai_protocol(served):
    import openai

    _, server = served
    sdk = openai.OpenAI(base_url=server.url, api_key="EMPTY", max_retries=0)
    assert [m.id for m in sdk.models.list().data] == ["tiny-qwen2"]
    reply = sdk.chat.completions.create(model="tiny-qwen2", messages=PROMPTS[0], n=2, max_tokens=5, seed=1)
    assert [c.index for c in reply.choices] == [0, 1]
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 10 and reply.usage.prompt_tokens > 0
    full = sdk.chat.completions.create(model="tiny-qwen2", messages=PROMPTS[1], max_tokens=6, temperature=0)
    text = full.choices[0].message.content
    stop = text[3:5]
    cut = sdk.chat.completions.create(model="tiny-qwen2", messages=PROMPTS[1], max_tokens=6, temperature=0, stop=[stop])
    assert cut.choices[0].message.content == text[: text.index(stop)] and cut.choices[0].finish_reason == "stop"
    with pytest.raises(openai.NotFoundError, match="not served"):
        sdk.chat.completions.create(model="other", messages=PROMPTS[0])
    bad_requests = ({"messages": []}, {"messages": [{"role": "user"}]}, {"messages": PROMPTS[0], "top_p": 2},
                    {"messages": PROMPTS[0], "stream": True}, {"messages": PROMPTS[0], "seed": -1})
    for bad in bad_requests:
        with pytest.raises(openai.BadRequestError):
            sdk.chat.completions.create(model="tiny-qwen2", max_tokens=2, **bad)


class _Flaky(OpenAICompatServer):
    """Answers 429 to every other request and records how many requests overlap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = self.in_flight = self.peak = 0
        self.guard = threading.Lock()

    def chat_completion(self, body):
        with self.guard:
            self.requests += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            limited = self.requests % 2 == 1
        try:
            time.sleep(0.05)  # let concurrent requests overlap
            if limited:
                raise RequestError("rate limited, slow down", status=HTTPStatus.TOO_MANY_REQUESTS)
            return super().chat_completion(body)
        finally:
            with self.guard:
                self.in_flight -= 1


def test_openai_backend_limits_concurrency_and_retries_rate_limits(served):
    hf, _ = served
    with _Flaky(hf, model_name="tiny-qwen2") as server:
        client = build_generator(
            "openai", "tiny-qwen2", base_url=server.url, max_concurrent_requests=2, max_retries=3, base_delay=0.01
        )
        greedy = SamplingConfig(temperature=0, max_new_tokens=4)
        assert client.generate(PROMPTS, greedy) == hf.generate(PROMPTS, greedy)
    assert server.peak <= 2
    assert len(PROMPTS) < server.requests <= 2 * len(PROMPTS)  # every 429 was retried
