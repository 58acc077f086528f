import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nemo_repro.prompts import number_lines, prox_chunk_messages, prox_doc_messages
from nemo_repro.refine.prox import (
    DROP,
    KEEP_ORIGINAL,
    KEEP_REFINED,
    GROWTH_CHARS,
    GROWTH_FRACTION,
    Call,
    Chunk,
    chunk_document,
    decide_document,
    execute,
    parse_program,
    refine_chunk,
    tokenizer_counter,
)

BODY = [f"Sentence {k} explains how seedlings need light, water and patience to grow well." for k in range(6)]
DOC = "\n".join(["Home | About | Shop", "Cookie notice: we use cookies", *BODY, "Share on Facebook"])


def one_chunk(text: str = DOC) -> list[Chunk]:
    return chunk_document(text)


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('touch {tmp}/pwned')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "import os\nos.system('x')",
        "exec('remove_lines(line_start=0, line_end=1)')",
        "eval(\"keep_chunk()\")",
        "remove_lines(line_start=__import__('os').getpid(), line_end=2)",
        "remove_lines(line_start=1+1, line_end=2)",
        "remove_lines(0, 1)",
        "remove_lines(line_start=0)",
        "remove_lines(line_start=0, line_end=1, extra=2)",
        "remove_lines(line_start=0, line_start=0, line_end=1)",
        "remove_lines(line_start=True, line_end=1)",
        "remove_lines(line_start='0', line_end='1')",
        "normalize(source_str=b'x', target_str='y')",
        "keep_chunk.__class__()",
        "(lambda: keep_chunk())()",
        "x = keep_chunk()",
    ],
)
def test_hostile_and_malformed_calls_are_errors_and_never_run(hostile, tmp_path):
    hostile = hostile.replace("{tmp}", str(tmp_path))
    program = parse_program(hostile, frozenset({"remove_lines", "normalize", "keep_chunk"}))
    assert program.calls == () and program.errors >= 1
    lines, errors = refine_chunk(one_chunk()[0], hostile)
    assert lines == DOC.split("\n") and errors >= 1
    assert execute(one_chunk(), [hostile], doc_program=hostile).decision != DROP
    assert not (tmp_path / "pwned").exists()


def test_parser_accepts_the_language_with_literal_keywords_only():
    program = parse_program(
        "```python\n"
        "remove_lines(line_start=0, line_end=1)\n"
        "normalize(source_str='&amp;', target_str='&')\n"
        "keep_chunk()  # comment\n"
        "not a call\n"
        "```"
    )
    assert program.calls == (
        Call("remove_lines", (("line_end", 1), ("line_start", 0))),
        Call("normalize", (("source_str", "&amp;"), ("target_str", "&"))),
        Call("keep_chunk"),
    )
    assert program.errors == 1  # the line that is not Python; fences are ignored
    multi = parse_program('normalize(\n    source_str="a",\n    target_str="b",\n)')
    assert multi.errors == 0 and len(multi.calls) == 1


def test_chunks_are_greedy_whole_lines_and_round_trip():
    text = "\n".join(["a b c"] * 7 + ["one very long line " * 3] + ["", "x y"])
    chunks = chunk_document(text, max_tokens=7)
    assert "\n".join(line for c in chunks for line in c.lines) == text
    assert [(c.start, len(c.lines)) for c in chunks] == [(0, 2), (2, 2), (4, 2), (6, 1), (7, 1), (8, 2)]
    assert chunks[4].lines[0].startswith("one very long")  # 12 tokens alone: never split
    assert chunk_document("") == [Chunk(0, ("",))]
    with pytest.raises(ValueError):
        chunk_document(text, max_tokens=0)


def test_token_counter_from_a_tokenizer(small_tokenizer_dir):
    from transformers import AutoTokenizer

    count = tokenizer_counter(AutoTokenizer.from_pretrained(str(small_tokenizer_dir)))
    chunks = chunk_document("\n".join(BODY * 20), max_tokens=1500, count_tokens=count)
    assert len(chunks) > 1 and all(sum(count(line) for line in c.lines) <= 1500 for c in chunks)


