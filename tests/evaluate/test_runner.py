"""`evaluate()` and `nemo-repro evaluate` end to end on the sample tasks, with a tiny HF model."""

import json
import shutil

import pytest

from nemo_repro.config import ConfigError
from nemo_repro.config.evaluate import EvaluateConfig
from nemo_repro.evaluate import evaluate
from nemo_repro.evaluate.formats import TaskDataError
from nemo_repro.evaluate.suite import SAMPLE_TASKS

SAMPLE = [t.name for t in SAMPLE_TASKS]


@pytest.fixture(scope="module")
def sample_results(tiny_qwen2_dir, sample_task_dir, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("eval_sample")
    cfg = EvaluateConfig(model=str(tiny_qwen2_dir), data_dir=str(sample_task_dir), tasks=SAMPLE, batch_size=8)
    return evaluate(cfg, run_dir), run_dir


def test_each_format_is_scored(sample_results):
    results, run_dir = sample_results
    assert set(results["tasks"]) == set(SAMPLE)
    for spec in SAMPLE_TASKS:
        row = results["tasks"][spec.name]
        assert row["n"] == 24 and 0 <= row["acc"] <= 1
        assert row["centered_acc"] == pytest.approx((row["acc"] - spec.baseline) / (1 - spec.baseline))
        assert row["num_fewshot"] == spec.num_fewshot
        assert row["acc_stderr"] == pytest.approx((row["acc"] * (1 - row["acc"]) / 24) ** 0.5)
        assert row["centered_acc_stderr"] == pytest.approx(row["acc_stderr"] / (1 - spec.baseline))
    assert set(results["definitions"]) >= {"acc", "centered_acc", "acc_stderr", "lm_eval", "core"}
    assert results["core_stderr"] == pytest.approx(sum(r["centered_acc_stderr"] ** 2 for r in results["tasks"].values()) ** 0.5 / 3)
    assert results["core"] == pytest.approx(sum(r["centered_acc"] for r in results["tasks"].values()) / 3)
    assert results["partial"] and results["skipped"] == [] and len(results["missing_core"]) == 22
    assert results["model_kind"] == "hf"
    assert json.loads((run_dir / "results.json").read_text()) == json.loads(json.dumps(results))


def test_task_yamls_carry_shots_delimiters_and_data(sample_results, sample_task_dir):
    import yaml

    _, run_dir = sample_results
    mc = yaml.safe_load((run_dir / "lm_eval_tasks" / "sample_next_sentence.yaml").read_text())
    assert mc["num_fewshot"] == 3 and mc["target_delimiter"] == " " and mc["include"].endswith("multiple_choice.yaml")
    assert mc["dataset_kwargs"]["data_file"] == str((sample_task_dir / "sample_next_sentence.jsonl").resolve())
    lm = yaml.safe_load((run_dir / "lm_eval_tasks" / "sample_last_words.yaml").read_text())
    assert lm["target_delimiter"] == "" and lm["doc_to_target"] == " {{continuation}}"


def test_missing_task_is_skipped_and_listed(tiny_qwen2_dir, sample_task_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample_task_dir, data)
    (data / "sample_topic_schema.jsonl").unlink()
    cfg = EvaluateConfig(model=str(tiny_qwen2_dir), data_dir=str(data), tasks=["sample_topic_schema", "sample_last_words", "copa"], limit=5)
    results = evaluate(cfg, tmp_path / "run")
    assert results["skipped"] == ["sample_topic_schema", "copa"]
    assert set(results["tasks"]) == {"sample_last_words"} and results["tasks"]["sample_last_words"]["n"] == 5
    assert results["partial"] and "copa" in results["missing_core"]


def test_no_task_file_at_all_is_a_config_error(tiny_qwen2_dir, tmp_path):
    with pytest.raises(ConfigError, match="no task file found"):
        evaluate(EvaluateConfig(model=str(tiny_qwen2_dir), data_dir=str(tmp_path), tasks=["copa"]), tmp_path)
    with pytest.raises(ConfigError, match="unknown task 'mmlu'"):
        evaluate(EvaluateConfig(model=str(tiny_qwen2_dir), data_dir=str(tmp_path), tasks=["mmlu"]), tmp_path)


def test_bad_rows_and_empty_files_fail_before_the_model_loads(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "copa.jsonl").write_text('{"query": "q", "choices": ["a", "b"], "gold": 0}\n{"query": "q", "choices": "ab", "gold": 0}\n')
    cfg = EvaluateConfig(model=str(tmp_path / "no-model"), data_dir=str(data), tasks=["copa"])
    with pytest.raises(TaskDataError, match=r"copa\.jsonl:2: field 'choices'"):
        evaluate(cfg, tmp_path)
    (data / "copa.jsonl").write_text("")
    with pytest.raises(TaskDataError, match="empty task file"):
        evaluate(cfg, tmp_path)


def test_unknown_model_folder_is_a_config_error(sample_task_dir, tmp_path):
    with pytest.raises(ConfigError, match="neither an HF model folder"):
        evaluate(EvaluateConfig(model=str(tmp_path), data_dir=str(sample_task_dir), tasks=SAMPLE), tmp_path)


def test_cli_evaluate_then_compare(tiny_qwen2_dir, megatron_checkpoint, sample_task_dir, tmp_path, capsys):
    from nemo_repro.cli import main

    runs = []
    # the hf run leaves data_dir null: the default (tiny) sample tasks are then written into the run
    for name, model, data in [("hf", tiny_qwen2_dir, []), ("megatron", megatron_checkpoint, [f"evaluate.data_dir={sample_task_dir}"])]:
        run_dir = tmp_path / name
        args = ["evaluate", f"evaluate.model={model}", *data, "evaluate.limit=6", f"run.dir={run_dir}"]
        assert main(args) == 0
        for out in ("results.json", "report.md", "config.yaml", "metrics.jsonl", "centered_acc.png"):
            assert (run_dir / out).is_file(), out
        assert "sample_next_sentence" in (run_dir / "report.md").read_text()
        runs.append(run_dir)
    assert json.loads((runs[0] / "results.json").read_text())["data_dir"] == str((runs[0] / "sample_tasks").resolve())
    assert main(["evaluate", f"compare=[{runs[0]},{runs[1]}]", f"run.dir={tmp_path / 'cmp'}"]) == 0
    printed = capsys.readouterr().out
    assert "| task | hf | megatron |" in printed and "| **score** |" in printed
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 0
    summary = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert summary["megatron"]["core"] == json.loads((runs[1] / "results.json").read_text())["core"]
    assert json.loads((runs[1] / "results.json").read_text())["model_kind"] == "megatron"
    assert main(["evaluate", f"compare=[{runs[0]},{tmp_path}]", f"run.dir={tmp_path / 'cmp2'}"]) == 2
