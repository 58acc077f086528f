"""SDPA core attention: the same outputs and gradients as megatron's DotProductAttention, and its fallbacks."""

from __future__ import annotations

import pytest
import torch
from megatron.core.transformer.dot_product_attention import DotProductAttention
from megatron.core.transformer.enums import AttnMaskType
from megatron.core.transformer.transformer_config import TransformerConfig

from nemo_repro.pretrain import parallel
from nemo_repro.pretrain.attention import SDPAttention

SEQ, BATCH, HEADS, DIM = 12, 3, 4, 8


def _pair(query_groups: int) -> tuple[DotProductAttention, SDPAttention]:
    parallel.initialize(1, 1, 0)
    config = TransformerConfig(
        num_layers=1, hidden_size=HEADS * DIM, num_attention_heads=HEADS, num_query_groups=query_groups,
        attention_dropout=0.0, hidden_dropout=0.0, use_cpu_initialization=True,
    )
    args = dict(config=config, layer_number=1, attn_mask_type=AttnMaskType.causal, attention_type="self")
    return DotProductAttention(**args), SDPAttention(**args)


def _qkv(query_groups: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    shapes = [(SEQ, BATCH, HEADS, DIM), (SEQ, BATCH, query_groups, DIM), (SEQ, BATCH, query_groups, DIM)]
    return [torch.randn(*shape, generator=gen, requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("query_groups", [HEADS, 2])  # multi-head and grouped-query attention
def test_sdpa_matches_megatron_attention_forward_and_backward(query_groups):
    reference, sdpa = _pair(query_groups)
    inputs_a, inputs_b = _qkv(query_groups), _qkv(query_groups)
    out_a = reference(*inputs_a, attention_mask=None)
    out_b = sdpa(*inputs_b, attention_mask=None)
    assert out_b.shape == out_a.shape == (SEQ, BATCH, HEADS * DIM)
    assert torch.allclose(out_a, out_b, atol=1e-5)
    grad = torch.randn_like(out_a)
    out_a.backward(grad)
    out_b.backward(grad)
    for a, b in zip(inputs_a, inputs_b):
        assert torch.allclose(a.grad, b.grad, atol=1e-5)


def test_causality_later_tokens_do_not_change_earlier_outputs():
    _, sdpa = _pair(HEADS)
    q, k, v = _qkv(HEADS)
    full = sdpa(q, k, v, attention_mask=None)
    k2, v2 = k.detach().clone(), v.detach().clone()
    k2[-1] += 10.0
    v2[-1] -= 10.0
    changed = sdpa(q, k2, v2, attention_mask=None)
    assert torch.allclose(full[:-1], changed[:-1]) and not torch.allclose(full[-1], changed[-1])


def test_an_explicit_mask_goes_to_megatron(monkeypatch):
    _, sdpa = _pair(HEADS)
    q, k, v = _qkv(HEADS)
    calls = []
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", lambda *a, **kw: calls.append(1))
    mask = torch.triu(torch.ones(1, 1, SEQ, SEQ, dtype=torch.bool), diagonal=1)
    out = sdpa(q, k, v, attention_mask=mask)
    assert out.shape == (SEQ, BATCH, HEADS * DIM) and not calls
