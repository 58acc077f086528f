"""The vLLM backend runs only where vLLM and a GPU exist; elsewhere these tests skip."""

import pytest

from nemo_repro.generation import SamplingConfig, build_generator


@pytest.mark.gpu
def test_vllm_generates_one_text_per_prompt_in_order(varied_qwen2_dir):
    pytest.importorskip("vllm")
    generator = build_generator("vllm", str(varied_qwen2_dir), gpu_memory_utilization=0.3, max_model_len=1024)
    prompts = [[{"role": "user", "content": "hello " * n}] for n in (1, 5)] + ["plain text"]
    greedy = SamplingConfig(temperature=0, max_new_tokens=8)
    outputs = generator.generate(prompts, greedy)
    assert len(outputs) == 3 and all(isinstance(o, str) for o in outputs)
    assert generator.generate(prompts, greedy) == outputs


def test_vllm_backend_without_vllm_says_how_to_get_it(varied_qwen2_dir):
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install vllm"):
            build_generator("vllm", str(varied_qwen2_dir))
    else:
        pytest.skip("vLLM is installed here")
