"""`nemo-repro rl` end to end on CPU: outputs, bad input rows, resume from the last checkpoint."""

import json

from nemo_repro.cli import main
from nemo_repro.runs import read_metrics

REQUIRED = ("step", "reward/total", "reward/quality", "reward/semantic", "reward/structure", "reward/length", "kl", "completion_length")


def test_rl_tiny_runs_writes_outputs_and_resumes(tmp_path, sample_corpus_path):
    data = tmp_path / "docs.jsonl"
    lines = sample_corpus_path.read_text().splitlines()[:8] + ['{"text": ""}', '{"body": "x"}', "not json"]
    data.write_text("\n".join(lines) + "\n")
    run_dir = tmp_path / "run"
    common = [
        "rl=tiny",
        f"rl.data={data}",
        f"run.dir={run_dir}",
        "rl.max_doc_chars=300",
        "rl.max_prompt_length=448",
        "rl.max_completion_length=8",
        "rl.sft_warmup.steps=2",
        "rl.sft_warmup.sample_pages=16",
        "rl.save_steps=2",
        "rl.hard_examples.enabled=true",
        "run.progress=false",
    ]
    assert main(["rl", *common, "rl.max_steps=2"]) == 0
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(key in rows[0] for key in REQUIRED)
    assert "reward/semantic_f1" in rows[0] and "sampler/effective_prompts_frac" in rows[0]
    for name in ("config.yaml", "report.md", "reward_curves.png", "rejects.jsonl"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "checkpoint-2" / "hard_examples.json").is_file()
    assert (run_dir / "final" / "config.json").is_file() and (run_dir / "final" / "tokenizer.json").is_file()
    rejects = [json.loads(line) for line in (run_dir / "rejects.jsonl").read_text().splitlines()]
    assert sorted(r["reason"] for r in rejects) == ["bad_json", "empty", "missing_field"]
    assert "read=11" in (run_dir / "report.md").read_text()

    # Same run.dir, more steps: resumes from checkpoint-2 and appends steps 3-4 only.
    assert main(["rl", *common, "rl.max_steps=4"]) == 0
    assert [r["step"] for r in read_metrics(run_dir / "metrics.jsonl")] == [1, 2, 3, 4]
    assert "resumed from `checkpoint-2`" in (run_dir / "report.md").read_text()

    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoTokenizer.from_pretrained(str(run_dir / "final"))
    AutoModelForCausalLM.from_pretrained(str(run_dir / "final"))


def test_warm_start_needs_a_target_in_the_users_own_documents(tmp_path, sample_corpus_path, capsys):
    """The extra sample pages carry clean articles, but they must not hide that the user's documents have none."""
    data = tmp_path / "docs.jsonl"
    rows = [json.loads(line) for line in sample_corpus_path.read_text().splitlines()[:4]]
    data.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in rows))
    args = ["rl", "rl=tiny", f"rl.data={data}", f"run.dir={tmp_path / 'run'}", "rl.max_doc_chars=300", "rl.max_prompt_length=448",
            "rl.max_completion_length=8", "rl.sft_warmup.steps=2", "rl.sft_warmup.sample_pages=16", "rl.max_steps=1", "run.progress=false"]
    assert main(args) == 2
    assert "no document has a 'clean_text' field" in capsys.readouterr().err
