"""Which collection files (and how many of their papers) an indexing run reads.

A sample takes whole collections, newest main conferences first, so that a
demo keeps real co-author graphs and volumes instead of scattered papers.
"""
from __future__ import annotations

import re
from pathlib import Path

from indexer.sources.base import FileTask, Options

MAIN_VENUES = ("acl", "emnlp", "naacl", "findings", "eacl", "coling", "tacl", "cl", "aacl", "conll")
SAMPLE_YEARS = (2022, 2023, 2024, 2021, 2020, 2025, 2019, 2018)
_PAPER = re.compile(rb"<paper\s")


def count_papers(path: Path) -> int:
    return len(_PAPER.findall(path.read_bytes()))


def sample_order(paths: list[Path]) -> list[Path]:
    by_name = {p.name: p for p in paths}
    first = [by_name[f"{y}.{v}.xml"] for y in SAMPLE_YEARS for v in MAIN_VENUES if f"{y}.{v}.xml" in by_name]
    chosen = set(first)
    return first + sorted((p for p in paths if p not in chosen), key=lambda p: p.name, reverse=True)


def plan_files(data_dir: Path, options: Options) -> list[FileTask]:
    xml = data_dir / "xml"
    if not xml.is_dir():
        raise FileNotFoundError(f"no xml/ folder in {data_dir}; point PEERSCOPE_DATA_DIR at the Anthology's data/")
    if options.files:
        missing = [f for f in options.files if not (xml / Path(f).name).exists()]
        if missing:
            raise FileNotFoundError(f"collection files not found in {xml}: {', '.join(missing)}")
        return [FileTask(xml / Path(f).name) for f in options.files]
    paths = sorted(xml.glob("*.xml"))
    if not options.sample:
        return [FileTask(p) for p in paths]
    tasks, total = [], 0
    for path in sample_order(paths):
        n = count_papers(path)
        take = min(n, options.sample - total)
        tasks.append(FileTask(path, None if take == n else take))
        total += take
        if total >= options.sample:
            break
    return tasks
