"""Each stage alone, called directly (setup + process) on small batches; no Ray."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import FILE, FILTERED, ID, LINE, OK, REASON, RECYCLED, REJECTED, STATUS, TEXT
from curator_stages.filter import Filter
from curator_stages.generation import GeneratorSpec
from curator_stages.mix import TO_ORGANIC, TO_RECYCLED, Mix
from curator_stages.quality import QUALITY_AFTER, QUALITY_BEFORE, QualityFilter
from curator_stages.read import ReadShard, load_or_write_plan, shard_task
from curator_stages.reassemble import Reassemble
from curator_stages.rephrase import HAS_MARKER, Rephrase
from curator_stages.score import LENGTH_RATIO, SEMANTIC_F1, STRUCTURE, Score
from curator_stages.segment import Segment, split_segments
from curator_stages.validate import Validate
from nemo_repro.generation import SamplingConfig
from recycle_fixtures import BAD_LINES, SCRIPTED_ANSWER


def batch(rows: list[dict], shard_id: str = "s0") -> DocumentBatch:
    df = pd.DataFrame(rows)
    for column, default in ((FILE, "f.jsonl"), (STATUS, OK), (REASON, "")):
        df[column] = df[column].fillna(default) if column in df else default
    if LINE not in df:
        df[LINE] = range(1, len(df) + 1)
    return DocumentBatch(dataset_name="t", data=df, _metadata={"shard_id": shard_id, "source_files": [shard_id]})


def run_stage(stage, b: DocumentBatch):
    stage.setup()
    return stage.process(b)


def read_all(path, shard_docs=1000, tmp_path=None):
    shards = load_or_write_plan(tmp_path / "plan.json", [path], shard_docs)
    reader = ReadShard()
    return pd.concat([reader.process(shard_task(s)).to_pandas() for s in shards], ignore_index=True), shards


def test_read_turns_every_bad_line_into_a_reject_with_file_and_line(mixed_corpus, tmp_path):
    df, _ = read_all(mixed_corpus, shard_docs=7, tmp_path=tmp_path)
    good = 60
    structural = {"malformed JSON": "malformed JSON", "invalid UTF-8": "invalid UTF-8", "missing field": "missing field 'text'",
                  "not a string": "is int, not a string", "not an object": "not a JSON object"}
    rejected = df[df[STATUS] == REJECTED]
    assert len(df) == good + len(BAD_LINES)  # the blank line holds no document
    assert len(rejected) == len(structural)
    for kind, phrase in structural.items():
        row = rejected[rejected[REASON].str.contains(phrase, regex=False)]
        assert len(row) == 1, kind
        assert row[FILE].iloc[0] == str(mixed_corpus.resolve()) and 11 <= row[LINE].iloc[0] <= 18
    assert rejected.set_index(ID).loc["int-text", REASON] == "field 'text' is int, not a string"


def test_plan_is_reused_and_refuses_other_input(mixed_corpus, sample_corpus_path, tmp_path):
    first = load_or_write_plan(tmp_path / "plan.json", [mixed_corpus], 10)
    assert load_or_write_plan(tmp_path / "plan.json", [mixed_corpus], 10) == first
    assert sum(s.stop - s.start for s in first) == len(mixed_corpus.read_bytes().splitlines())
    with pytest.raises(ValueError, match="other input"):
        load_or_write_plan(tmp_path / "plan.json", [sample_corpus_path], 10)


def test_parquet_input_rejects_non_string_text(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["the cat and the dog", None]}), path)
    df, _ = read_all(path, tmp_path=tmp_path)
    assert list(df[STATUS]) == [OK, REJECTED] and "NoneType" in df[REASON].iloc[1]


def test_validate_rejects_empty_huge_and_non_english():
    rows = [{ID: "en", TEXT: "The cat sat on the mat and that was the end of it."}, {ID: "empty", TEXT: " \n"},
            {ID: "de", TEXT: "Der Hund schläft im Garten, weil die Sonne scheint."}, {ID: "huge", TEXT: "the and " * 100}]
    out = run_stage(Validate(max_doc_chars=500, min_common_english_words=2), batch(rows)).to_pandas().set_index(ID)
    assert out.loc["en", STATUS] == OK
    assert out.loc["empty", REASON] == "empty text"
    assert out.loc["de", REASON].startswith("not English")
    assert out.loc["huge", REASON].startswith("too long: 800 chars")


def test_split_segments_is_lossless_bounded_and_prefers_paragraphs():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(12))
    pieces = split_segments(text, 7000)
    assert "".join(pieces) == text
    assert all(len(p) <= 7000 for p in pieces) and len(pieces) > 1
    assert all(p.endswith("\n\n") for p in pieces[:-1])
    assert "".join(split_segments("x" * 20000, 7000)) == "x" * 20000  # no boundary at all: hard cuts


def test_segment_then_reassemble_restores_documents_in_order():
    long = "\n\n".join("Section %d. " % i + "the text goes on " * 100 for i in range(10))
    rows = [{ID: "a", TEXT: "short doc"}, {ID: "b", TEXT: long}, {ID: "c", TEXT: "", STATUS: REJECTED, REASON: "empty text"}]
    seg = run_stage(Segment(segment_chars=3000), batch(rows)).to_pandas()
    assert (seg[ID] == "b").sum() == len(split_segments(long, 3000))
    assert list(seg.loc[seg[ID] == "b", "segment_id"]) == list(range((seg[ID] == "b").sum()))
    seg[RECYCLED] = seg[TEXT].str.upper()
    out = run_stage(Reassemble(), batch(seg.to_dict("records"))).to_pandas()
    assert list(out[ID]) == ["a", "b", "c"]
    assert out.set_index(ID).loc["b", TEXT] == long
    assert out.set_index(ID).loc["c", STATUS] == REJECTED
    with pytest.raises(ValueError, match="segment is missing"):
        Reassemble().process(batch(seg[seg["segment_id"] != 1].to_dict("records")))


def test_rephrase_parses_the_marker_with_a_real_hf_generator(scripted_rephraser_dir):
    spec = GeneratorSpec("hf", str(scripted_rephraser_dir), SamplingConfig(max_new_tokens=32))
    rows = [{ID: "a", TEXT: "The cat sat on the mat."}, {ID: "b", TEXT: "", STATUS: REJECTED, REASON: "empty text"}]
    out = run_stage(Rephrase(spec), batch(rows)).to_pandas().set_index(ID)
    assert out.loc["a", RECYCLED] == SCRIPTED_ANSWER.split(":", 1)[1].strip() and out.loc["a", HAS_MARKER]
    assert out.loc["b", RECYCLED] == "" and not out.loc["b", HAS_MARKER]


def test_score_and_filter_record_every_failed_check():
    rows = [
        {ID: "good", TEXT: "Tomatoes need water every day in summer.", RECYCLED: "Tomatoes need water daily in summer.", HAS_MARKER: True},
        {ID: "long", TEXT: "Short text here.", RECYCLED: "A much longer rewrite that adds a lot of new words.", HAS_MARKER: True},
        {ID: "nomark", TEXT: "Some text.", RECYCLED: "", HAS_MARKER: False},
    ]
    scored = run_stage(Score(), batch(rows)).to_pandas()
    assert scored[SEMANTIC_F1].iloc[0] > scored[SEMANTIC_F1].iloc[1]
    assert scored[LENGTH_RATIO].iloc[1] > 1.25 and set(scored[STRUCTURE]) <= {0.0, 1.0}
    out = run_stage(Filter(min_semantic_f1=0.5, max_length_ratio=1.25), batch(scored.to_dict("records"))).to_pandas().set_index(ID)
    assert out.loc["good", STATUS] == OK
    assert out.loc["long", STATUS] == FILTERED and "length_ratio" in out.loc["long", REASON]
    assert out.loc["nomark", REASON].startswith("no marker in the output; empty recycled text")


def test_quality_filter_uses_curator_fasttext_on_both_sides(tmp_path):
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.rewards.quality_fasttext import train_quality_fasttext

    model = train_quality_fasttext(tmp_path / "q.bin", n_docs=100)
    docs = list(generate_corpus(4, seed=3))
    rows = [{ID: str(i), TEXT: d["text"], RECYCLED: d["clean_text"]} for i, d in enumerate(docs)]
    rows[3][RECYCLED] = docs[3]["text"]  # "recycled" into itself: no gain
    out = run_stage(QualityFilter(str(model), threshold=None, min_gain=0.01), batch(rows)).to_pandas()
    assert (out[QUALITY_AFTER][:3] > out[QUALITY_BEFORE][:3] + 0.01).all()  # article bodies beat raw pages
    assert list(out[STATUS]) == [OK, OK, OK, FILTERED] and out[REASON].iloc[3] == "quality gain +0.0000 < 0.01"
    strict = run_stage(QualityFilter(str(model), threshold=1.01), batch(rows)).to_pandas()
    assert (strict[STATUS] == FILTERED).all() and strict[REASON].str.startswith("quality ").all()


def test_mix_keeps_every_readable_organic_and_every_recycled_document():
    rows = [{ID: f"d{i}", TEXT: "word " * 50, RECYCLED: "word " * 20, QUALITY_BEFORE: 0.9} for i in range(20)]
    rows[0][STATUS], rows[0][REASON] = REJECTED, "empty text"
    rows[1][STATUS], rows[1][REASON] = FILTERED, "no marker"
    rows[2][QUALITY_BEFORE] = 0.1
    out = run_stage(Mix(organic_threshold=0.5), batch(rows)).to_pandas()
    assert list(out[TO_RECYCLED]) == [False, False] + [True] * 18
    assert list(out[TO_ORGANIC]) == [False, True, False] + [True] * 17  # the filtered original stays organic


def test_tokenize_writes_megatron_files_read_back_by_indexed_dataset(gpt2_tokenizer_dir, tmp_path):
    from megatron.core.datasets.indexed_dataset import IndexedDataset
    from transformers import AutoTokenizer

    from curator_stages.tokenize import Tokenize

    rows = [{ID: f"d{i}", TEXT: f"document number {i} about birds", RECYCLED: f"birds {i}", TO_ORGANIC: i % 2 == 0, TO_RECYCLED: True} for i in range(7)]
    out = run_stage(Tokenize(str(tmp_path), str(gpt2_tokenizer_dir)), batch(rows, "shard-x"))
    meta = out._metadata["megatron"]
    assert meta["organic"]["documents"] == 4 and meta["recycled"]["documents"] == 7
    organic = IndexedDataset(meta["organic"]["prefix"])
    tok = AutoTokenizer.from_pretrained(str(gpt2_tokenizer_dir))
    assert len(organic) == 4 and list(organic[1]) == tok("document number 2 about birds", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert int(organic.sequence_lengths.sum()) == meta["organic"]["tokens"]
    assert list((tmp_path / ".tmp" / "organic").iterdir()) == []  # staged names were renamed away


def test_commit_writes_each_row_to_exactly_one_folder(tmp_path):
    from curator_stages.commit import CommitShard

    rows = [{ID: "a", TEXT: "orig a", RECYCLED: "new a"}, {ID: "b", TEXT: "orig b", RECYCLED: "", STATUS: FILTERED, REASON: "empty recycled text"},
            {ID: "c", TEXT: "", STATUS: REJECTED, REASON: "malformed JSON: x at column 3"}]
    stage = CommitShard(str(tmp_path), str(tmp_path / "shards"))
    run_stage(stage, batch(rows, "s1"))
    got = {folder: [json.loads(line) for line in (tmp_path / folder / "s1.jsonl").read_text().splitlines()] for folder in ("recycled", "filtered", "rejects")}
    assert [r[ID] for r in got["recycled"]] == ["a"] and got["recycled"][0][TEXT] == "new a"
    assert got["filtered"][0][REASON] == "empty recycled text" and got["rejects"][0][LINE] == 3
    marker = json.loads((tmp_path / "shards" / "s1.json").read_text())
    assert marker["counts"] == {"input": 3, "recycled": 1, "filtered": 1, "rejected": 1}
    assert marker["reasons"]["rejected"] == {"malformed JSON": 1}
    assert not list(tmp_path.rglob(".*tmp*"))


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    """Build a scripted LM answering `answer` (one per answer, cached for the module)."""
    from recycle_fixtures import build_scripted_lm

    cache = {}

    def get(answer: str) -> GeneratorSpec:
        if answer not in cache:
            cache[answer] = build_scripted_lm(tmp_path_factory.mktemp("scripted"), answer)
        return GeneratorSpec("hf", str(cache[answer]), SamplingConfig(max_new_tokens=32))

    return get


def test_rewire_keeps_the_answer_and_filters_unfinished_reasoning(scripted):
    from curator_stages.rewire import ReWireRewrite

    rows = [{ID: "a", TEXT: "The cat sat on the mat."}]
    out = run_stage(ReWireRewrite(scripted("## Improved text The cycling guide.")), batch(rows)).to_pandas()
    assert out[RECYCLED].iloc[0] == "The cycling guide." and out[STATUS].iloc[0] == OK
    out = run_stage(ReWireRewrite(scripted(SCRIPTED_ANSWER)), batch(rows)).to_pandas()  # no answer heading
    assert out[STATUS].iloc[0] == FILTERED and out[REASON].iloc[0] == "rewire: no answer heading in the output"


def test_prox_refine_applies_the_programs_with_the_prox_rules(scripted):
    from curator_stages.prox import PROX_DECISION, ProXRefine

    text = "\n".join(f"Line {i} about tomato seedlings and the water they need every day." for i in range(30))
    rows = [{ID: "a", TEXT: text}, {ID: "b", TEXT: "", STATUS: REJECTED, REASON: "empty text"}]
    dropped = run_stage(ProXRefine(scripted("drop_doc()")), batch(rows)).to_pandas().set_index(ID)
    assert dropped.loc["a", STATUS] == FILTERED and dropped.loc["a", REASON] == "prox: drop_doc()"
    assert dropped.loc["b", REASON] == "empty text"  # untouched
    # A chunk program that is not a ProX call is an error, not code: the document is kept as refined (no change).
    kept = run_stage(ProXRefine(scripted(SCRIPTED_ANSWER), max_chunk_tokens=200), batch(rows)).to_pandas().set_index(ID)
    assert kept.loc["a", STATUS] == OK and kept.loc["a", RECYCLED] == text and kept.loc["a", PROX_DECISION] in ("keep_refined", "keep_original")


def test_filter_names_the_content_coverage_it_failed():
    from curator_stages.score import CONTENT_COVERAGE

    rows = [{ID: "kept", TEXT: "t", RECYCLED: "r", CONTENT_COVERAGE: 0.6}, {ID: "lost", TEXT: "t", RECYCLED: "r", CONTENT_COVERAGE: 0.25},
            {ID: "unscored", TEXT: "t", RECYCLED: "r", CONTENT_COVERAGE: float("nan")}]
    strict = Filter(require_marker=False, min_semantic_f1=None, max_length_ratio=None, min_coverage=0.6)
    assert CONTENT_COVERAGE in strict.inputs()[1]
    out = run_stage(strict, batch(rows)).to_pandas().set_index(ID)
    assert out.loc["kept", STATUS] == OK
    assert out.loc["lost", STATUS] == FILTERED and out.loc["lost", REASON] == "content_coverage 0.25 < 0.6"
    assert out.loc["unscored", STATUS] == FILTERED  # a check that is on never passes a missing signal
    off = Filter(require_marker=False, min_semantic_f1=None, max_length_ratio=None, min_coverage=None)
    assert CONTENT_COVERAGE not in off.inputs()[1]
    assert (run_stage(off, batch(rows)).to_pandas()[STATUS] == OK).all()
