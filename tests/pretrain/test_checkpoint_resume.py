"""Resume from the newest checkpoint that loads: damaged ones are reported (path, reason) and skipped;
`pretrain.keep_last` bounds what is kept."""

from __future__ import annotations

import logging
import shutil

import pytest

from nemo_repro.pretrain import checkpoint
from nemo_repro.pretrain.loop import pretrain
from nemo_repro.runs import read_metrics


def copy_run(reference_run, target):
    shutil.copytree(reference_run.checkpoint_dir, target / "checkpoints")
    rows = read_metrics(reference_run.run_dir / "metrics.jsonl")
    (target / "metrics.jsonl").write_text("".join(__import__("json").dumps(r) + "\n" for r in rows))
    return rows


@pytest.mark.parametrize("damage", ["truncated_shard", "missing_metadata"])
def test_a_damaged_newest_checkpoint_is_reported_and_the_previous_one_resumes(reference_run, make_cfg, tmp_path, caplog, damage):
    reference = copy_run(reference_run, tmp_path)
    newest = tmp_path / "checkpoints" / "iter_0000010"
    if damage == "truncated_shard":
        shard = max((p for p in newest.iterdir() if p.suffix == ".distcp"), key=lambda p: p.stat().st_size)
        shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 3])
        (tmp_path / "checkpoints" / "latest").write_text("")  # an empty marker does no harm either
    else:
        (newest / ".metadata").unlink()
    with caplog.at_level(logging.WARNING, logger="nemo_repro.pretrain.checkpoint"):
        result = pretrain(make_cfg("pretrain.train_iters=10"), tmp_path, seed=1234, progress=False)
    warnings = [r.getMessage() for r in caplog.records if "is damaged" in r.getMessage()]
    assert len(warnings) == 1 and str(newest) in warnings[0]
    assert result.steps == 10
    resumed = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in resumed] == list(range(1, 11))
    for a, b in zip(resumed[5:], reference[5:]):  # steps 6-10 retrained from step 5: the same curve
        assert (a["loss"], a["lr"]) == (b["loss"], b["lr"]), a["step"]
    assert checkpoint.saved_iterations(tmp_path / "checkpoints") == [10, 5]  # keep_last=2, the new 10 replaced the damaged one


def test_no_loadable_checkpoint_names_every_failure(reference_run, make_cfg, tmp_path):
    copy_run(reference_run, tmp_path)
    for it in (5, 10):
        (tmp_path / "checkpoints" / f"iter_{it:07d}" / ".metadata").unlink()
    with pytest.raises(RuntimeError, match=r"no checkpoint under .* loads: .*iter_0000010 \(FileNotFoundError.*iter_0000005"):
        pretrain(make_cfg(), tmp_path, seed=1234, progress=False)


def test_keep_last_deletes_the_oldest_finished_checkpoints(tmp_path):
    for it in (1, 2, 3, 4):
        (tmp_path / f"iter_{it:07d}").mkdir()
        (tmp_path / f"iter_{it:07d}" / checkpoint.INFO).write_text("{}")
    (tmp_path / "iter_0000005").mkdir()  # unfinished: not counted, not deleted
    removed = checkpoint.prune_checkpoints(tmp_path, 2)
    assert [p.name for p in removed] == ["iter_0000002", "iter_0000001"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iter_0000003", "iter_0000004", "iter_0000005"]
    assert checkpoint.prune_checkpoints(tmp_path, 0) == []