def test_line_removal_uses_global_line_numbers_then_normalize_replaces():
    chunks = chunk_document("\n".join(["intro &amp; more", *BODY, "footer &amp; links"]), max_tokens=40)
    assert len(chunks) >= 2 and chunks[-1].start > 0
    last = chunks[-1]
    program = f"remove_lines(line_start={last.end}, line_end={last.end})\nnormalize(source_str='&amp;', target_str='&')"
    lines, errors = refine_chunk(last, program)
    assert errors == 0 and lines == list(last.lines[:-1])
    first_lines, _ = refine_chunk(chunks[0], "normalize(source_str='&amp;', target_str='&')")
    assert first_lines[0] == "intro & more"
    # numbers outside the chunk, reversed ranges, empty sources are errors that change nothing
    for bad in (f"remove_lines(line_start=0, line_end={last.start})", "remove_lines(line_start=3, line_end=2)",
                "normalize(source_str='', target_str='x')"):
        assert refine_chunk(last, bad) == (list(last.lines), 1)


def test_normalize_is_a_global_replace_across_lines():
    chunk = one_chunk("Home\nShop\nThe text.\nHome\nShop\nMore text.")[0]
    lines, errors = refine_chunk(chunk, "normalize(source_str='Home\\nShop\\n', target_str='')")
    assert (lines, errors) == (["The text.", "More text."], 0)
    joined, _ = refine_chunk(chunk, "normalize(source_str='.\\n', target_str='. ')")
    assert joined == ["Home", "Shop", "The text. Home", "Shop", "More text."]


def test_a_multi_line_call_counts_as_one_call_and_a_broken_one_as_one_error():
    program = "remove_lines(\n    line_start=0,\n    line_end=1,\n)\nthis is not ( a call\nkeep_chunk()"
    parsed = parse_program(program)
    assert [c.name for c in parsed.calls] == ["remove_lines", "keep_chunk"] and parsed.errors == 1
    unclosed = parse_program("keep_chunk()\nremove_lines(line_start=1,\n  line_end=2")
    assert [c.name for c in unclosed.calls] == ["keep_chunk"] and unclosed.errors == 1


def test_look_alike_names_are_not_the_language():
    assert parse_program("\uff44\uff52\uff4f\uff50_\uff44\uff4f\uff43()").errors == 1  # fullwidth drop_doc
    assert decide_document("\uff44\uff52\uff4f\uff50_\uff44\uff4f\uff43()")[0] is True
    assert parse_program("remove_lines(\uff4cine_start=1, line_end=2)").errors == 1
    assert parse_program("drop_doc()").calls[0].name == "drop_doc"


def test_normalize_cannot_blow_a_document_up():
    text = "\n".join(["a b c d e f g h i j k l"] * 50)
    chunks = chunk_document(text, max_tokens=10_000)
    program = "\n".join(f"normalize(source_str='{c}', target_str='{c * 50}')" for c in "abcdef")
    result = execute(chunks, [program])
    assert len(result.refined) <= len(text) + max(GROWTH_CHARS, GROWTH_FRACTION * len(text))
    assert result.errors == 6 and result.decision == KEEP_ORIGINAL
    small = execute(chunks, ["normalize(source_str='a b', target_str='a-b')"])
    assert small.decision == KEEP_REFINED and small.text.startswith("a-b c")


def test_executor_never_raises_even_on_memory_error(monkeypatch):
    import nemo_repro.refine.prox as prox

    def boom(*_):
        raise MemoryError

    monkeypatch.setattr(prox, "refine_chunk", boom)
    result = prox.execute(one_chunk(), ["keep_chunk()"])
    assert result.decision == KEEP_ORIGINAL and result.text == DOC and "MemoryError" in result.reason


