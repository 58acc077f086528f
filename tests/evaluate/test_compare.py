"""`compare_runs` on hand-written results.json files: the table shows standard errors, older results still compare."""

import json

from nemo_repro.evaluate.compare import compare_runs


def _results(path, centered, stderr=None, core_stderr=None):
    tasks = {}
    for name, value in centered.items():
        tasks[name] = {"n": 100, "acc": value, "centered_acc": value}
        if stderr is not None:
            tasks[name]["centered_acc_stderr"] = stderr
    results = {"tasks": tasks, "core": sum(centered.values()) / len(centered), "partial": True}
    if core_stderr is not None:
        results["core_stderr"] = core_stderr
    path.mkdir()
    (path / "results.json").write_text(json.dumps(results))
    return path


def test_table_has_standard_errors_and_reads_old_results(tmp_path):
    new = _results(tmp_path / "new", {"a": 0.25, "b": 0.5}, stderr=0.05, core_stderr=0.0354)
    old = _results(tmp_path / "old", {"a": 0.125})  # written before standard errors were recorded
    (tmp_path / "cmp").mkdir()
    table = compare_runs([new, old], tmp_path / "cmp")
    assert "| a | 0.2500 ± 0.0500 | 0.1250 |" in table
    assert "| b | 0.5000 ± 0.0500 | - |" in table
    assert "**0.3750 ± 0.0354** (partial)" in table and "**0.1250** (partial)" in table
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 0
