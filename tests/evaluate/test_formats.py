import json

import pytest

from nemo_repro.evaluate.formats import TaskDataError, load_task_dataset, read_task_file


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_three_formats_are_read_and_stripped(tmp_path):
    mc = _write(tmp_path / "mc.jsonl", [{"query": "Q: 2+2? ", "choices": [" 4", "5 "], "gold": 0, "extra": 1}, ""])
    assert read_task_file(mc, "multiple_choice") == [{"query": "Q: 2+2?", "choices": ["4", "5"], "gold": 0}]
    schema = _write(tmp_path / "s.jsonl", [{"context_options": ["The cat", "The dog"], "continuation": " barked.", "gold": 1}])
    assert read_task_file(schema, "schema") == [{"context_options": ["The cat", "The dog"], "continuation": "barked.", "gold": 1}]
    lm = _write(tmp_path / "lm.jsonl", [{"context": "One, two,", "continuation": " three"}])
    assert read_task_file(lm, "language_modeling") == [{"context": "One, two,", "continuation": "three"}]
    dataset = load_task_dataset(str(lm), "language_modeling", version=1.0)
    assert dataset["test"][0] == {"context": "One, two,", "continuation": "three"}


@pytest.mark.parametrize(
    "row, fmt, message",
    [
        ('{"query": "q", "choices": ["a", "b"], "gold": 0', "multiple_choice", r"bad\.jsonl:2: not valid JSON"),
        ({"query": "q", "choices": ["a", "b"], "gold": 2}, "multiple_choice", r"bad\.jsonl:2: field 'gold' must be an integer in \[0, 2\)"),
        ({"query": "q", "choices": ["a", "b"], "gold": True}, "multiple_choice", r":2: field 'gold'"),
        ({"query": "q", "choices": ["a"], "gold": 0}, "multiple_choice", r":2: field 'choices' must be a list of at least 2 strings"),
        ({"choices": ["a", "b"], "gold": 0}, "multiple_choice", r":2: field 'query' must be a string, got NoneType"),
        ({"context_options": ["a", "b"], "gold": 0}, "schema", r":2: field 'continuation'"),
        ({"context": "a", "continuation": 3}, "language_modeling", r":2: field 'continuation' must be a string, got int"),
        (["a", "b"], "language_modeling", r":2: expected a JSON object, got list"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, row, fmt, message):
    good = {
        "multiple_choice": {"query": "q", "choices": ["a", "b"], "gold": 1},
        "schema": {"context_options": ["a", "b"], "continuation": "c", "gold": 1},
        "language_modeling": {"context": "a", "continuation": "b"},
    }[fmt]
    path = _write(tmp_path / "bad.jsonl", [good, row])
    with pytest.raises(TaskDataError, match=message):
        read_task_file(path, fmt)


def test_unknown_format_and_empty_file_are_errors(tmp_path):
    path = _write(tmp_path / "t.jsonl", [{"context": "a", "continuation": "b"}])
    with pytest.raises(TaskDataError, match=r"t\.jsonl: unknown task format 'generation'"):
        read_task_file(path, "generation")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"empty\.jsonl: no examples"):
        read_task_file(empty, "multiple_choice")
