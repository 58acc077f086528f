"""Helpers of the recycling tests (imported by conftest, tests and the bench): a scripted tiny rephraser, bad input lines."""

from __future__ import annotations

import json
from pathlib import Path


SCRIPTED_ANSWER = "Here is a paraphrased version: The cycling guide."


def build_scripted_lm(out_dir: Path, answer: str = SCRIPTED_ANSWER, num_heads: int = 4) -> Path:
    """A tiny causal LM whose weights are set so that it answers every chat prompt with `answer`.

    Its BPE is trained on the sample corpus plus the prompt and the answer, so
    the answer is a few distinct tokens. Attention and MLP outputs are zeroed, so the next token depends only on the
    current one; the embeddings of the answer's tokens are distinct basis vectors
    and the (untied) output head maps each to the next token of the answer, with
    margins large enough that sampling at T=1 follows the script. A real HF
    model folder, generated with `transformers` like any rephraser.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import build_tiny_causal_lm, train_bpe_tokenizer
    from nemo_repro.prompts import REPRO_SYSTEM, REPRO_USER_TEMPLATE

    texts = [d["text"] for d in generate_corpus(30, seed=0)] + [f"{REPRO_SYSTEM}\n{REPRO_USER_TEMPLATE}"] * 50 + [answer] * 300
    tokenizer = train_bpe_tokenizer(texts, vocab_size=512)
    random_lm_dir = build_tiny_causal_lm(tokenizer, out_dir / "random", num_heads=num_heads)
    model = AutoModelForCausalLM.from_pretrained(str(random_lm_dir), tie_word_embeddings=False)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True)
    chain = [tokenizer(prompt, add_special_tokens=False)["input_ids"][-1]]
    chain += tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if len(set(chain[:-1])) != len(chain) - 1 or len(chain) > model.config.hidden_size:
        raise ValueError(f"answer {answer!r} needs distinct tokens and at most {model.config.hidden_size} of them")
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        embed, head = model.model.embed_tokens.weight, model.lm_head.weight
        head.zero_()
        for i, (token, following) in enumerate(zip(chain, chain[1:])):
            embed[token].zero_()
            embed[token, i] = 1.0
            head[following, i] = 100.0
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir


BAD_LINES = {
    "malformed JSON": b'{"id": "bad-json", "text": "unterminated\n',
    "invalid UTF-8": b'{"id": "bad-utf8", "text": "caf\xe9 au lait with the milk"}\n',
    "missing field": b'{"id": "no-text", "body": "the text is in another field"}\n',
    "not a string": b'{"id": "int-text", "text": 42}\n',
    "empty text": b'{"id": "empty", "text": "   "}\n',
    "not English": json.dumps({"id": "german", "text": "Der Hund schläft im Garten, weil die Sonne scheint und es warm ist."}).encode() + b"\n",
    "too long": json.dumps({"id": "huge", "text": "the cat and the dog. " * 3000}).encode() + b"\n",
    "not an object": b'["a", "list"]\n',
}
