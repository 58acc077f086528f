"""Recycling benchmarks, each against a peer measured in the same process.

1. Pipeline overhead: `nemo-repro recycle` (hf backend, a tiny random rephraser)
   vs the same generator called directly on the same prompts. The two alternate
   (direct, pipeline, direct, pipeline) and the faster run of each is compared:
   overhead = (pipeline - direct) / direct; target < 10% on 200 docs. As in a real
   run, the fastText quality classifier is a file given to the pipeline (trained
   before the timing, like the rephraser). Also printed: the pipeline's fixed cost
   (wall time outside the rephrase stage: imports, config, model loads, plots),
   which does not grow with the corpus. A random rephraser writes no marker, so
   every document ends filtered and the stages after Filter see no live rows.
2. Tokenize: the Tokenize stage (NeMo Curator's MegatronTokenizerWriter) vs
   megatron-core's IndexedDatasetBuilder (`nemo_repro.mix.indexed`) on the same texts.

    python bench/bench_recycle.py [--docs 200] [--executor local|xenna|ray_data] [--max-new-tokens 128] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


# The filter settings this bench's README figure was measured with (recycle=tiny before it ran the paper's checks):
# the bench times the pipeline's machinery against direct generation, whatever the filters keep.
OLD_TINY_FILTERS = ("recycle.quality_scorer=fasttext", "recycle.quality_threshold=0.0", "recycle.organic_quality_threshold=0.0", "recycle.min_structure=null")


def tiny_rephraser(work: Path, texts: list[str]) -> Path:
    """A random tiny causal LM with a BPE trained on the documents and the prompt (like the one `nemo-repro rl` starts from)."""
    from nemo_repro.config.rl import TinyPolicyConfig
    from nemo_repro.rl.policy import build_tiny_policy

    return build_tiny_policy(texts, TinyPolicyConfig(), work / "rephraser")


def bench_overhead(work: Path, docs: int, executor: str, max_new_tokens: int, repeats: int = 2) -> dict:
    from curator_stages.segment import split_segments
    from nemo_repro.cli import main
    from nemo_repro.data.sample_corpus import generate_corpus, write_corpus
    from nemo_repro.generation import SamplingConfig, build_generator
    from nemo_repro.prompts import repro_messages
    from nemo_repro.rewards.quality_fasttext import train_quality_fasttext

    corpus = write_corpus(work / "docs.jsonl", n_docs=docs, seed=0)
    texts = [d["text"] for d in generate_corpus(docs, seed=0)]
    model = tiny_rephraser(work, texts)
    quality = train_quality_fasttext(work / "quality_fasttext.bin", seed=0)
    segments = [s for t in texts for s in split_segments(t, 7000)]
    sampling = SamplingConfig(max_new_tokens=max_new_tokens)

    def direct_generate() -> float:
        start = time.perf_counter()
        generator = build_generator("hf", str(model), batch_size=8)
        generator.generate([repro_messages(s, 7000) for s in segments], sampling)
        return time.perf_counter() - start

    def pipeline(run_dir: Path) -> tuple[float, dict]:
        start = time.perf_counter()
        rc = main(["recycle", "recycle=tiny", f"recycle.input={corpus}", f"recycle.rephraser={model}", f"recycle.executor={executor}",
                   f"recycle.sampling.max_new_tokens={max_new_tokens}", "recycle.semantic_model=none", f"recycle.quality_model={quality}",
                   *OLD_TINY_FILTERS,
                   f"recycle.shard_docs={docs}", f"run.dir={run_dir}", "run.progress=false"])
        wall = time.perf_counter() - start
        assert rc == 0
        return wall, json.loads((run_dir / "summary.json").read_text())

    # Alternating runs: on a shared machine the spread within each kind shows the noise.
    direct_runs, pipeline_runs, summaries = [], [], []
    for i in range(repeats):
        direct_runs.append(direct_generate())
        wall, summary = pipeline(work / f"run{i}")
        pipeline_runs.append(wall)
        summaries.append(summary)
    direct, best = min(direct_runs), min(range(repeats), key=lambda i: pipeline_runs[i])
    wall, summary = pipeline_runs[best], summaries[best]
    rephrase = summary["stage_seconds"].get("rephrase", 0.0)
    return {"docs": docs, "segments": len(segments), "max_new_tokens": max_new_tokens, "executor": executor,
            "direct_generate_s": [round(t, 2) for t in direct_runs], "pipeline_s": [round(t, 2) for t in pipeline_runs],
            "overhead": round((wall - direct) / direct, 3), "rephrase_stage_s": round(rephrase, 2),
            "fixed_cost_s": round(wall - rephrase, 2), "stage_seconds": {k: round(v, 3) for k, v in summary["stage_seconds"].items()}}


def bench_tokenize(work: Path, docs: int, tokenizer_dir: Path) -> dict:
    import pandas as pd
    from nemo_curator.tasks import DocumentBatch
    from transformers import AutoTokenizer

    from curator_stages.tokenize import Tokenize
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.mix.indexed import write_indexed_dataset

    texts = [d["text"] for d in generate_corpus(docs, seed=1)]
    stage = Tokenize(str(work / "megatron"), str(tokenizer_dir))
    stage.setup()
    batch = DocumentBatch(dataset_name="bench", data=pd.DataFrame({"id": range(docs), "text": texts}), _metadata={"shard_id": "bench"})

    class _Tok:  # the interface write_indexed_dataset expects
        def __init__(self, hf) -> None:
            self.hf, self.eod, self.vocab_size = hf, hf.eos_token_id, len(hf)

        def tokenize_batch(self, batch: list[str]) -> list[list[int]]:
            return self.hf(batch, add_special_tokens=False)["input_ids"]

    tokenizer = _Tok(AutoTokenizer.from_pretrained(str(tokenizer_dir)))  # loaded outside the timing, as the stage's setup() is
    curator = direct = float("inf")
    for _ in range(2):  # alternating, best of each: the first round also warms the tokenizer
        start = time.perf_counter()
        tokens = stage.process(batch)._metadata["megatron"]["organic"]["tokens"]
        curator = min(curator, time.perf_counter() - start)
        start = time.perf_counter()
        stats = write_indexed_dataset(texts, tokenizer, work / "direct")
        direct = min(direct, time.perf_counter() - start)
    assert stats.tokens == tokens, (stats.tokens, tokens)
    return {"docs": docs, "tokens": tokens, "tokenize_stage_tok_per_s": round(tokens / curator), "indexed_builder_tok_per_s": round(tokens / direct),
            "stage_over_builder_speed": round(direct / curator, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--executor", default="local", choices=["local", "xenna", "ray_data"])
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2, help="alternating direct/pipeline runs; the fastest of each is compared")
    parser.add_argument("--tokenize-docs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        overhead = bench_overhead(work, args.docs, args.executor, args.max_new_tokens, args.repeats)
        print(json.dumps({"pipeline_overhead": overhead}, indent=1))
        print(json.dumps({"tokenize": bench_tokenize(work, args.tokenize_docs, work / "rephraser")}, indent=1))


if __name__ == "__main__":
    main()
