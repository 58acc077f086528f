"""`nemo-repro recycle` on unusable input: exit 2 with one line naming the key and the fix, before any work;
an all-rejected run still writes its summary."""

from __future__ import annotations

import json
from pathlib import Path

from nemo_repro.cli import main


def tiny(rephraser: Path, run_dir: Path, *extra: str) -> list[str]:
    return ["recycle", "recycle=tiny", f"recycle.rephraser={rephraser}", f"run.dir={run_dir}", "recycle.executor=local",
            "recycle.semantic_model=none", "run.progress=false", *extra]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_missing_empty_and_fieldless_input_exit_2_before_any_work(scripted_rephraser_dir, shared_web_docs, tmp_path, capsys):
    assert main(tiny(scripted_rephraser_dir, tmp_path / "a", f"recycle.input={tmp_path / 'missing.jsonl'}")) == 2
    assert "recycle.input=" in one_line_error(capsys)
    assert main(tiny(scripted_rephraser_dir, tmp_path / "b", f"recycle.input={tmp_path / 'none' / '*.jsonl.zst'}")) == 2
    assert "matches no file" in one_line_error(capsys)
    (tmp_path / "empty.jsonl").write_text("")
    assert main(tiny(scripted_rephraser_dir, tmp_path / "c", f"recycle.input={tmp_path / 'empty.jsonl'}")) == 2
    assert "holds no document" in one_line_error(capsys)
    web = tmp_path / "web.jsonl"
    web.write_bytes(b"".join(shared_web_docs.read_bytes().splitlines(keepends=True)[:5]))
    assert main(tiny(scripted_rephraser_dir, tmp_path / "d", f"recycle.input={web}", "recycle.text_field=body")) == 2
    assert "recycle.text_field='body'" in one_line_error(capsys)
    assert not (tmp_path / "d" / "shards" / "plan.json").exists() and not (tmp_path / "d" / "summary.json").exists()


def test_an_all_rejected_run_writes_its_summary_and_exits_2(scripted_rephraser_dir, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": 1, "text": "unterminated\n\xff\xfe\n[1, 2]\n')
    run_dir = tmp_path / "run"
    assert main(tiny(scripted_rephraser_dir, run_dir, f"recycle.input={bad}")) == 2
    assert "every one of the 3 input rows was rejected" in capsys.readouterr().err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["input"] == summary["rejected"] == 3 and summary["recycled"] == 0
    assert "Traceback" not in (run_dir / "logs" / "recycle.log").read_text()
