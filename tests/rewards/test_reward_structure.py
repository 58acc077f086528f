"""Structure signature on paragraphs, lists, headings, tables, code and JSON; the judge's 0/1 parsing."""

import pytest

from nemo_repro.rewards.structure import StructureJudgeReward, StructureSignatureReward, parse_judge_answer, structure_signature

TABLE = "| a | b |\n|---|---|\n| 1 | 2 |"
CODE = "Example:\n```python\nprint(1)\n```"


def test_signature_counts():
    text = "# Title\n\nFirst paragraph\nstill first.\n\nSecond paragraph.\n\n- one\n- two\n1. three\n\n" + TABLE + "\n\n" + CODE
    sig = structure_signature(text)
    assert (sig.headings, sig.paragraphs, sig.list_items, sig.table_rows, sig.code_blocks, sig.json_blocks) == (1, 3, 3, 3, 1, 0)  # "First..", "Second..", "Example:"
    assert sig.kinds() == {"text", "paragraphs", "heading", "list", "table", "code"}


def test_code_fence_contents_are_not_parsed_as_lists_or_headings():
    sig = structure_signature("```\n# not a heading\n- not a list\n```")
    assert (sig.headings, sig.list_items, sig.code_blocks) == (0, 0, 1)


def test_json_whole_text_and_fenced():
    assert structure_signature('{"a": [1, 2]}').kinds() == {"json"}
    assert structure_signature('Config:\n```json\n{"a": 1}\n```').json_blocks == 1
    assert structure_signature("{not json}").json_blocks == 0


def test_a_single_pipe_line_is_not_a_table():
    assert structure_signature("a | b | c").table_rows == 0
    assert structure_signature("| a | b |").table_rows == 0


@pytest.mark.parametrize(
    "original, rephrasing, expected",
    [
        ("Para one.\n\nPara two.", "Para one, reworded.\n\nPara two, reworded.", 1.0),
        ("Para one.\n\nPara two.", "One merged paragraph.", 0.0),  # paragraphs lost
        ("Intro.\n\n" + TABLE, "Intro.\n\nThe table says a=1 and b=2.", 0.0),  # table lost
        ("Intro.\n\n" + CODE, "Intro.\n\nIt prints one.", 0.0),  # code lost
        ('{"a": 1}', "a is one", 0.0),  # JSON lost
        ("Just prose.", "- now\n- a list", 0.0),  # list added
        ("Home | Shop\n\n- Related link\n\nBody text.\n\nMore body.", "Body text.\n\nMore body.", 1.0),  # boilerplate list dropped
        ("Body text.", "", 0.0),  # empty rephrasing
    ],
)
def test_signature_reward(original, rephrasing, expected):
    assert StructureSignatureReward().score([original], [rephrasing]).tolist() == [expected]


def test_strict_signature_keeps_lists():
    original = "Tips:\n- a\n- b\n\nMore."
    assert StructureSignatureReward(droppable=()).score([original], ["Tips: a and b.\n\nMore."]).tolist() == [0.0]
    with pytest.raises(ValueError, match="unknown structure kinds"):
        StructureSignatureReward(droppable=["lists"])


@pytest.mark.parametrize("answer, expected", [("1", 1), (" 0\n", 0), ("1.", 1), ("10", None), ("yes", None), ("1 because", None), ("", None)])
def test_parse_judge_answer(answer, expected):
    assert parse_judge_answer(answer) == expected


class _FakeLM:
    """Stands in for GreedyLM: returns canned answers, records prompts."""

    def __init__(self, answers):
        self.answers, self.prompts = list(answers), []

    def head_tail(self, text, max_tokens):
        return text

    def chat_prompt(self, messages):
        return "\n".join(m["content"] for m in messages)

    def generate(self, prompts, max_new_tokens):
        self.prompts.extend(prompts)
        return [self.answers.pop(0) for _ in prompts]


def test_judge_counts_invalid_answers_as_zero_and_skips_empty_rephrasings():
    lm = _FakeLM(["1", "maybe", "0"])
    judge = StructureJudgeReward(lm=lm)
    scores = judge.score(["a", "b", "c", "d"], ["x", "y", "", "z"])
    assert scores.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert judge.counts == {"judged": 3, "invalid": 1}
    assert "ORIGINAL:\nd" in lm.prompts[-1] and "REWRITE:\nz" in lm.prompts[-1]


def test_judge_runs_a_real_local_lm(tiny_qwen2_dir):
    judge = StructureJudgeReward(str(tiny_qwen2_dir), max_input_tokens=64, device="cpu")
    scores = judge.score(["Para.\n\nPara."], ["Para.\n\nPara."])
    assert scores.shape == (1,) and scores[0] in (0.0, 1.0)  # a random model answers garbage -> 0, counted
    assert judge.counts["judged"] == 1
