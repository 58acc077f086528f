"""Tiny local models and tokenizers, built from scratch with no downloads.

The quickstart and the tests need causal LMs and tokenizers that exist on a
fresh machine. These builders make them (random init) and save them as
ordinary HF folders, so every consumer loads them exactly like a real model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

# A ChatML-style template (the one Qwen models use), so prompts built with
# `apply_chat_template` take the same code path for tiny and real models.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]


def _wrap(tokenizer_object, out_dir: Path | None):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer_object,
        eos_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        unk_token=None,
        pad_token="<|pad|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    tok.chat_template = CHAT_TEMPLATE
    tok.padding_side = "left"  # generation pads on the left
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        tok.save_pretrained(str(out_dir))
    return tok


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int = 512, out_dir: str | Path | None = None, across_words: bool = False):
    """Train a byte-level BPE on `texts` and return it as a HF fast tokenizer.

    A small vocabulary keeps a random policy's entropy low enough for GRPO to
    learn in a few CPU steps (with 50k tokens the reward stays flat).
    `across_words=True` drops the word-splitting step, so merges may span spaces
    and punctuation (like SentencePiece without its whitespace split): on
    templated text frequent phrases become single tokens and sequences get much shorter.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not across_words)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    return _wrap(tokenizer, Path(out_dir) if out_dir else None)


def load_tokenizer_json(path: str | Path, out_dir: str | Path | None = None):
    """Wrap a `tokenizer.json` (e.g. GPT-2's) as a HF fast tokenizer with our special tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.add_special_tokens([t for t in SPECIAL_TOKENS if tokenizer.token_to_id(t) is None])
    return _wrap(tokenizer, Path(out_dir) if out_dir else None)


def build_tiny_causal_lm(
    tokenizer,
    out_dir: str | Path,
    arch: str = "qwen2",
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    intermediate_size: int = 128,
    max_position_embeddings: int = 8192,
    seed: int = 0,
) -> Path:
    """Save a randomly initialised Qwen2- or Llama-style causal LM (and its tokenizer) to `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    config_cls = {"qwen2": Qwen2Config, "llama": LlamaConfig}.get(arch)
    if config_cls is None:
        raise ValueError(f"arch={arch!r}: choose 'qwen2' or 'llama'")
    config = config_cls(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    out = Path(out_dir)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    model.generation_config.save_pretrained(str(out))
    return out


def non_embedding_parameters(model) -> int:
    """Parameter count without the (tied) token embedding and output head."""
    embed = model.get_input_embeddings().weight
    return sum(p.numel() for p in model.parameters() if p is not embed)
