"""Read the whole Anthology corpus once and print what the reader and aggregator make of it.

    python bench/parse_corpus.py [DATA_DIR] [--no-aggregate]

DATA_DIR defaults to ../shared/data/acl-anthology relative to the project root.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.aggregate import Aggregator, work_document  # noqa: E402
from indexer.sources.acl import AnthologySource  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # progress bar is a nicety, not a requirement
    def tqdm(iterable, **_):  # type: ignore[no-redef]
        return iterable


def reason_kind(reason: str) -> str:
    """Group reasons that embed ids or positions: 'duplicate paper id X (...)' -> 'duplicate paper id'."""
    for prefix in ("duplicate paper id", "missing <url>", "unreadable XML", "unexpected"):
        if reason.startswith(prefix):
            return prefix
    return reason


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=ROOT.parent / "shared/data/acl-anthology")
    parser.add_argument("--no-aggregate", action="store_true", help="only parse and validate")
    args = parser.parse_args()

    start = time.perf_counter()
    source = AnthologySource(args.data_dir)
    aggregator = Aggregator(source.people.known_variants())
    papers = accepted = author_slots = 0
    rejects: Counter[str] = Counter()
    types: Counter[str] = Counter()
    paths = source.collection_paths()
    progress = tqdm(source.iter_collections(paths), total=len(paths), unit="file", mininterval=1.0)
    for result in progress:
        papers += result.papers_seen
        accepted += len(result.records)
        rejects.update(reason_kind(r.reason) for r in result.rejects)
        for record in result.records:
            work_document(record)  # exercised for timing; documents are not kept
            types[record["type"]] += 1
            author_slots += len(record["authors"])
            if not args.no_aggregate:
                aggregator.add(record)
    read_s = time.perf_counter() - start

    researchers = with_orcid = 0
    bands: Counter[str] = Counter()
    if not args.no_aggregate:
        for doc in aggregator.researchers():
            researchers += 1
            with_orcid += doc["has_orcid"]
            bands[doc["trust"]["band"]] += 1
    total_s = time.perf_counter() - start

    print(f"collection files     {len(paths):>9,}")
    print(f"papers read          {papers:>9,}")
    print(f"papers accepted      {accepted:>9,}")
    print(f"papers rejected      {sum(rejects.values()):>9,}")
    for reason, count in rejects.most_common():
        print(f"  {count:>7,}  {reason}")
    print(f"author slots         {author_slots:>9,}")
    print("work types:")
    for label, count in types.most_common():
        print(f"  {count:>7,}  {label}")
    if not args.no_aggregate:
        print(f"distinct researchers {researchers:>9,}  (with ORCID {with_orcid:,})")
        print("trust bands:", ", ".join(f"{b} {n:,}" for b, n in bands.most_common()))
    print(f"read + aggregate     {read_s:>9.1f} s")
    print(f"wall time            {total_s:>9.1f} s  (CPU {cpu_seconds():.1f} s)")
    print(f"peak RSS             {peak_rss_mb():>9.0f} MiB")


if __name__ == "__main__":
    main()
