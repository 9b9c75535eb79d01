"""Which files (and how many of their papers) an indexing run reads."""
from __future__ import annotations

from pathlib import Path

from indexer.sources.acl import plan_collections
from indexer.sources.base import FileTask, Options


def plan_files(data_dir: Path, options: Options) -> list[FileTask]:
    return plan_collections(data_dir, options)
