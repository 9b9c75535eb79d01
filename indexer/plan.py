"""Which files (and how many of their papers) an indexing run reads, over every source."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.sources.base import FileTask, Options, Source


def plan_files(sources: Sequence[Source], options: Options) -> list[FileTask]:
    """Every source's tasks, in source order; each named file (`options.files`) goes to the
    source that owns it."""
    if options.files:
        unowned = [f for f in options.files if not any(s.owns(Path(f)) for s in sources)]
        if unowned:
            raise FileNotFoundError(f"no source reads these files: {', '.join(unowned)}")
    return [task for source in sources for task in source.plan(options)]
