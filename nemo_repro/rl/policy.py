"""The starting policy: a local HF folder, or a tiny random one for CPU runs; optional SFT warm-start.

The warm-start (the paper's SFT-then-RL variant) teaches the answer format:
prompt -> `marker + target` (the sample corpus' `clean_text`) + EOS, loss on the
answer tokens only. A tiny random policy never emits the marker by chance, so
every completion of a group scores the same and GRPO has no signal; a few
supervised steps fix that.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Sequence

from tqdm.auto import tqdm

from nemo_repro.config.rl import SFTWarmupConfig, TinyPolicyConfig
from nemo_repro.prompts import REPRO_MARKER, REPRO_SYSTEM, REPRO_USER_TEMPLATE, repro_messages

log = logging.getLogger(__name__)

SAMPLE_PAGES_SEED_OFFSET = 2_000_003
"""Warm-start sample pages come from the sample corpus under `seed + this`: none is an RL prompt or a recycled page."""


def sample_pages(n_pages: int, seed: int) -> list[dict]:
    """`rl.sft_warmup.sample_pages` extra warm-start pages (the shortest of 4x as many), with their clean articles."""
    from nemo_repro.data.sample_corpus import short_documents

    return short_documents(n_pages, seed + SAMPLE_PAGES_SEED_OFFSET) if n_pages else []


def build_tiny_policy(texts: Sequence[str], cfg: TinyPolicyConfig, out_dir: Path, seed: int = 0) -> Path:
    """Train a small BPE on the documents and the prompt text, build a random Llama-style LM in `out_dir`."""
    from nemo_repro.models.tiny import build_tiny_causal_lm, train_bpe_tokenizer

    # The fixed prompt text and the marker are in the corpus, so they become few tokens.
    # (200 separate copies: BPE counts each as the same word, cheap even when merges span words)
    prompt_texts = ["\n".join([REPRO_SYSTEM, REPRO_USER_TEMPLATE, REPRO_MARKER])] * 200
    tokenizer = train_bpe_tokenizer(list(texts) + prompt_texts, vocab_size=cfg.vocab_size, across_words=cfg.bpe_across_words)
    # Llama, not Qwen2: transformers 5 loads a qwen2 folder's tokenizer as Qwen2Tokenizer, whose own word-splitting
    # regex replaces the one the BPE was trained with (and breaks a BPE whose merges span words).
    return build_tiny_causal_lm(
        tokenizer,
        out_dir,
        arch="llama",
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        num_heads=cfg.num_heads,
        intermediate_size=cfg.hidden_size * 2,
        seed=seed,
    )


def sft_pairs(documents: Sequence[str], targets: Sequence[str], max_chars: int) -> list[tuple[list[dict], str]]:
    """(prompt messages, answer) pairs: the answer is the marker followed by the target."""
    return [(repro_messages(d, max_chars), f"{REPRO_MARKER}\n\n{t}") for d, t in zip(documents, targets)]


def sft_warmup(policy_dir: Path, pairs: Sequence[tuple[list[dict], str]], cfg: SFTWarmupConfig, out_dir: Path, seed: int = 0) -> tuple[Path, list[float]]:
    """Supervised steps on `pairs` (loss on answer tokens only); saves to `out_dir`. Returns (folder, losses)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(policy_dir))
    model = AutoModelForCausalLM.from_pretrained(str(policy_dir), dtype=torch.float32)
    model.train()
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    encoded = []
    for messages, answer in pairs:
        prompt = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True), add_special_tokens=False)["input_ids"]
        # the answer ends with EOS, so the policy learns to stop after the article instead of running to the cap
        target = (tokenizer(answer, add_special_tokens=False)["input_ids"] + eos)[: cfg.max_target_tokens]
        encoded.append((prompt, target))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    losses = []
    for _ in tqdm(range(cfg.steps), desc="SFT warm-start", leave=False):
        batch = rng.sample(encoded, min(cfg.batch_size, len(encoded)))
        width = max(len(p) + len(t) for p, t in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (p, t) in enumerate(batch):
            seq = p + t
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, len(p) : len(seq)] = torch.tensor(t)
            mask[row, : len(seq)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
    log.info("SFT warm-start: %d steps, loss %.3f -> %.3f", cfg.steps, losses[0], losses[-1])
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir, losses