def test_executor_rules():
    chunks = one_chunk()
    n = len(DOC.split("\n"))
    # refined: boilerplate lines removed, errors < 2
    cleaned = execute(chunks, [f"remove_lines(line_start=0, line_end=1)\nremove_lines(line_start={n-1}, line_end={n-1})"])
    assert (cleaned.decision, cleaned.text, cleaned.errors) == (KEEP_REFINED, "\n".join(BODY), 0)
    assert cleaned.words_after < cleaned.words_before
    # nothing kept: r = 0 <= 0.05 with errors < 2 -> drop
    gone = execute(chunks, [f"remove_lines(line_start=0, line_end={n-1})"])
    assert (gone.decision, gone.text) == (DROP, "") and "0%" in gone.reason
    # few words left but r > 0.05 -> drop by the 10-word rule
    short = "\n".join(["one two three four five six seven eight nine", "a b c d e f g h i j k l m n o p"])
    few = execute(one_chunk(short), ["remove_lines(line_start=1, line_end=1)"])
    assert few.decision == DROP and few.words_after == 9 and "9 words" in few.reason
    # two or more errors: the programs are distrusted, the original is kept
    distrusted = execute(chunks, ["remove_lines(line_start=0, line_end=1)\nfoo()\nbar()"])
    assert (distrusted.decision, distrusted.text, distrusted.errors) == (KEEP_ORIGINAL, DOC, 2)
    # ... unless it also removed (nearly) everything: errors >= 2 skips the ratio rule, the 10-word rule drops
    wiped = execute(chunks, [f"remove_lines(line_start=0, line_end={n-1})\nfoo()\nbar()"])
    assert wiped.decision == DROP and wiped.errors == 2
    # one error is tolerated; a document-level call in a chunk program is an error
    tolerated = execute(chunks, ["keep_chunk()\ndrop_doc()"])
    assert (tolerated.decision, tolerated.errors, tolerated.text) == (KEEP_REFINED, 1, DOC)
    # the document-level program drops first
    assert execute(chunks, ["keep_chunk()"], doc_program="drop_doc()").reason == "drop_doc()"
    assert execute(chunks, ["keep_chunk()"], doc_program="keep_doc()").decision == KEEP_REFINED
    with pytest.raises(ValueError, match="programs for"):
        execute(chunks, [])


def test_document_level_decision():
    assert decide_document("drop_doc()") == (False, 0)
    assert decide_document("keep_doc()\ndrop_doc()") == (True, 0)
    assert decide_document("I think drop_doc() fits") == (True, 1)  # no valid call: kept
    assert decide_document("__import__('os').system('x')") == (True, 1)


def test_prox_prompts_number_lines_globally():
    chunk = chunk_document(DOC, max_tokens=20)[1]
    text = prox_chunk_messages(chunk.lines, chunk.start)[-1]["content"]
    assert f"[{chunk.start:03d}] {chunk.lines[0]}" in text and "remove_lines(line_start=" in text
    assert number_lines(["a", "b"], 999) == "[999] a\n[1000] b"
    assert number_lines(["x"]) == "[000] x"
    doc = prox_doc_messages(DOC, max_chars=10)
    assert [m["role"] for m in doc] == ["system", "user"] and "drop_doc()" in doc[1]["content"]
    assert doc[1]["content"].endswith(DOC[:10])


CALL = st.one_of(
    st.builds(lambda a, b: f"remove_lines(line_start={a}, line_end={b})", st.integers(-3, 40), st.integers(-3, 40)),
    st.builds(lambda s, t: f"normalize(source_str={s!r}, target_str={t!r})", st.text(max_size=4), st.text(max_size=4)),
    st.sampled_from(["keep_chunk()", "drop_doc()", "keep_doc()", "foo(", "__import__('os').system('x')"]),
)
PROGRAM = st.one_of(st.text(max_size=200), st.lists(CALL, max_size=6).map("\n".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.text(max_size=400), programs=st.lists(PROGRAM, min_size=1, max_size=4), doc_program=st.none() | PROGRAM,
       max_tokens=st.integers(1, 30))
def test_fuzz_executor_never_raises(document, programs, doc_program, max_tokens):
    chunks = chunk_document(document, max_tokens=max_tokens)
    programs = (programs * len(chunks))[: len(chunks)]
    result = execute(chunks, programs, doc_program=doc_program)
    assert result.decision in (DROP, KEEP_REFINED, KEEP_ORIGINAL) and result.errors >= 0
    assert result.text == {DROP: "", KEEP_REFINED: result.refined, KEEP_ORIGINAL: document}[result.decision]
    assert result.words_before == len(document.split())
    if result.decision == DROP and result.reason != "drop_doc()":
        assert result.words_after <= 10 or result.words_after <= 0.05 * result.words_before
