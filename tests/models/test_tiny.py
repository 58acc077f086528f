from transformers import AutoModelForCausalLM, AutoTokenizer

from nemo_repro.models.tiny import non_embedding_parameters


def test_tiny_models_load_generate_and_stay_small(tiny_qwen2_dir, tiny_llama_gpt2_dir):
    for folder, arch in ((tiny_qwen2_dir, "qwen2"), (tiny_llama_gpt2_dir, "llama")):
        model = AutoModelForCausalLM.from_pretrained(str(folder))
        tok = AutoTokenizer.from_pretrained(str(folder))
        assert model.config.model_type == arch
        assert non_embedding_parameters(model) < 1_000_000
        prompt = tok.apply_chat_template([{"role": "user", "content": "hello"}], tokenize=False, add_generation_prompt=True)
        assert prompt.endswith("<|im_start|>assistant\n")
        ids = tok([prompt], return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=4, do_sample=False)
        assert out.shape[1] == ids["input_ids"].shape[1] + 4


def test_small_tokenizer_round_trips(small_tokenizer_dir):
    tok = AutoTokenizer.from_pretrained(str(small_tokenizer_dir))
    assert len(tok) == 512
    text = "Keep a simple notebook: 42 tomato seedlings.\n- item"
    assert tok.decode(tok(text)["input_ids"]) == text
