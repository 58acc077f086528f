"""Our pretraining loop vs a bare megatron-core loop: step time on CPU, same model, batch and data.

Ours: `nemo_repro.pretrain.loop.pretrain` (z-loss off, log every step to metrics.jsonl +
TensorBoard, loss reduction, clipping, the LR schedule, the finite check); its step times
are the `step_time_s` it logs. Peer: the minimum megatron-core loop in the same process on
the same dataset and GPTModel configuration: `get_forward_backward_func` with a forward step
that passes labels to GPTModel (megatron's fused cross entropy), then torch AdamW.

The two alternate step by step: the bench sets `save_interval=1` and puts one step of the
peer where our loop would save a checkpoint, a pause our step clock excludes (as it excludes
saves), so each of our steps runs next to one of the peer's under the same machine load.
After `--warmup` pairs, the pairs are grouped into rounds of `--block` (`measure.RatioStats.
of_blocks`); the figure is the median of the round ratios with their spread. One torch thread
by default: on a shared 2-core machine a second thread waits on whatever else runs.
Target: ratio <= 1.05.

    python bench/bench_pretrain.py [--rounds 12] [--block 8] [--threads 1] [--hidden 256] [--layers 4] [--seq 256]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats  # bench/ is a folder of scripts, not a package


class BareMegatronLoop:
    """The peer: GPTModel + megatron's schedule + torch AdamW, nothing else. Built on its first step
    (inside our run, once megatron's parallel state exists)."""

    def __init__(self, cfg, dataset, vocab_size: int, seed: int) -> None:
        self.cfg, self.dataset, self.vocab_size, self.seed = cfg, dataset, vocab_size, seed
        self.gpt = None
        self.times: list[float] = []

    def _build(self) -> None:
        from megatron.core.models.gpt import GPTModel
        from megatron.core.pipeline_parallel import get_forward_backward_func

        from nemo_repro.pretrain import model as model_mod

        cfg = self.cfg
        torch.manual_seed(self.seed)
        choice = model_mod.choose(cfg, self.vocab_size)
        self.gpt = GPTModel(
            config=model_mod.transformer_config(cfg, choice),
            transformer_layer_spec=model_mod.layer_spec(cfg, choice),  # the same layers as ours (`pretrain.local_attention`)
            vocab_size=choice.padded_vocab_size,
            max_sequence_length=cfg.seq_length,
            share_embeddings_and_output_weights=False,
            position_embedding_type=cfg.position_embedding_type,
        )
        self.optimizer = torch.optim.AdamW(self.gpt.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.forward_backward = get_forward_backward_func()

    @staticmethod
    def _forward_step(data_iterator, model):
        batch = next(data_iterator)
        output = model(batch["tokens"], batch["position_ids"], None, labels=batch["labels"])
        mask = batch["loss_mask"]
        return output, lambda out: ((out * mask).sum() / mask.sum(), {})

    def step(self, *_, **__) -> None:
        """One timed step (called with `save_checkpoint`'s arguments, which it ignores)."""
        from nemo_repro.pretrain.data import microbatches

        if self.gpt is None:
            self._build()
        cfg, step = self.cfg, len(self.times)
        start = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        self.forward_backward(
            forward_step_func=self._forward_step,
            data_iterator=microbatches(self.dataset, step * cfg.global_batch_size, cfg.global_batch_size, cfg.micro_batch_size, 0, 1),
            model=self.gpt,
            num_microbatches=cfg.global_batch_size // cfg.micro_batch_size,
            seq_length=cfg.seq_length,
            micro_batch_size=cfg.micro_batch_size,
        )
        self.optimizer.step()
        self.times.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="rounds of --block step pairs")
    parser.add_argument("--block", type=int, default=8, help="step pairs per round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed step pairs first")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1: a busy 2-core machine does not stall a second thread)")
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "megatron"], help="pretrain.local_attention of both loops")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from nemo_repro.config.pretrain import PretrainConfig
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import train_bpe_tokenizer
    from nemo_repro.pretrain import checkpoint
    from nemo_repro.pretrain.data import build_train_dataset, write_sample_data
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.pretrain.tokenizer import HFTokenizer
    from nemo_repro.runs import read_metrics

    work = Path(tempfile.mkdtemp(prefix="bench_pretrain_"))
    train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=2048, out_dir=work / "tok")
    tokenizer = HFTokenizer(work / "tok")
    prefix = write_sample_data(work / "data", tokenizer, 300, 1234)
    steps = args.warmup + args.rounds * args.block
    cfg = PretrainConfig(
        tokenizer=str(work / "tok"), data=prefix, num_layers=args.layers, hidden_size=args.hidden,
        num_attention_heads=max(1, args.hidden // 64), seq_length=args.seq, micro_batch_size=2, global_batch_size=8,
        train_iters=steps, lr_warmup_iters=2, z_loss=0.0, log_interval=1, save_interval=1, resume=False, local_attention=args.attention,
    )
    dataset = build_train_dataset(([prefix], None), tokenizer, cfg.seq_length, steps * cfg.global_batch_size, 1234, work / "data_cache")
    bare = BareMegatronLoop(cfg, dataset, tokenizer.vocab_size, 1234)
    checkpoint.save_checkpoint = bare.step  # the peer's step where our loop saves: our step clock is paused there
    pretrain(cfg, work / "run", progress=False)
    ours = [row["step_time_s"] for row in read_metrics(work / "run" / "metrics.jsonl")][args.warmup:]
    peer = bare.times[args.warmup:]

    tokens = cfg.global_batch_size * cfg.seq_length
    print(f"model: {args.layers} layers, d={args.hidden}, seq {args.seq}, {args.attention} attention, global batch {cfg.global_batch_size}, "
          f"{len(ours)} step pairs (+{args.warmup} warm-up) in {args.rounds} rounds, torch threads {torch.get_num_threads()}")
    print(f"ours (nemo_repro loop)      : {statistics.median(ours) * 1e3:8.1f} ms/step  {tokens / statistics.median(ours):9.0f} tokens/s  (median)")
    print(f"bare megatron-core loop     : {statistics.median(peer) * 1e3:8.1f} ms/step  {tokens / statistics.median(peer):9.0f} tokens/s")
    print(RatioStats.of_blocks(ours, peer, args.block).describe("ratio ours / bare", target=1.05))


if __name__ == "__main__":
    main()
