"""A local HF causal LM used as a judge: chat prompt in, greedy text out, batched.

The LM quality rater and the structure judge both need exactly this (few new
tokens, deterministic), so it lives here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def resolve_device(device: str) -> str:
    """`auto` -> `cuda` when a GPU is visible, else `cpu`."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class GreedyLM:
    """Greedy, batched generation from a local HF folder (left padding, chat template when the tokenizer has one)."""

    def __init__(self, model_path: str | Path, device: str = "auto", batch_size: int = 16) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=dtype).to(self.device).eval()

    def head_tail(self, text: str, max_tokens: int) -> str:
        """Keep the first and last `max_tokens // 2` tokens of a long text (the middle is dropped)."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= max_tokens:
            return text
        half = max_tokens // 2
        return self.tokenizer.decode(ids[:half]) + "\n...\n" + self.tokenizer.decode(ids[-half:])

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        """Render chat messages with the tokenizer's template (plain concatenation without one)."""
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n\n".join(m["content"] for m in messages) + "\n\n"

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy continuations of already-rendered prompts."""
        import torch

        outputs: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = self.tokenizer(list(prompts[start : start + self.batch_size]), return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
            with torch.inference_mode():
                out = self.model.generate(
                    **batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=self.tokenizer.pad_token_id
                )
            new_tokens = out[:, batch["input_ids"].shape[1] :]
            outputs.extend(self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
        return outputs
