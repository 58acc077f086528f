"""The layers read top-down, and no module imports itself round a cycle.

    config (nemo_repro.config: pure schemas)
      <- library (the rest of nemo_repro)
      <- stages (curator_stages)
      <- launcher
      <- app (nemo_repro.cli, nemo_repro.quickstart: app modules that live inside the nemo_repro package)

A module may import its own layer and the layers below it, never one above. Every import counts:
module level, inside functions (lazy), under `if TYPE_CHECKING:`. Cycles are found over the same
edges between modules of the project (a package's `__init__` counts as the module of its name).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nemo_repro", "curator_stages", "launcher")
APP_MODULES = ("nemo_repro.cli", "nemo_repro.quickstart")
LAYERS = ("config", "library", "stages", "launcher", "app")


def layer_of(module: str) -> str:
    """The layer of a project module (by dotted name)."""
    if any(module == m or module.startswith(m + ".") for m in APP_MODULES):
        return "app"
    if module == "nemo_repro.config" or module.startswith("nemo_repro.config."):
        return "config"
    top = module.split(".")[0]
    return {"nemo_repro": "library", "curator_stages": "stages", "launcher": "launcher"}[top]


def modules_of(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Dotted name -> source file of every module of `packages` under `root`."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports_of(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported project module, line) of every import statement in the file, wherever it stands."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module itself
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import a.b.c` where only a.b is ours, or a third-party module
                name = name.rpartition(".")[0]
            if name and name != module:
                found.append((name, node.lineno))
    return found


def import_graph(root: Path, packages=PACKAGES) -> dict[str, list[tuple[str, int]]]:
    modules = modules_of(root, packages)
    return {m: imports_of(m, p, set(modules)) for m, p in modules.items()}


def upward_imports(graph, layer=layer_of) -> list[str]:
    """Every import from a module into a layer above its own, as readable lines."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    out = []
    for module, edges in graph.items():
        for target, line in edges:
            if rank[layer(target)] > rank[layer(module)]:
                out.append(f"{module}:{line} ({layer(module)}) imports {target} ({layer(target)})")
    return out


def cycles(graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_goes_up_a_layer():
    assert upward_imports(import_graph(ROOT)) == []


def test_no_import_cycle():
    assert cycles(import_graph(ROOT)) == []


def test_every_module_has_a_layer():
    for module in modules_of(ROOT):
        assert layer_of(module) in LAYERS


# ----------------------------------------------------------------------------- the checker on a planted tree


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


CLEAN = {
    "nemo_repro/__init__.py": "",
    "nemo_repro/config/__init__.py": "",
    "nemo_repro/config/schema.py": "import json\nfrom dataclasses import dataclass\n",
    "nemo_repro/lib.py": "from nemo_repro.config.schema import dataclass\nfrom . import config\n",
    "nemo_repro/cli.py": "import launcher.run\nfrom curator_stages import stage\n",
    "curator_stages/__init__.py": "",
    "curator_stages/stage.py": "from nemo_repro import lib\nimport nemo_repro.config.schema\n",
    "launcher/__init__.py": "",
    "launcher/run.py": "from curator_stages.stage import x\n",
}


def test_checker_passes_a_clean_tree(tmp_path):
    graph = import_graph(_tree(tmp_path, CLEAN))
    assert ("nemo_repro.config", 2) in graph["nemo_repro.lib"]  # a relative import is resolved
    assert ("curator_stages.stage", 1) in graph["launcher.run"]
    assert upward_imports(graph) == [] and cycles(graph) == []


@pytest.mark.parametrize(
    "module, text, expected",
    [
        # a schema reaching into the library, lazily inside a function
        ("nemo_repro/config/schema.py", "def f():\n    from nemo_repro.lib import g\n", "nemo_repro.config.schema:2 (config) imports nemo_repro.lib (library)"),
        # the library importing an app module or a stage
        ("nemo_repro/lib.py", "import nemo_repro.cli\n", "nemo_repro.lib:1 (library) imports nemo_repro.cli (app)"),
        ("nemo_repro/lib.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from curator_stages.stage import S\n", "nemo_repro.lib:3 (library) imports curator_stages.stage (stages)"),
        # a stage importing the launcher
        ("curator_stages/stage.py", "from launcher import run\n", "curator_stages.stage:1 (stages) imports launcher.run (launcher)"),
    ],
)
def test_checker_finds_a_planted_upward_import(tmp_path, module, text, expected):
    graph = import_graph(_tree(tmp_path, {**CLEAN, module: text}))
    assert upward_imports(graph) == [expected]


def test_checker_finds_a_planted_cycle(tmp_path):
    planted = {**CLEAN, "curator_stages/report.py": "from curator_stages.stage import Paths\n", "curator_stages/stage.py": "def f():\n    from curator_stages import report\n"}
    graph = import_graph(_tree(tmp_path, planted))
    assert upward_imports(graph) == []
    assert cycles(graph) == [["curator_stages.report", "curator_stages.stage"]]
