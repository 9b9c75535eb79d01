"""What every data source gives a build: the files it reads, and each file's records.

A build asks each source for its tasks (`plan`), reads each task with the source that planned
it (`read_file`), and later asks every source which spellings it knows for a person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FileTask:
    path: Path
    limit: int | None = None  # read at most this many papers (samples only)


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
