"""Our pretraining loop vs a bare megatron-core loop: step time on CPU, same model, batch and data.

Ours: `nemo_repro.pretrain.loop.pretrain` (z-loss off, checkpoint only at the end, excluded),
its mean wall time per step with logging to metrics.jsonl + TensorBoard, loss reduction to
rank 0, clipping and the LR schedule. Peer: the minimum megatron-core loop, run in the same
process on the same dataset and the same GPTModel configuration: `get_forward_backward_func`
with a forward step that passes labels to GPTModel (megatron's fused cross entropy), then
torch AdamW. Target: ratio <= 1.05.

    python bench/bench_pretrain.py [--steps 30] [--hidden 256] [--layers 4] [--seq 256]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import torch


def bare_megatron_loop(cfg, dataset, vocab_size: int, steps: int, seed: int) -> float:
    """Seconds per step of the bare loop (parallel state already initialised by our run)."""
    from megatron.core.models.gpt import GPTModel
    from megatron.core.pipeline_parallel import get_forward_backward_func

    from nemo_repro.pretrain import model as model_mod
    from nemo_repro.pretrain.data import microbatches

    torch.manual_seed(seed)
    choice = model_mod.choose(cfg, vocab_size)
    gpt = GPTModel(
        config=model_mod.transformer_config(cfg, choice),
        transformer_layer_spec=model_mod.layer_spec(cfg, choice),  # the same layers as ours (`pretrain.local_attention`)
        vocab_size=choice.padded_vocab_size,
        max_sequence_length=cfg.seq_length,
        share_embeddings_and_output_weights=False,
        position_embedding_type=cfg.position_embedding_type,
    )
    optimizer = torch.optim.AdamW(gpt.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def loss_func(loss_mask, output):
        return (output * loss_mask).sum() / loss_mask.sum(), {}

    def forward_step(data_iterator, model):
        batch = next(data_iterator)
        output = model(batch["tokens"], batch["position_ids"], None, labels=batch["labels"])
        return output, partial(loss_func, batch["loss_mask"])

    forward_backward = get_forward_backward_func()
    num_micro = cfg.global_batch_size // cfg.micro_batch_size
    start = time.perf_counter()
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        forward_backward(
            forward_step_func=forward_step,
            data_iterator=microbatches(dataset, step * cfg.global_batch_size, cfg.global_batch_size, cfg.micro_batch_size, 0, 1),
            model=gpt,
            num_microbatches=num_micro,
            seq_length=cfg.seq_length,
            micro_batch_size=cfg.micro_batch_size,
        )
        optimizer.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2, help="alternate the two loops this many times, keep each one's best")
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "megatron"], help="pretrain.local_attention of both loops")
    args = parser.parse_args()

    from nemo_repro.config.pretrain import PretrainConfig
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import train_bpe_tokenizer
    from nemo_repro.pretrain.data import build_train_dataset
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    work = Path(tempfile.mkdtemp(prefix="bench_pretrain_"))
    train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=2048, out_dir=work / "tok")
    cfg = PretrainConfig(
        tokenizer=str(work / "tok"), sample_docs=300, num_layers=args.layers, hidden_size=args.hidden,
        num_attention_heads=max(1, args.hidden // 64), seq_length=args.seq, micro_batch_size=2, global_batch_size=8,
        train_iters=args.steps, lr_warmup_iters=2, z_loss=0.0, save_interval=10**9, resume=False, local_attention=args.attention,
    )
    ours, bare = [], []
    for repeat in range(args.repeats):
        result = pretrain(cfg, work / f"run{repeat}", progress=False)
        ours.append(result.seconds_per_step)
        tokenizer = HFTokenizer(work / "tok")
        dataset = build_train_dataset(
            ([str(work / "run0" / "data" / "sample_corpus_text_document")], None), tokenizer, cfg.seq_length,
            cfg.train_iters * cfg.global_batch_size, 1234, work / "run0" / "data_cache",
        )
        bare.append(bare_megatron_loop(cfg, dataset, tokenizer.vocab_size, args.steps, 1234))
    tokens = cfg.global_batch_size * cfg.seq_length
    print(f"model: {args.layers} layers, d={args.hidden}, seq {args.seq}, {args.attention} attention, global batch {cfg.global_batch_size}, {args.steps} steps, torch threads {torch.get_num_threads()}")
    print(f"ours (nemo_repro loop)      : {min(ours) * 1e3:8.1f} ms/step  {tokens / min(ours):9.0f} tokens/s")
    print(f"bare megatron-core loop     : {min(bare) * 1e3:8.1f} ms/step  {tokens / min(bare):9.0f} tokens/s")
    print(f"ratio ours / bare           : {min(ours) / min(bare):.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
