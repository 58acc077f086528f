"""Core attention for megatron-core's local layer spec through `torch.nn.functional.scaled_dot_product_attention`.

The local spec's `DotProductAttention` materialises the `[b, heads, s, s]` scores and
softmaxes them unfused (its fused softmax is an Apex CUDA extension, absent from
pip installs). Without Transformer Engine that is the run's attention on GPU too.
torch's SDPA computes the same causal attention with flash / memory-efficient
kernels on GPU and a fused kernel on CPU, never holding the scores. Anything this
fast path does not cover (an explicit mask, padding or sliding-window masks, packed
sequences, query-key layer scaling, softmax variants, dropout under TP, a KV cache
with fewer queries than keys) goes to megatron's own implementation unchanged.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from megatron.core.transformer.dot_product_attention import DotProductAttention
from megatron.core.transformer.enums import AttnMaskType


class SDPAttention(DotProductAttention):
    """Drop-in `core_attention` of the local spec (same constructor, same `[s, b, heads x dim]` output)."""

    def _fast_path(self, query: torch.Tensor, key: torch.Tensor, attention_mask, mask_type, attention_bias, packed_seq_params) -> bool:
        config = self.config
        # SDPA's dropout draws from the default generator, the same on every TP rank; megatron forks a per-rank one.
        dropout_ok = not (self.training and self.attention_dropout.p > 0 and self.tp_group.size() > 1)
        return (
            attention_mask is None
            and attention_bias is None
            and packed_seq_params is None
            and mask_type == AttnMaskType.causal
            and self.softmax_offset is None
            and not config.apply_query_key_layer_scaling
            and config.window_size is None
            and query.size(0) == key.size(0)
            and dropout_ok
        )

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: Optional[torch.Tensor],
        attn_mask_type: Optional[AttnMaskType] = None,
        attention_bias: Optional[torch.Tensor] = None,
        packed_seq_params=None,
    ) -> torch.Tensor:
        mask_type = attn_mask_type if attn_mask_type is not None else self.attn_mask_type
        if not self._fast_path(query, key, attention_mask, mask_type, attention_bias, packed_seq_params):
            return super().forward(query, key, value, attention_mask, attn_mask_type, attention_bias, packed_seq_params)
        seq, batch = query.size(0), query.size(1)
        # [s, b, heads, dim] -> [b, heads, s, dim]
        q, k, v = (t.permute(1, 2, 0, 3) for t in (query, key, value))
        groups = self.num_attention_heads_per_partition // self.num_query_groups_per_partition
        if groups > 1:  # grouped-query attention: each key/value head serves `groups` query heads
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        context = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=self.softmax_scale, dropout_p=self.attention_dropout.p if self.training else 0.0
        )
        # [b, heads, s, dim] -> [s, b, heads x dim]
        return context.permute(2, 0, 1, 3).reshape(seq, batch, self.hidden_size_per_partition)
