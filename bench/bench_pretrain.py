"""Our pretraining loop vs a bare megatron-core loop: step time on CPU, same model, batch and data.

Ours: `nemo_repro.pretrain.loop.pretrain` (z-loss off, log every step to metrics.jsonl +
TensorBoard, loss reduction, clipping, the LR schedule, the finite check); its step times
are the `step_time_s` it logs. Peer: the minimum megatron-core loop in the same process on
the same dataset and GPTModel configuration: `get_forward_backward_func` with a forward step
that passes labels to GPTModel (megatron's fused cross entropy), then torch AdamW.

Each round builds both sides afresh and runs a short block of each (`--warmup` steps
dropped, then `--block` timed steps), alternating which goes first (`measure.alternate`);
the figure is the median of the per-round ratios with their spread. Target: ratio <= 1.05.

    python bench/bench_pretrain.py [--rounds 15] [--block 6] [--hidden 256] [--layers 4] [--seq 256]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package


def bare_megatron_block(cfg, dataset, vocab_size: int, warmup: int, steps: int, seed: int) -> float:
    """Mean seconds per timed step of a fresh bare loop (parallel state already initialised by our run)."""
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
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
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
        times.append(time.perf_counter() - start)
    return statistics.fmean(times[warmup:])


def our_block(cfg, run_dir: Path, warmup: int) -> float:
    """Mean logged step time of a fresh `pretrain` run, the first `warmup` steps dropped."""
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.runs import read_metrics

    pretrain(cfg, run_dir, progress=False)
    times = [row["step_time_s"] for row in read_metrics(run_dir / "metrics.jsonl")]
    shutil.rmtree(run_dir)
    return statistics.fmean(times[warmup:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds (one block of each side per round)")
    parser.add_argument("--block", type=int, default=6, help="timed steps per block")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps at the start of each block")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "megatron"], help="pretrain.local_attention of both loops")
    args = parser.parse_args()

    from nemo_repro.config.pretrain import PretrainConfig
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import train_bpe_tokenizer
    from nemo_repro.pretrain import parallel
    from nemo_repro.pretrain.data import build_train_dataset, write_sample_data
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    work = Path(tempfile.mkdtemp(prefix="bench_pretrain_"))
    train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=2048, out_dir=work / "tok")
    tokenizer = HFTokenizer(work / "tok")
    prefix = write_sample_data(work / "data", tokenizer, 300, 1234)
    steps = args.warmup + args.block
    cfg = PretrainConfig(
        tokenizer=str(work / "tok"), data=prefix, num_layers=args.layers, hidden_size=args.hidden,
        num_attention_heads=max(1, args.hidden // 64), seq_length=args.seq, micro_batch_size=2, global_batch_size=8,
        train_iters=steps, lr_warmup_iters=2, z_loss=0.0, save_interval=10**9, resume=False, local_attention=args.attention,
    )
    parallel.initialize(1, 1, 1234)
    dataset = build_train_dataset(([prefix], None), tokenizer, cfg.seq_length, steps * cfg.global_batch_size, 1234, work / "data_cache")
    rounds = iter(range(10**9))
    times = alternate(
        {
            "ours": lambda: our_block(cfg, work / f"run{next(rounds)}", args.warmup),
            "bare": lambda: bare_megatron_block(cfg, dataset, tokenizer.vocab_size, args.warmup, args.block, 1234),
        },
        rounds=args.rounds,
    )
    shutil.rmtree(work, ignore_errors=True)
    ours, bare = statistics.median(times["ours"]), statistics.median(times["bare"])
    tokens = cfg.global_batch_size * cfg.seq_length
    print(f"model: {args.layers} layers, d={args.hidden}, seq {args.seq}, {args.attention} attention, global batch {cfg.global_batch_size}, "
          f"{args.rounds} rounds of {args.block} timed steps (+{args.warmup} warm-up), torch threads {torch.get_num_threads()}")
    print(f"ours (nemo_repro loop)      : {ours * 1e3:8.1f} ms/step  {tokens / ours:9.0f} tokens/s  (median of rounds)")
    print(f"bare megatron-core loop     : {bare * 1e3:8.1f} ms/step  {tokens / bare:9.0f} tokens/s")
    print(RatioStats.of(times["ours"], times["bare"]).describe("ratio ours / bare", target=1.05))


if __name__ == "__main__":
    main()
