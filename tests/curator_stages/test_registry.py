"""The stage registry: one name list for the pipeline, `recycle.stage` and its check; factories without side effects; the row frame."""

from __future__ import annotations

import pandas as pd
import pytest
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.tasks import DocumentBatch

from curator_stages.base import RowStage
from curator_stages.columns import FILTERED, OK, REASON, STATUS, TEXT
from curator_stages.generation import GeneratorSpec
from curator_stages.paths import Paths
from curator_stages.prepare import Prepared
from curator_stages.registry import ACTIONS, STAGES, check_stage, make_stage, method_stages, stage_choices
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.recycle import RecycleConfig


def test_every_stage_builds_from_the_registry_and_writes_nothing(tmp_path):
    cfg = RecycleConfig(quality_model="model.bin", rewrites="rw.jsonl")
    prepared = Prepared(Paths(tmp_path / "run"), generator=GeneratorSpec("hf", "model"), semantic_threshold=0.5, quality_model="model.bin", tokenizer="tok")
    for name in STAGES:
        stage = make_stage(name, cfg, prepared)
        assert isinstance(stage, ProcessingStage) and stage.name == name
    assert list(tmp_path.iterdir()) == []  # building stages trains, writes and loads nothing
    assert make_stage("filter", cfg, prepared).min_semantic_f1 == 0.5


def test_method_stages_come_from_the_registry():
    for cfg in (RecycleConfig(), RecycleConfig(method="rewire"), RecycleConfig(method="prox"), RecycleConfig(backend="precomputed", rewrites="r.jsonl")):
        assert set(method_stages(cfg)) <= set(STAGES)


def test_unknown_stage_names_the_key_and_the_choices():
    assert stage_choices() == (*STAGES, *ACTIONS)
    check_stage(RecycleConfig(stage="calibrate"))
    with pytest.raises(ConfigError, match=r"recycle.stage='bogus'.*segment.*calibrate"):
        check_stage(RecycleConfig(stage="bogus"))
    with pytest.raises(ConfigError, match="unknown stage 'bogus'"):
        make_stage("bogus", RecycleConfig(), Prepared(Paths("x")))


def test_cli_refuses_an_unknown_stage_before_any_work(tmp_path, capsys):
    from nemo_repro.cli import main

    run_dir = tmp_path / "run"
    assert main(["recycle", "recycle.stage=bogus", f"run.dir={run_dir}"]) == 2
    err = capsys.readouterr().err
    assert "recycle.stage='bogus'" in err and "tokenize" in err and "calibrate" in err
    assert not run_dir.exists()
    assert main(["recycle", "--help-config", "stage=bogus"]) == 2


def test_launcher_refuses_an_unknown_stage(tmp_path):
    from launcher.validate import problems
    from nemo_repro.config.root import RootConfig

    cfg = RootConfig(stages=["recycle"], recycle=RecycleConfig(stage="bogus", input="x.jsonl", rephraser="m"))
    assert any("recycle.stage='bogus'" in p for p in problems(cfg, tmp_path / "run", tmp_path))


class _Upper(RowStage):
    name = "upper"

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        df.loc[live, TEXT] = df.loc[live, TEXT].str.upper()
        df.loc[live & (df[TEXT] == "B"), [STATUS, REASON]] = [FILTERED, "b"]
        return df


def test_row_stage_owns_the_frame():
    """Copy, `ok` status for plain rows, live rows only, metadata kept: the subclass wrote only its transform."""
    data = pd.DataFrame({TEXT: ["a", "b", "c"], STATUS: [OK, OK, FILTERED], REASON: ["", "", "old"]})
    batch = DocumentBatch(dataset_name="d", data=data, _metadata={"shard_id": "s"})
    out = _Upper().process(batch).to_pandas()
    assert list(out[TEXT]) == ["A", "B", "c"] and list(out[STATUS]) == [OK, FILTERED, FILTERED] and list(out[REASON]) == ["", "b", "old"]
    assert list(data[TEXT]) == ["a", "b", "c"]  # the input batch is untouched
    plain = _Upper().process(DocumentBatch(dataset_name="d", data=pd.DataFrame({TEXT: ["x"]}), _metadata={"shard_id": "s"}))
    assert plain._metadata == {"shard_id": "s"} and list(plain.to_pandas()[STATUS]) == [OK]
