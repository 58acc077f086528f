"""Start-up check that the installed stack is the one the code was written against.

A stage started in the project image (which sets `NEMO_REPRO_CHECK_STACK=1`) or from a mounted source
folder (`launch.code_mount`, whose scripts set it too) compares the installed versions of the packages
below with the pins in `constraints.txt` and fails with one message listing every mismatch and the fix.
Any other image (an NGC one, say) ships other versions of megatron-core or transformers; the code then
fails much later, far from the cause.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

# The packages whose API the code depends on closely; each is checked against its pin when it has one.
CHECKED = ("torch", "megatron-core", "nemo-curator", "trl", "transformers", "transformer-engine")
ENV_FLAG = "NEMO_REPRO_CHECK_STACK"
CONSTRAINTS = Path(__file__).resolve().parents[1] / "constraints.txt"


class StackMismatch(RuntimeError):
    """The installed stack does not fit the pins."""


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def read_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """`name==version` lines of a constraints file, by normalised name."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            pins[_normalise(name.split("[")[0])] = version.strip()
    return pins


def installed_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def mismatches(pins: dict[str, str], version_of: Callable[[str], Optional[str]] = installed_version) -> list[str]:
    """One line per checked package whose installed version differs from its pin (the local label,
    `+cpu`/`+cu128`, is ignored: the same release built for another device)."""
    out = []
    for name in CHECKED:
        pinned = pins.get(name)
        if pinned is None:
            continue
        found = version_of(name)
        if found is None:
            out.append(f"{name}: not installed, pinned {pinned}")
        elif found.split("+")[0] != pinned.split("+")[0]:
            out.append(f"{name}: installed {found}, pinned {pinned}")
    return out


def check_stack(constraints: Path = CONSTRAINTS, version_of: Callable[[str], Optional[str]] = installed_version) -> None:
    """Raise `StackMismatch` listing every checked package that does not fit its pin."""
    if not constraints.is_file():
        raise StackMismatch(f"cannot check the installed stack: {constraints} is missing (the image or code mount must carry the repository's constraints.txt)")
    found = mismatches(read_pins(constraints), version_of)
    if found:
        raise StackMismatch(
            "the installed stack does not fit the pins in " + str(constraints) + ":\n  - " + "\n  - ".join(found)
            + "\nFix: build and use the project image (`make image`, then container=<its name>), or install the pins "
            f"into this environment: pip install -c {constraints} -e '{constraints.parent}[gpu]'"
        )


def check_if_asked(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Run `check_stack` when `NEMO_REPRO_CHECK_STACK=1` (set by the image and by code-mount scripts)."""
    if environ.get(ENV_FLAG) == "1":
        check_stack()


if __name__ == "__main__":  # the image build's last step
    import sys

    try:
        check_stack()
    except StackMismatch as exc:
        sys.exit(f"nemo_repro.stack_check: {exc}")
    print("nemo_repro.stack_check: the installed stack fits constraints.txt")
