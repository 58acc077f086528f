from nemo_repro.evaluate.formats import read_task_file
from nemo_repro.evaluate.sample_tasks import write_sample_tasks
from nemo_repro.evaluate.suite import SAMPLE_TASKS


def test_sample_tasks_are_valid_deterministic_and_not_dclm(tmp_path):
    a, b = write_sample_tasks(tmp_path / "a", n_per_task=30), write_sample_tasks(tmp_path / "b", n_per_task=30)
    for spec in SAMPLE_TASKS:
        assert spec.name.startswith("sample_") and not spec.core
        rows = read_task_file(a / f"{spec.name}.jsonl", spec.format)
        assert len(rows) == 30
        assert (a / f"{spec.name}.jsonl").read_bytes() == (b / f"{spec.name}.jsonl").read_bytes()
        if "gold" in rows[0]:
            golds = [r["gold"] for r in rows]
            options = len(rows[0].get("choices") or rows[0]["context_options"])
            assert spec.baseline == 1 / options and len(set(golds)) == options  # answers spread over positions
    mc = read_task_file(a / "sample_next_sentence.jsonl", "multiple_choice")
    assert all(len(set(r["choices"])) == 4 for r in mc)
