"""The faithfulness checks of `recycle=repro recycle.backend=precomputed` on real pages (a subset of the `aeb-*` rows).

The stages are made by the pipeline's own `make_stage` from the config's defaults (thresholds calibrated on this
input as `auto` does), and the four rewrites of each page go through Validate, Score and Filter in one batch (each
page encoded once). The whole table over the 91 pages is `bench/bench_recycle_scores.py`'s job.
"""

from __future__ import annotations

import json

import pandas as pd

from curator_stages.columns import ID, OK, REASON, RECYCLED, STATUS, TEXT
from curator_stages.score import CONTENT_COVERAGE

PAGES = 10
HARD_PAGES = ("aeb-2c46804d", "aeb-5f9c5ed5", "aeb-612cd298")
"""Pages (by id prefix) whose original holds long prose that is not the article (related-article teasers printed
twice, a cookie notice printed twice, teaser paragraphs): the content rule of `nemo_repro.rewards.coverage` has to
leave those out (before the repeated-line and content-word rules their faithful removals covered 0.51, 0.52
and 0.38 of the content, below the 0.6 that rule needed; 0.38 is below 0.45 too)."""


def conditions(articles: list[str]) -> dict[str, list[str]]:
    return {
        "faithful": articles,
        "mismatched": articles[1:] + articles[:1],
        "first 25%": [a[: len(a) // 4] for a in articles],
        "no newlines": [" ".join(a.split("\n")) for a in articles],
    }


def test_four_rewrites_of_real_pages(tmp_path, shared_web_docs):
    from nemo_curator.tasks import DocumentBatch

    from curator_stages.paths import Paths
    from curator_stages.prepare import Prepared, input_files, prepare
    from curator_stages.registry import make_stage
    from nemo_repro.config.loader import load_config

    rows = [json.loads(line) for line in shared_web_docs.read_text(encoding="utf-8").splitlines()]
    pages = [r for r in rows if r["id"].startswith("aeb-") and r["clean_text"].strip()]
    # validation first (a few pages are not English): the subset is the first PAGES it accepts
    validate_cfg = load_config(["recycle=repro"], subcommand="recycle")[0].recycle
    validate = make_stage("validate", validate_cfg, Prepared(Paths(tmp_path / "v")))
    validate.setup()
    accepted = [p for p in pages if not validate.reason(p["text"])]
    pages = accepted[:PAGES] + [p for p in accepted[PAGES:] if p["id"].startswith(HARD_PAGES)]
    assert len(pages) == PAGES + len(HARD_PAGES)

    # the input is every accepted page, so `auto` calibrates (64 mismatched pairs) on a sample of pages as a run would,
    # not on the 13 scored here (at 1% a sample that small is mostly its one related pair)
    (tmp_path / "input.jsonl").write_text("".join(json.dumps({"id": p["id"], "text": p["text"]}) + "\n" for p in accepted), encoding="utf-8")
    (tmp_path / "rewrites.jsonl").write_text("".join(json.dumps({"id": p["id"], "text": p["clean_text"]}) + "\n" for p in accepted), encoding="utf-8")
    cfg = load_config(["recycle=repro", "recycle.backend=precomputed", f"recycle.input={tmp_path / 'input.jsonl'}",
                       f"recycle.rewrites={tmp_path / 'rewrites.jsonl'}", "recycle.semantic_calibration_pairs=64"], subcommand="recycle")[0].recycle
    assert cfg.min_coverage is not None and cfg.min_structure == 1.0
    paths = Paths(tmp_path / "run")
    prepared = prepare(cfg, paths, input_files(cfg, paths, 0), 0, ["score", "filter"])
    score, keep = make_stage("score", cfg, prepared), make_stage("filter", cfg, prepared)
    score.setup()

    cases = conditions([p["clean_text"] for p in pages])
    df = pd.DataFrame([{ID: f"{name}/{p['id']}", TEXT: p["text"], RECYCLED: r, STATUS: OK, REASON: "", "case": name}
                       for name, rewrites in cases.items() for p, r in zip(pages, rewrites)])
    out = keep.process(score.process(DocumentBatch(dataset_name="t", data=df))).to_pandas()
    kept = out.groupby("case")[STATUS].apply(lambda s: float((s == OK).mean()))
    coverage = out.groupby("case")[CONTENT_COVERAGE].median()
    reasons = out[out[STATUS] != OK].groupby("case")[REASON].apply(list).to_dict()
    summary = f"kept {kept.to_dict()}, median coverage {coverage.round(3).to_dict()}, filtered for {reasons}"
    # The first 10 pages hold a faithful removal these checks drop for its F1 (a paywall page: F1 below `auto` before
    # coverage existed too); none is dropped for coverage, the hard pages included. The mismatched rewrites include a
    # related page (an auto show report against another site's article on one car shown there, pages 2 and 3): a hard
    # negative that the content words keep out. The >= 90% target is over all 91 pages (bench/bench_recycle_scores.py).
    faithful = out[out["case"] == "faithful"]
    assert kept["faithful"] >= 0.9, summary
    assert not faithful[REASON].str.contains("content_coverage").any(), summary
    assert kept["mismatched"] == 0.0, summary
    assert kept["first 25%"] <= 0.5, summary
    assert kept["no newlines"] <= 0.1, summary
    # the first quarters are dropped for content loss, not for their F1
    heads = out[out["case"] == "first 25%"]
    assert heads.loc[heads[STATUS] != OK, REASON].str.contains("content_coverage").mean() >= 0.8, summary
    assert coverage["faithful"] > coverage["first 25%"] + 0.3, summary
