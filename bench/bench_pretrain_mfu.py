"""Tokens/s and MFU of the paper's models (conf/pretrain/gpt_400m.yaml, gpt_1p4b.yaml) on one GPU.

Runs `nemo-repro pretrain` itself (our loop: bf16, local spec unless Transformer
Engine imports, megatron DDP + distributed optimizer) for a few steps and reads
`metrics.jsonl`. No download is needed: the data is the embedded sample corpus,
tokenized with a word-level tokenizer built here whose vocabulary has the size of
GPT-NeoX-20B's (50,277), so the embedding and output layers cost what they cost in
the paper. The first steps (CUDA warm-up, allocator growth) are left out of the means.
Printed: tokens/s, MFU, and MFU as a ratio of the 47% Megatron-Core reports on H100.

    python bench/bench_pretrain_mfu.py --model gpt_400m [--steps 12] [--global-batch 64] [--micro-batch 8]
    python bench/bench_pretrain_mfu.py --model gpt_1p4b --micro-batch 4
    python bench/bench_pretrain_mfu.py --smoke   # a 2-layer d=128 version, fp32, no MFU (the default without CUDA)
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

NEOX_VOCAB = 50277
MEGATRON_REFERENCE_MFU = 0.47


def wordlevel_tokenizer(out: Path, vocab_size: int) -> Path:
    """A `tokenizer.json`: the sample corpus's words, then filler tokens up to `vocab_size`, with `<|endoftext|>`."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    from nemo_repro.data.sample_corpus import generate_corpus

    words: dict[str, int] = {"<|endoftext|>": 0, "[UNK]": 1}
    for doc in generate_corpus(400, seed=0):
        for word in doc["text"].split():
            if len(words) < vocab_size:
                words.setdefault(word, len(words))
    for i in range(vocab_size - len(words)):
        words[f"<filler_{i}>"] = len(words)
    tokenizer = Tokenizer(models.WordLevel(vocab=words, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens(["<|endoftext|>"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gpt_400m", choices=["gpt_400m", "gpt_1p4b"])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup-steps", type=int, default=3, help="first steps left out of the means")
    parser.add_argument("--global-batch", type=int, default=64, help="sequences per step (the paper's 512/256 only add accumulation)")
    parser.add_argument("--micro-batch", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="CPU check of the bench itself: 2 layers, d=128, seq 256")
    parser.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    parser.add_argument("overrides", nargs="*", help="more `pretrain.<key>=<value>` overrides")
    args = parser.parse_args()

    import torch

    from nemo_repro.cli import main as cli

    if not args.smoke and not torch.cuda.is_available():
        print("no CUDA device: running the --smoke version (the figures need a GPU)")
        args.smoke = True

    work = Path(args.out or tempfile.mkdtemp(prefix="bench_mfu_"))
    tokenizer = wordlevel_tokenizer(work / "tokenizer.json", NEOX_VOCAB)
    overrides = [
        f"pretrain={args.model}", f"pretrain.tokenizer={tokenizer}", "pretrain.sample_docs=2000",
        f"pretrain.train_iters={args.steps}", "pretrain.lr_warmup_iters=1", "pretrain.log_interval=1", f"pretrain.save_interval={10**9}",
        f"pretrain.global_batch_size={args.global_batch}", f"pretrain.micro_batch_size={args.micro_batch}",
        f"run.dir={work / 'run'}", "run.progress=false",
    ]
    if args.smoke:
        args.global_batch = 4
        overrides += ["pretrain.num_layers=2", "pretrain.hidden_size=128", "pretrain.num_attention_heads=2", "pretrain.seq_length=256",
                      "pretrain.precision=fp32", "pretrain.global_batch_size=4", "pretrain.micro_batch_size=2"]
    rc = cli(["pretrain", *overrides, *args.overrides])
    if rc != 0:
        raise SystemExit(rc)

    rows = [json.loads(line) for line in (work / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "tokens_per_s" in r and r["step"] > args.warmup_steps]
    if not steps:
        raise SystemExit(f"no step after the first {args.warmup_steps} in {work / 'run' / 'metrics.jsonl'}: raise --steps")
    tokens_per_s = statistics.mean(r["tokens_per_s"] for r in steps)
    mfu = [r["mfu"] for r in steps if isinstance(r.get("mfu"), float)]
    device = "cpu (smoke)" if args.smoke else _device_name()
    print(f"model {args.model}{' (smoke: 2 layers, d=128)' if args.smoke else ''} on {device}: {len(steps)} timed steps of {args.global_batch} sequences")
    print(f"tokens/s                          : {tokens_per_s:,.0f}")
    if mfu:
        print(f"MFU (989 TFLOP/s bf16 dense peak)  : {statistics.mean(mfu):.1%}")
        print(f"ratio to Megatron-Core's 47% (H100): {statistics.mean(mfu) / MEGATRON_REFERENCE_MFU:.2f}  (target >= 0.96, i.e. MFU >= 45%)")
    print(f"run directory: {work / 'run'}")


def _device_name() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


if __name__ == "__main__":
    main()
