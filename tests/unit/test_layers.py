"""The layers hold: the import contracts of pyproject.toml, and no import cycles.

`peerscope.cli` is the composition root: it wires the parts together (the accounts store's
corrections into the indexer, every feature's commands into one CLI), so it alone may import
the packages that import `peerscope.config`.
"""
from __future__ import annotations

import graphlib
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
COMPOSITION_ROOT = {"peerscope.cli"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*CONFIG["root_packages"], cache_dir=None)


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as exc:
        return exc.args[1]
    return None


@pytest.mark.parametrize("contract", [c["id"] for c in CONFIG["contracts"]])
def test_import_contract_is_kept(contract):
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache", "--no-logo", "--contract", contract],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_no_module_imports_itself_through_others(graph):
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert _cycle(edges) is None


def test_packages_import_each_other_one_way_apart_from_the_composition_root(graph):
    edges: dict[str, set[str]] = {}
    for module in graph.modules - COMPOSITION_ROOT:
        package = module.split(".")[0]
        edges.setdefault(package, set()).update(
            imported.split(".")[0] for imported in graph.find_modules_directly_imported_by(module)
            if imported.split(".")[0] != package)
    assert _cycle(edges) is None
