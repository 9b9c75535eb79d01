"""On-disk hand-over between indexing stages.

Per-file jobs write their validated records and rejects here; the aggregation
job reads them back. A full build works in `builds/<id>/`; when it succeeds the
folder becomes `current/`, which incremental runs update in place.
"""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any, Iterator

from peerscope.config import Settings


def spool_root(settings: Settings) -> Path:
    return settings.state_dir / "spool" / settings.index_prefix.rstrip("-")


def build_dir(settings: Settings, build_id: str) -> Path:
    return spool_root(settings) / "builds" / build_id


def current_dir(settings: Settings) -> Path:
    return spool_root(settings) / "current"


def _records_file(folder: Path, source: str) -> Path:
    return folder / "records" / f"{source}.jsonl.gz"


def write_file_result(folder: Path, source: str, records: list[dict], rejects: list[dict], stats: dict) -> None:
    """Atomically write one source file's records, rejects and counts."""
    (folder / "records").mkdir(parents=True, exist_ok=True)
    (folder / "rejects").mkdir(parents=True, exist_ok=True)
    (folder / "stats").mkdir(parents=True, exist_ok=True)
    target = _records_file(folder, source)
    tmp = target.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(target)
    (folder / "rejects" / f"{source}.json").write_text(json.dumps(rejects, ensure_ascii=False))
    (folder / "stats" / f"{source}.json").write_text(json.dumps(stats))


def sources_done(folder: Path) -> set[str]:
    return {p.name[: -len(".json")] for p in (folder / "stats").glob("*.json")}


def iter_records(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((folder / "records").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def read_rejects(folder: Path) -> list[dict]:
    out: list[dict] = []
    for path in sorted((folder / "rejects").glob("*.json")):
        out.extend(json.loads(path.read_text()))
    return out


def read_stats(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((folder / "stats").glob("*.json"))]


def promote(settings: Settings, folder: Path) -> Path:
    """Make a finished build's spool the current one."""
    current = current_dir(settings)
    old = current.with_name("previous")
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    folder.rename(current)
    shutil.rmtree(old, ignore_errors=True)
    return current
