"""Generation backends on a tiny local model: batching gain and the cost of the HTTP path.

Measures, in one process on the same prompts and the same greedy settings:
- `hf` batched (batch 8, prompts sorted by length) vs `hf` one prompt at a time;
- `openai` backend (NeMo Curator's async client -> local OpenAI-compatible server -> `hf`)
  vs calling that `hf` generator directly one prompt at a time (the server serves one
  request at a time, so this is the fair peer).

    python bench/bench_generation.py [--prompts 32] [--new-tokens 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--prompt-chars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads; 1 keeps a shared, busy CPU from skewing the main-thread runs")
    args = parser.parse_args()
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
