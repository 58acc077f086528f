import json
import shutil

import pytest
import torch

from nemo_repro.config.fields import ConfigError
from nemo_repro.generation import Generator, SamplingConfig, build_generator
from nemo_repro.generation.hf import HFGenerator

PROMPTS = [[{"role": "user", "content": "tell me about " + "tomatoes " * n}] for n in (1, 7, 30, 3, 12)]
GREEDY = SamplingConfig(temperature=0, max_new_tokens=10)


@pytest.fixture(scope="module")
def hf(varied_qwen2_dir) -> HFGenerator:
    return build_generator("hf", str(varied_qwen2_dir), batch_size=2)


def test_sampling_config_defaults_are_the_papers_and_bad_values_fail():
    assert SamplingConfig() == SamplingConfig(temperature=1.0, top_p=0.9, max_new_tokens=2048, seed=0)
    assert SamplingConfig(temperature=0).greedy and not SamplingConfig().greedy
    for bad in ({"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}, {"max_new_tokens": 0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            SamplingConfig(**bad)


def test_greedy_batched_matches_one_by_one_and_depends_on_the_prompt(hf):
    assert isinstance(hf, Generator)
    batched = hf.complete(PROMPTS, GREEDY)
    singles = [hf.generate([p], GREEDY)[0] for p in PROMPTS]
    assert [c.text for c in batched] == singles
    assert len(set(singles)) == len(singles)  # left padding would otherwise go unnoticed
    assert all(c.completion_tokens == 10 and c.finish_reason == "length" for c in batched)
    lengths = [c.prompt_tokens for c in batched]
    assert lengths[2] > lengths[1] > lengths[0]


def test_sampling_is_deterministic_for_a_seed_and_leaves_global_rng_alone(hf):
    sampling = SamplingConfig(max_new_tokens=6, seed=7)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = hf.generate(PROMPTS, sampling)
    assert torch.equal(torch.rand(1), expected_next)
    assert hf.generate(PROMPTS, sampling) == first
    assert hf.generate(PROMPTS, SamplingConfig(max_new_tokens=6, seed=8)) != first


def test_chat_template_and_plain_strings(hf):
    rendered = hf.render(PROMPTS[0])
    assert rendered.startswith("<|im_start|>user\n") and rendered.endswith("<|im_start|>assistant\n")
    assert hf.render("raw text") == "raw text"
    assert hf.generate([rendered], GREEDY) == hf.generate(PROMPTS[:1], GREEDY)
    assert hf.generate([], GREEDY) == []
    with pytest.raises(TypeError, match="role"):
        hf.generate([[{"content": "no role"}]], GREEDY)


def test_generation_stops_at_the_end_of_sequence_token(hf, varied_qwen2_dir, tmp_path):
    inputs = hf.tokenizer(hf.render(PROMPTS[0]), add_special_tokens=False, return_tensors="pt")
    with torch.no_grad():
        first = int(hf.model(**inputs).logits[0, -1].argmax())
    folder = shutil.copytree(varied_qwen2_dir, tmp_path / "model")
    config = json.loads((folder / "generation_config.json").read_text())
    config["eos_token_id"] = first  # the token greedy decoding emits first now ends the text
    (folder / "generation_config.json").write_text(json.dumps(config))
    stopped = HFGenerator(folder).complete(PROMPTS[:1], GREEDY)[0]
    assert (stopped.completion_tokens, stopped.finish_reason) == (1, "stop")


def test_missing_folder_and_unknown_backend_fail_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        build_generator("hf", str(tmp_path))
    with pytest.raises(ValueError, match="choose one of"):
        build_generator("tgi", "x")
