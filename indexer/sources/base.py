"""The one interface a data source implements, and what a build asks of it.

A build asks each source present (`indexer.sources.available_sources`) for the files it
reads (`Source.plan`), reads each file with the source that planned it (`Source.read_file`,
one RQ job per file when queued), and, before aggregating researchers, asks every source
which spellings it knows for a person (`Source.known_variants`). Records are work records
(indexer/records.py, WorkRecordSchema); the build applies the year filters and a sample's
`limit` to what `read_file` returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, Protocol

from indexer.records import Reject


@dataclass(frozen=True)
class FileTask:
    path: Path
    limit: int | None = None  # keep at most this many papers of the file (samples only)
    source: str = "acl"  # the name of the source that reads it


def sample_tasks(paths: list[Path], sample: int, count: Callable[[Path], int], source: str) -> list[FileTask]:
    """Whole files in the order given until they hold `sample` papers (`count` says how many a
    file has), the last one cut to what is left."""
    tasks, total = [], 0
    for path in paths:
        n = count(path)
        take = min(n, sample - total)
        tasks.append(FileTask(path, None if take == n else take, source))
        total += take
        if total >= sample:
            break
    return tasks


@dataclass(frozen=True)
class Options:
    sample: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    files: tuple[str, ...] = field(default_factory=tuple)
    fresh: bool = False  # build from empty indexes, never from a copy of the live ones

    def describe(self) -> str:
        parts = []
        if self.sample:
            parts.append(f"sample of {self.sample} papers")
        if self.year_from or self.year_to:
            parts.append(f"years {self.year_from or '...'}-{self.year_to or '...'}")
        if self.files:
            parts.append(f"{len(self.files)} collection files")
        return ", ".join(parts) or "whole corpus"


@dataclass
class FileResult:
    """What one file yielded. `read` counts every paper seen: accepted + rejected + repeated."""

    source_file: str  # the file's name: the key of its records in the build's spool
    records: list[dict[str, Any]]
    rejects: list[Reject]
    read: int
    repeated: int = 0  # papers the file lists again, set aside without a reject


class Source(Protocol):
    name: str  # "acl", "arxiv": also the `source` family of its records

    def plan(self, options: Options) -> list[FileTask]:
        """The files a build reads: a sample, those of `options.files` it owns, or all."""

    def owns(self, path: Path) -> bool:
        """Whether this source reads `path` (for `--files`: which source a named file goes to)."""

    def read_file(self, task: FileTask) -> FileResult:
        """One file's validated records and rejects; never raises on bad input."""

    def known_variants(self) -> dict[str, tuple[str, ...]]:
        """Person id -> the spellings this source knows for them ({} if none)."""
