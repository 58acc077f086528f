"""Core attention of the local spec: `SDPAttention` (torch SDPA) vs megatron-core's `DotProductAttention`.

Forward + backward of one attention call at the 400M model's shape (8 heads x 128,
causal), in the same process: one call of each per round, alternating (`measure.alternate`),
the median of the per-round ratios with its spread. CPU: fp32; with CUDA: bf16.

    python bench/bench_attention.py [--seq 1024] [--batch 2] [--rounds 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package


def time_attention(module, q, k, v) -> float:
    """Seconds of one forward + backward."""
    inputs = [t.detach().requires_grad_() for t in (q, k, v)]
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = module(*inputs, attention_mask=None)
    out.backward(torch.ones_like(out))
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds (one call of each per round, after one warm-up call)")
    args = parser.parse_args()

    from megatron.core.transformer.dot_product_attention import DotProductAttention
    from megatron.core.transformer.enums import AttnMaskType
    from megatron.core.transformer.transformer_config import TransformerConfig

    from nemo_repro.pretrain import parallel
    from nemo_repro.pretrain.attention import SDPAttention

    parallel.initialize(1, 1, 0)
    on_gpu = torch.cuda.is_available()
    dtype = torch.bfloat16 if on_gpu else torch.float32
    config = TransformerConfig(
        num_layers=1, hidden_size=args.heads * args.head_dim, num_attention_heads=args.heads, attention_dropout=0.0, hidden_dropout=0.0,
        bf16=on_gpu, params_dtype=dtype, use_cpu_initialization=not on_gpu,
    )
    kwargs = dict(config=config, layer_number=1, attn_mask_type=AttnMaskType.causal, attention_type="self")
    megatron_attn, sdpa_attn = DotProductAttention(**kwargs), SDPAttention(**kwargs)
    device = "cuda" if on_gpu else "cpu"
    q, k, v = (torch.randn(args.seq, args.batch, args.heads, args.head_dim, dtype=dtype, device=device) for _ in range(3))
    sides = {"megatron": lambda: time_attention(megatron_attn, q, k, v), "sdpa": lambda: time_attention(sdpa_attn, q, k, v)}
    times = alternate(sides, rounds=args.rounds)  # after one warm-up call of each: first-call allocations, kernel selection
    print(f"attention fwd+bwd, seq {args.seq}, batch {args.batch}, {args.heads} heads x {args.head_dim}, {dtype} on {device}")
    print(f"megatron DotProductAttention : {statistics.median(times['megatron']) * 1e3:8.1f} ms (median)")
    print(f"SDPAttention (torch SDPA)    : {statistics.median(times['sdpa']) * 1e3:8.1f} ms (median)")
    print(RatioStats.of(times["megatron"], times["sdpa"]).describe("speed-up sdpa / megatron (x)"))


if __name__ == "__main__":
    main()
