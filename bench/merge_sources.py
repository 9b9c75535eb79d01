"""CPU of the merge stage on the whole corpus, and a digest of what it produced.

    python -m bench.merge_sources

Reads the Anthology and every arXiv listing (settings' paths), then runs the merge of the two
sources once (`indexer.merge.merge_sources`, what a build runs beside the model; one run per
process, on records read afresh), printing its CPU and wall seconds and a
SHA-1 of the merged records: two versions of the code that print the same digest merged alike.
Run each version a few times, alternating, and compare medians.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import cpu_features  # noqa: E402
from evaluation.sources import default_arxiv_dir, known_variants, load_preprints, load_published  # noqa: E402
from indexer.merge import merge_sources  # noqa: E402
from peerscope.config import load_settings  # noqa: E402


def digest(records) -> str:
    h = hashlib.sha1()
    for r in records:
        h.update(orjson.dumps(r, option=orjson.OPT_SORT_KEYS, default=str))
    return h.hexdigest()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    settings = load_settings()
    print(f"CPU: {cpu_features()}", flush=True)
    t = time.perf_counter()
    published = load_published(settings.data_dir)
    preprints = load_preprints(default_arxiv_dir(settings))
    known = known_variants(settings.data_dir)
    print(f"read {len(published):,} published works and {len(preprints):,} preprints "
          f"in {time.perf_counter() - t:.1f} s", flush=True)
    c, w = time.process_time(), time.perf_counter()
    merged = merge_sources(published, preprints, known_variants=known)
    print(f"merge {time.process_time() - c:.1f} CPU-s, {time.perf_counter() - w:.1f} s wall; "
          f"{len(merged.records):,} works, digest {digest(merged.records)}")


if __name__ == "__main__":
    main()
