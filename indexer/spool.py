"""On-disk hand-over between indexing stages.

Per-file jobs write their validated records and rejects here; the aggregation
job reads them back. A full build works in `builds/<id>/`; when it succeeds the
folder becomes `current/`, which incremental runs update in place.

A build run in-process also keeps, per file, the fingerprint of the bytes its records came
from (`fingerprints/<file>.json`: size, mtime, sha1), and in `manifest.json` what else its
records and indexes depend on (the recipe) and the indexes it made live: the next build
takes the spooled records of a file whose bytes did not change instead of reading it again,
and when nothing changed at all it has nothing to do (indexer/build.py).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
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
    """Atomically write one source file's records, rejects and counts (and forget the fingerprint
    of the bytes they came from, which the caller records again when it knows them)."""
    (folder / "fingerprints" / f"{source}.json").unlink(missing_ok=True)
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


# ---------------------------------------------------------------- fingerprints of the files read

_HASH_CHUNK = 1 << 20


def sha1_of(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(path: Path, limit: int | None = None, source: str = "") -> dict[str, Any]:
    """What identifies one file's records: its bytes (size, mtime, sha1) and how it was read."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha1": sha1_of(path), "limit": limit, "source": source}


def write_fingerprint(folder: Path, name: str, fp: dict[str, Any]) -> None:
    (folder / "fingerprints").mkdir(parents=True, exist_ok=True)
    (folder / "fingerprints" / f"{name}.json").write_text(json.dumps(fp))


def read_fingerprint(folder: Path, name: str) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "fingerprints" / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def unchanged(folder: Path, path: Path, limit: int | None, source: str) -> dict[str, Any] | None:
    """The fingerprint `folder` keeps for `path` when the file's bytes (and how it is read) are
    still those its spooled records came from, else None. Size and mtime equal: unchanged
    without reading it (as rsync decides); size equal but another mtime (a copy): its sha1 decides."""
    kept = read_fingerprint(folder, path.name)
    if kept is None or kept.get("limit") != limit or kept.get("source") != source:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_size != kept["size"]:
        return None
    if st.st_mtime_ns == kept["mtime_ns"]:
        return kept
    if sha1_of(path) != kept["sha1"]:
        return None
    return {**kept, "mtime_ns": st.st_mtime_ns}


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: a copy
        shutil.copy2(src, dst)


def take_file_result(current: Path, folder: Path, name: str, fp: dict[str, Any]) -> dict:
    """Take one file's spooled records, rejects and counts from `current` into the build
    `folder` (hard links: nothing is read or written again); returns its counts."""
    for part in (_records_file(current, name).relative_to(current), Path("rejects") / f"{name}.json",
                 Path("stats") / f"{name}.json"):
        _link(current / part, folder / part)
    write_fingerprint(folder, name, fp)
    return json.loads((folder / "stats" / f"{name}.json").read_text())


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, default=str))
    tmp.replace(folder / "manifest.json")
