import pytest

from nemo_repro.prompts import (
    REPRO_MARKER,
    REWIRE_ANSWER_MARKER,
    REWIRE_THINKING_MARKER,
    parse_repro_output,
    parse_rewire_output,
    repro_messages,
    rewire_messages,
)

DOC = "Menu | Login\nTomatoes need six hours of sun.\n© 2024 Garden Inc."


def test_repro_prompt_carries_the_document_and_the_marker():
    messages = repro_messages(DOC * 1000, max_chars=7000)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "/no_think" in messages[0]["content"]
    user = messages[1]["content"]
    assert REPRO_MARKER in user and user.endswith((DOC * 1000)[:7000])
    assert repro_messages(DOC, max_chars=None)[1]["content"].endswith(DOC)


@pytest.mark.parametrize(
    ("output", "text", "has_marker"),
    [
        (f"{REPRO_MARKER} Tomatoes need sun.", "Tomatoes need sun.", True),
        (f"Sure!\n{REPRO_MARKER}\n\nTomatoes need sun.\n", "Tomatoes need sun.", True),
        (f"{REPRO_MARKER} first {REPRO_MARKER} second", f"first {REPRO_MARKER} second", True),  # first marker wins
        (f"{REPRO_MARKER}", "", True),
        ("Tomatoes need sun.", "", False),
        ("here is a paraphrased version: lower case", "", False),  # the marker is case-sensitive
        ("", "", False),
    ],
)
def test_repro_marker_parsing(output, text, has_marker):
    parsed = parse_repro_output(output)
    assert (parsed.text, parsed.has_marker) == (text, has_marker)


def test_rewire_prompt_asks_for_thinking_then_the_improved_text():
    messages = rewire_messages(DOC, max_chars=20)
    user = messages[-1]["content"]
    assert user.index(REWIRE_THINKING_MARKER) < user.index(REWIRE_ANSWER_MARKER)
    assert "at least as long as the draft" in user and "reuse all of its useful details" in user
    assert user.endswith(DOC[:20])


@pytest.mark.parametrize(
    ("output", "thinking", "text", "has_answer"),
    [
        (f"{REWIRE_THINKING_MARKER}\nplan\n{REWIRE_ANSWER_MARKER}\n# Tomatoes\nSun.", "plan", "# Tomatoes\nSun.", True),
        (f"Okay.\n{REWIRE_THINKING_MARKER}\nplan\n{REWIRE_ANSWER_MARKER}\nBody", "plan", "Body", True),  # preamble dropped
        (f"plan without heading\n{REWIRE_ANSWER_MARKER} Body", "plan without heading", "Body", True),
        # the plan mentions the answer heading: the last one starts the answer
        (f"{REWIRE_THINKING_MARKER} I will write {REWIRE_ANSWER_MARKER} next\n{REWIRE_ANSWER_MARKER}\nBody",
         f"I will write {REWIRE_ANSWER_MARKER} next", "Body", True),
        (f"{REWIRE_THINKING_MARKER}\ncut off by the token lim", "cut off by the token lim", "", False),
        (f"{REWIRE_ANSWER_MARKER}\n", "", "", True),
        ("", "", "", False),
    ],
)
def test_rewire_output_parsing(output, thinking, text, has_answer):
    parsed = parse_rewire_output(output)
    assert (parsed.thinking, parsed.text, parsed.has_answer) == (thinking, text, has_answer)
