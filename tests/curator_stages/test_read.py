"""Reading: every line of every byte pattern ends as a document or a reject; compressed and parquet inputs;
duplicate and derived ids; the plan refuses changed or unusable input (real web pages where it helps)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from curator_stages.columns import FILE, ID, LINE, OK, REASON, REJECTED, STATUS, TEXT
from curator_stages.read import ReadShard, load_or_write_plan, resolve_inputs, shard_task
from nemo_repro.runs import UsageError


def read_all(files, tmp_path, shard_docs=1000, **kw):
    shards = load_or_write_plan(tmp_path / "plan.json", [Path(f) for f in files], shard_docs)
    reader = ReadShard(**kw)
    return pd.concat([reader.process(shard_task(s)).to_pandas() for s in shards], ignore_index=True)


def web_lines(shared_web_docs, n):
    return shared_web_docs.read_bytes().splitlines()[:n]


def test_every_byte_pattern_ends_as_a_document_or_a_reject(shared_web_docs, tmp_path):
    good = web_lines(shared_web_docs, 6)
    bad = {
        b'{"id": "sur", "text": "half a pair \\ud800 here"}': "lone UTF-16 surrogate",
        b'{"id": "nul", "text": "a\x00b"}': "malformed JSON",
        b"\x00\x00\x00": "malformed JSON",
        b'{"id": "latin1", "text": "caf\xe9"}': "invalid UTF-8",
        b'["a", "list"]': "not a JSON object but list",
        b'"just a string"': "not a JSON object but str",
    }
    # BOM on the first (valid) line; CRLF, CR-only and LF endings mixed; a blank line holds no document.
    body = b"\xef\xbb\xbf" + good[0] + b"\r\n" + good[1] + b"\r" + good[2] + b"\n\n"
    body += b"\r".join(bad) + b"\r" + b"\n".join(good[3:]) + b"\n"
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(body)
    for shard_docs in (1000, 2):  # shard boundaries inside a CR-only run of lines
        df = read_all([path], tmp_path / f"s{shard_docs}", shard_docs)
        assert len(df) == len(good) + len(bad)
        assert list(df[df[STATUS] == OK][ID]) == [json.loads(g)["id"] for g in good]
        rejected = df[df[STATUS] == REJECTED]
        assert sorted(rejected[LINE]) == list(range(5, 5 + len(bad))) and set(rejected[FILE]) == {str(path.resolve())}
        for got, want in zip(rejected.sort_values(LINE)[REASON], bad.values()):
            assert got.startswith(want), (got, want)
        assert rejected.set_index(LINE).loc[5, ID] == "mixed:5"  # no id decoded: the derived one
        # every kept text is writable as UTF-8
        df[TEXT].str.encode("utf-8")


@pytest.mark.parametrize("name", ["docs.jsonl.gz", "docs.json.gz", "docs.jsonl.zst", "docs.parquet"])
def test_compressed_and_parquet_inputs_read_like_jsonl(shared_web_docs, tmp_path, name):
    lines = web_lines(shared_web_docs, 25)
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    elif name.endswith(".zst"):
        import pyarrow as pa

        with pa.output_stream(str(path), compression="zstd") as f:
            f.write(b"\n".join(lines) + b"\n")
    else:
        pd.DataFrame([json.loads(line) for line in lines]).to_parquet(path)
    df = read_all([path], tmp_path, shard_docs=7)
    assert list(df[ID]) == [json.loads(line)["id"] for line in lines]
    assert list(df[TEXT]) == [json.loads(line)["text"] for line in lines] and set(df[STATUS]) == {OK}
    assert list(df[LINE]) == list(range(1, 26))


def test_duplicate_ids_rejected_first_kept_and_derived_ids_unique(shared_web_docs, tmp_path):
    lines = web_lines(shared_web_docs, 4)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jsonl").write_bytes(b"\n".join(lines + [lines[1]]) + b"\n")
    (tmp_path / "b.jsonl").write_bytes(lines[1] + b"\n" + lines[1] + b"\n")
    df = read_all([tmp_path / "a" / "x.jsonl", tmp_path / "b.jsonl"], tmp_path / "p", shard_docs=2)
    dup_id = json.loads(lines[1])["id"]
    same = df[df[ID] == dup_id]
    assert list(same[STATUS]) == [OK, REJECTED, REJECTED, REJECTED]
    assert all(r == f"duplicate id {dup_id!r} (first at a/x:2)" for r in same[REASON].iloc[1:])
    # files named alike in two folders, without ids: derived ids differ
    for d in ("d1", "d2"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "data.jsonl").write_text("".join(json.dumps({"text": json.loads(line)["text"]}) + "\n" for line in lines))
    df = read_all(sorted(tmp_path.glob("d*/data.jsonl")), tmp_path / "q")
    assert df[ID].is_unique and list(df[ID][:2]) == ["d1/data:1", "d1/data:2"] and set(df[STATUS]) == {OK}


def test_a_changed_input_stops_a_resumed_run_naming_the_file(shared_web_docs, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b"\n".join(web_lines(shared_web_docs, 5)) + b"\n")
    load_or_write_plan(tmp_path / "plan.json", [path], 2)
    assert load_or_write_plan(tmp_path / "plan.json", [path], 2)  # unchanged: reused
    with path.open("ab") as f:
        f.write(web_lines(shared_web_docs, 6)[-1] + b"\n")
    with pytest.raises(UsageError, match=f"{path.resolve()} changed since this run planned"):
        load_or_write_plan(tmp_path / "plan.json", [path], 2)


def test_unusable_input_fails_before_any_work_naming_the_key(shared_web_docs, tmp_path):
    with pytest.raises(UsageError, match=r"recycle.input='.*nope\*.jsonl' matches no file"):
        resolve_inputs(str(tmp_path / "nope*.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(UsageError, match="holds no document"):
        load_or_write_plan(tmp_path / "p1.json", [empty], 10)
    docs = tmp_path / "docs.jsonl"
    docs.write_bytes(b"\n".join(web_lines(shared_web_docs, 3)) + b"\n")
    with pytest.raises(UsageError, match=r"recycle.text_field='body': no row .* \(fields seen: id, text"):
        load_or_write_plan(tmp_path / "p2.json", [docs], 10, text_field="body")
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps([json.loads(line) for line in web_lines(shared_web_docs, 3)], indent=2))
    with pytest.raises(UsageError, match="JSON array spread over lines"):
        load_or_write_plan(tmp_path / "p3.json", [pretty], 10)
    assert not any(tmp_path.glob("p[0-9].json")), "nothing is planned for unusable input"
