"""What a stage's container sees of the host: the user's mounts plus every host path the job reads or writes.

pyxis mounts nothing by default (the scripts also pass `--no-container-mount-home`), so each path in a
rendered command must sit under a mount. The launcher adds one, at the same path inside the container,
for the run dir, the code folder (`launch.code_mount`) and each input file or model folder that no
`container_mounts` entry covers. pyxis separates mounts with `,` and source from target with `:`, so
such paths cannot hold either (validate.py refuses them).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from nemo_repro.config.root import RootConfig
from launcher.wiring import get_key, path_keys

GLOB_CHARS = "*?["


def mount_targets(mounts: list[str]) -> list[str]:
    """Container-side folder of each `src[:dst[:flags]]` mount."""
    out = []
    for mount in mounts:
        src, _, rest = mount.partition(":")
        out.append(rest.split(":")[0] or src)
    return out


def covered(path: str, targets: list[str]) -> bool:
    """Whether `path` lies inside one of the container folders `targets`."""
    return any(path == t or path.startswith(t.rstrip("/") + "/") for t in targets)


def folder_to_mount(path: str) -> str:
    """The host folder that holds `path`: itself for a folder, else the folder above it (a file, a
    Megatron `.bin/.idx` prefix) or above its first glob component."""
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if any(c in part for c in GLOB_CHARS):
            return str(Path(*parts[:i]))
    return path if os.path.isdir(path) else os.path.dirname(path) or "/"


def auto_mounts(cfg: RootConfig, run_dir: Path) -> list[tuple[str, str]]:
    """(key, host folder) for each folder the launcher mounts on top of `container_mounts`, in order:
    the run dir, the code folder, then each path-valued key's folder that no earlier mount covers."""
    wanted = [("run.dir", str(run_dir))]
    if cfg.launch.code_mount:
        wanted.append(("launch.code_mount", str(cfg.launch.code_mount)))
    wanted += [(key, folder_to_mount(str(get_key(cfg, key)))) for key in path_keys(cfg)]
    targets = mount_targets(cfg.container_mounts)
    out: list[tuple[str, str]] = []
    for key, folder in wanted:
        if not covered(folder, targets):
            out.append((key, folder))
            targets.append(folder)
    return out


def container_mounts(cfg: RootConfig, run_dir: Path) -> list[str]:
    """The `--container-mounts` list of every step: the user's, then the automatic ones (`src:src`)."""
    return [*cfg.container_mounts, *(f"{folder}:{folder}" for _, folder in auto_mounts(cfg, run_dir))]


def exists_on_host(path: str, mounts: list[str]) -> bool:
    """Whether a path (maybe a container path under a user mount) matches something on the host."""
    for mount in mounts:
        src, _, rest = mount.partition(":")
        dst = rest.split(":")[0] or src
        if covered(path, [dst]):
            path = src + path[len(dst.rstrip("/")):]
            break
    expanded = os.path.expanduser(path)
    return bool(glob.glob(expanded)) or os.path.exists(expanded + ".idx")
