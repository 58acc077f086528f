"""`hf` backend: batched `transformers` generation on CPU or GPU.

The model folder is loaded once; prompts are sorted by length and generated in
left-padded batches (less padding, same results), then returned in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from nemo_repro.generation.base import Prompt, SamplingConfig, is_chat


@dataclass(frozen=True)
class Completion:
    """One generated completion with the token counts an API server reports."""

    text: str
    """The new text only, special tokens removed."""

    prompt_tokens: int
    """Tokens in the (templated) prompt."""

    completion_tokens: int
    """Tokens generated, up to and including the end-of-sequence token."""

    finish_reason: str
    """`stop` when the model ended the text, `length` when `max_new_tokens` cut it."""


class HFGenerator:
    """Generate with a local Hugging Face causal LM folder.

    `device="auto"` picks CUDA when present; `dtype="auto"` keeps the folder's
    dtype. Decoding is greedy when `temperature == 0`; with sampling, the same
    prompts and seed give the same outputs (the seed is applied on a forked RNG,
    so the caller's global random state is left alone).
    """

    def __init__(
        self,
        model: str | Path,
        batch_size: int = 8,
        device: str = "auto",
        dtype: str = "auto",
        progress: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from nemo_repro.models.folder import require_hf_model_folder

        folder = require_hf_model_folder(model, f"hf generator: {model}", FileNotFoundError)
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be >= 1")
        self.name = str(folder)
        self.batch_size = batch_size
        self.progress = progress
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.tokenizer.padding_side = "left"  # generation continues from the right end
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        self.model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch_dtype).to(self.device).eval()
        self._stop_ids = self._eos_ids()

    def _eos_ids(self) -> list[int]:
        """End-of-sequence ids: the model's generation config plus the tokenizer's EOS (e.g. `<|im_end|>`)."""
        configured = self.model.generation_config.eos_token_id
        ids = list(configured) if isinstance(configured, (list, tuple)) else [configured]
        ids.append(self.tokenizer.eos_token_id)
        return sorted({i for i in ids if i is not None})

    def render(self, prompt: Prompt) -> str:
        """The exact text fed to the model: the chat template for messages, the string itself otherwise."""
        if is_chat(prompt):
            return self.tokenizer.apply_chat_template(
                [dict(m) for m in prompt], tokenize=False, add_generation_prompt=True
            )
        return prompt

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[str]:
        """Return the new text of each prompt, in input order."""
        return [c.text for c in self.complete(prompts, sampling)]

    def complete(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[Completion]:
        """Like `generate`, with token counts and finish reasons (used by the local API server)."""
        import torch

        # A chat template writes its own special tokens; a plain string gets the tokenizer's (e.g. BOS).
        encoded = [self.tokenizer(self.render(p), add_special_tokens=not is_chat(p))["input_ids"] for p in prompts]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        results: list[Completion | None] = [None] * len(encoded)
        devices = [self.device.index if self.device.index is not None else torch.cuda.current_device()] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed)
            starts = range(0, len(order), self.batch_size)
            for start in tqdm(starts, desc="generate", unit="batch", disable=not self.progress):
                batch = order[start : start + self.batch_size]
                for i, completion in zip(batch, self._generate_batch([encoded[i] for i in batch], sampling)):
                    results[i] = completion
        return results  # type: ignore[return-value]

    def _generate_batch(self, batch: list[list[int]], sampling: SamplingConfig) -> list[Completion]:
        padded = self.tokenizer.pad({"input_ids": batch}, padding=True, return_tensors="pt").to(self.device)
        sample_kwargs = (
            {"do_sample": False}
            if sampling.greedy
            # top_k=0 switches off transformers' default top-k 50: only nucleus sampling, as in vLLM
            else {"do_sample": True, "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": 0}
        )
        output = self.model.generate(
            **padded,
            max_new_tokens=sampling.max_new_tokens,
            eos_token_id=self._stop_ids,
            pad_token_id=self.tokenizer.pad_token_id,
            # On CPU a preallocated KV cache: the default dynamic one grows by concatenation, so each decode step
            # copies (and, past ~32 MB a tensor, page-faults in) the whole cache: x1.8 CPU time on a batch of 8
            # at ~1000 prompt + 512 new tokens (README, bench_generation row). Not on CUDA, where transformers
            # would torch.compile every new static-cache shape (batch and length vary between calls); unmeasured there.
            cache_implementation="static" if self.device.type == "cpu" else None,
            **sample_kwargs,
        )
        new_tokens = output[:, padded["input_ids"].shape[1] :].tolist()
        completions = []
        for prompt_ids, ids in zip(batch, new_tokens):
            stop = next((k for k, t in enumerate(ids) if t in self._stop_ids), None)
            kept = ids if stop is None else ids[: stop + 1]
            completions.append(
                Completion(
                    text=self.tokenizer.decode(kept, skip_special_tokens=True),
                    prompt_tokens=len(prompt_ids),
                    completion_tokens=len(kept),
                    finish_reason="length" if stop is None else "stop",
                )
            )
        return completions
