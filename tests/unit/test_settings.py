"""Settings: every variable is read in peerscope/config.py and nowhere else."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from peerscope.config import Settings, inherited_env, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("peerscope", "domain", "embeddings", "search", "indexer", "web", "evaluation")
WRITES = ("setdefault", "update", "pop", "__setitem__")  # setting a variable for a library is not reading one


def _environment_reads(path: Path) -> list[int]:
    """Line numbers where `path` reads the environment (os.environ / os.getenv)."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr == "getenv":
                lines.append(node.lineno)
            elif node.attr == "environ":
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.attr in WRITES:
                    continue
                if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
                    continue
                lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment():
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "peerscope" / "config.py":
                continue
            if lines := _environment_reads(path):
                found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_web_and_node_variables_reach_the_settings(monkeypatch, tmp_path):
    for name, value in {"PEERSCOPE_API_RATE_LIMIT": " 20/60 ", "PEERSCOPE_MAX_BODY_BYTES": "1000",
                        "PEERSCOPE_DEV": "1", "PEERSCOPE_NODE_DIR": str(tmp_path),
                        "PEERSCOPE_OPENSEARCH_HEAP": "1g", "OPENSEARCH_JAVA_HOME": "/opt/jdk",
                        "JAVA_HOME": "/usr/lib/jvm/x", "PATH": "/opt/bin:/usr/bin"}.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert (s.api_rate_limit, s.max_body_bytes, s.dev) == ("20/60", 1000, True)
    assert (s.node_dir_override, s.opensearch_heap, s.path) == (tmp_path, "1g", "/opt/bin:/usr/bin")
    assert s.java_homes == ("/opt/jdk", "/usr/lib/jvm/x")
    assert inherited_env(JAVA_HOME="/j")["JAVA_HOME"] == "/j" and inherited_env()["PATH"] == "/opt/bin:/usr/bin"


def test_unset_variables_give_the_defaults(monkeypatch):
    for name in ("PEERSCOPE_API_RATE_LIMIT", "PEERSCOPE_MAX_BODY_BYTES", "PEERSCOPE_DEV", "PEERSCOPE_NODE_DIR",
                 "PEERSCOPE_OPENSEARCH_HEAP", "OPENSEARCH_JAVA_HOME", "JAVA_HOME"):
        monkeypatch.delenv(name, raising=False)
    s, d = load_settings(), Settings()
    assert (s.api_rate_limit, s.max_body_bytes, s.dev, s.node_dir_override, s.opensearch_heap, s.java_homes) == (
        d.api_rate_limit, 65536, False, None, "2g", ())
