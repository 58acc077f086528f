import csv

import pytest

from nemo_repro.evaluate.suite import DCLM_CORE, SAMPLE_TASKS, TASKS, TaskSpec, find_data_file, get_task

SPEC_CORE = {
    "hellaswag_zeroshot", "hellaswag", "jeopardy", "bigbench_qa_wikidata", "arc_easy", "arc_challenge", "copa",
    "commonsense_qa", "piqa", "openbook_qa", "lambada_openai", "winograd", "winogrande", "bigbench_dyck_languages",
    "agi_eval_lsat_ar", "bigbench_cs_algorithms", "bigbench_operators", "bigbench_repeat_copy_logic", "squad", "coqa",
    "boolq", "bigbench_language_identification",
}
CSV_TYPES = {"multiple choice": "multiple_choice", "schema": "schema", "language modeling": "language_modeling"}


def test_core_is_the_22_tasks_of_the_spec():
    assert len(DCLM_CORE) == 22
    assert {t.name for t in DCLM_CORE} == SPEC_CORE
    assert all(t.core for t in DCLM_CORE) and not any(t.core for t in SAMPLE_TASKS)


def test_constants_match_dclm_meta_data(shared_eval_meta):
    with shared_eval_meta.open(encoding="utf-8") as f:
        rows = {r["Eval Task"]: r for r in csv.DictReader(f)}
    for spec in DCLM_CORE:
        row = rows[spec.name]
        assert int(row["#shots"]) == spec.num_fewshot, spec.name
        assert float(row["Random baseline"]) / 100 == pytest.approx(spec.baseline), spec.name
        assert CSV_TYPES[row["Task Type"]] == spec.format, spec.name


def test_sample_task_baselines_are_chance():
    assert get_task("sample_next_sentence").baseline == 0.25  # 4 choices
    assert get_task("sample_topic_schema").baseline == 0.5  # 2 context options
    assert get_task("sample_last_words").baseline == 0.0


def test_unknown_task_and_bad_spec():
    with pytest.raises(KeyError, match="unknown task 'nope'"):
        get_task("nope")
    with pytest.raises(ValueError, match="unknown format"):
        TaskSpec("x", "generation", 0, 0.0)
    with pytest.raises(ValueError, match="baseline"):
        TaskSpec("x", "schema", 0, 1.0)


def test_data_file_lookup_by_name_alias_and_category_folder(tmp_path):
    assert find_data_file(TASKS["arc_easy"], tmp_path) is None
    (tmp_path / "language_understanding").mkdir()
    (tmp_path / "language_understanding" / "hellaswag.jsonl").write_text("{}\n")
    assert find_data_file(TASKS["hellaswag_zeroshot"], tmp_path) == tmp_path / "language_understanding" / "hellaswag.jsonl"
    (tmp_path / "hellaswag_zeroshot.jsonl").write_text("{}\n")
    assert find_data_file(TASKS["hellaswag_zeroshot"], tmp_path) == tmp_path / "hellaswag_zeroshot.jsonl"
