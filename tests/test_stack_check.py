"""The start-up stack check: every mismatch in one message, in a fake mismatched environment too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nemo_repro.stack_check import CHECKED, CONSTRAINTS, check_stack, mismatches, read_pins

REPO = Path(__file__).resolve().parents[1]


def test_pins_cover_the_checked_packages_that_constraints_pins():
    pins = read_pins()
    assert {"torch", "megatron-core", "nemo-curator", "trl", "transformers"} <= set(pins)
    assert set(CHECKED) - set(pins) <= {"transformer-engine"}, "only Transformer Engine is left to the image"


def test_every_mismatch_is_listed_and_device_labels_are_ignored(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text("# pins\ntorch==2.13.0\nmegatron-core==0.16.1\nnemo-curator==1.4.0\ntrl==1.16.0\ntransformers==5.23.0\ntransformer-engine==2.9.0\n")
    fake = {"torch": "2.13.0+cu128", "megatron-core": "0.14.0", "nemo-curator": None, "trl": "1.16.0", "transformers": "5.23.0", "transformer-engine": "2.9.0"}
    assert mismatches(read_pins(pins), fake.get) == ["megatron-core: installed 0.14.0, pinned 0.16.1", "nemo-curator: not installed, pinned 1.4.0"]
    try:
        check_stack(pins, fake.get)
    except RuntimeError as exc:
        text = str(exc)
    assert "megatron-core: installed 0.14.0" in text and "nemo-curator: not installed" in text and "make image" in text


def test_a_stage_refuses_to_start_in_a_mismatched_environment(tmp_path):
    """A fake installed torch 0.0.1 (a dist-info first on sys.path) fails `nemo-repro evaluate` before any work."""
    site = tmp_path / "site"
    for name, version in (("torch", "0.0.1"), ("megatron_core", "0.14.0")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n")
    env = {**os.environ, "PYTHONPATH": f"{site}:{REPO}", "NEMO_REPRO_CHECK_STACK": "1"}
    run_dir = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "nemo_repro.cli", "evaluate", f"run.dir={run_dir}"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "torch: installed 0.0.1, pinned 2.13.0" in proc.stderr and "megatron-core: installed 0.14.0, pinned 0.16.1" in proc.stderr
    assert str(CONSTRAINTS) in proc.stderr and not run_dir.exists()
    env["NEMO_REPRO_CHECK_STACK"] = "0"
    ok = subprocess.run([sys.executable, "-c", "from nemo_repro.stack_check import check_if_asked; check_if_asked()"], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, "the check runs only when asked"
