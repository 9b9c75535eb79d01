"""What the evaluation tasks share: settings, index builds, scrolling, sampling, tables."""
from __future__ import annotations

import hashlib
import random
import time
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from peerscope.config import Settings, load_settings
from search.client import make_client

_NEW_STYLE = re.compile(r"^(\d{4})\.")


def settings_for(prefix: str) -> Settings:
    return replace(load_settings(), index_prefix=prefix)


def client_for(settings: Settings) -> OpenSearch:
    return make_client(settings, timeout=60)


def build(settings: Settings, *, year_from: int | None = None, year_to: int | None = None,
          sample: int | None = None, files: Sequence[str] = ()) -> dict:
    """A full build into `settings.index_prefix` (in-process, with the reindex lock when Redis is up)."""
    from indexer.build import reachable_redis, run_in_process
    from indexer.sources.base import Options

    options = Options(sample=sample, year_from=year_from, year_to=year_to, files=tuple(files))
    return run_in_process(settings, options, reachable_redis(settings))


def collection_year(path: Path) -> int | None:
    """The year of a new-style collection file (`2022.acl.xml`); None for old-style ids (`P05.xml`)."""
    m = _NEW_STYLE.match(path.name)
    return int(m.group(1)) if m else None


def small_workshop_files(data_dir: Path, year: int, min_papers: int = 5, max_papers: int = 40) -> list[str]:
    """Collection files of one year holding one small volume each (workshops), sorted."""
    out = []
    for path in sorted((data_dir / "xml").glob(f"{year}.*.xml")):
        n = path.read_bytes().count(b"<paper ")
        if min_papers <= n <= max_papers:
            out.append(path.name)
    return out


def scroll(client: OpenSearch, index: str, body: Mapping[str, Any], *, page: int = 2000) -> Iterator[dict]:
    """Every hit of `body` (a query + _source), in `id` order.

    Pages with `search_after` rather than a scroll context: on this node, clearing
    a scroll context also closes the vector files that derived source reads
    (see `ensure_vectors_readable`), which breaks every later vector fetch.
    """
    after = None
    while True:
        req = {**body, "size": page, "sort": [{"id": "asc"}], "track_total_hits": False}
        if after is not None:
            req["search_after"] = after
        hits = client.search(index=index, body=req)["hits"]["hits"]
        yield from hits
        if len(hits) < page:
            return
        after = hits[-1]["sort"]


def deterministic_sample(items: Sequence[Any], n: int, seed: int = 0) -> list[Any]:
    """`n` items chosen with a fixed seed from the sorted items (all of them if fewer)."""
    items = sorted(items)
    if len(items) <= n:
        return list(items)
    return random.Random(seed).sample(items, n)


def format_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into docs/EVALUATION.md)."""
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = [f"### {title}", "", "| " + " | ".join(columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def ensure_vectors_readable(client: OpenSearch, settings: Settings) -> list[str]:
    """Probe that stored vectors can be read back; reopen an index where they cannot.

    The k-NN plugin of the node (3.5) serves `embedding` from derived source and can
    keep a reader onto a vector file that a merge has closed (opensearch-project/k-NN
    issues 3191, 3458): every search returning `embedding` then fails with 503
    "all shards failed". Closing and reopening the index opens fresh readers.
    Returns the indexes that were reopened.
    """
    from opensearchpy import TransportError

    reopened = []
    for alias in (settings.alias("works"), settings.alias("researchers")):
        probe = {"size": 1, "_source": ["embedding"], "query": {"exists": {"field": "embedding"}}}
        try:
            client.search(index=alias, body=probe)
            continue
        except TransportError as exc:
            if getattr(exc, "status_code", None) != 503:
                raise
        for name in client.indices.get_alias(name=alias):
            client.indices.close(index=name)
            client.indices.open(index=name, wait_for_active_shards=1)
            reopened.append(name)
        for _ in range(30):  # the shard needs a moment to start again
            try:
                client.search(index=alias, body=probe)
                break
            except TransportError:
                time.sleep(1)
    return reopened


def citation_files(data_dir: Path, citations_file: Path, series: str = "PCDNEJ") -> list[str]:
    """Old-style collection files of the main series (ACL, COLING, EMNLP, NAACL, EACL, CL)
    that hold at least one paper of the citation graph, sorted."""
    ids: set[str] = set()
    for line in citations_file.read_text(encoding="utf-8", errors="replace").splitlines():
        ids.update(p.strip() for p in line.split(",") if p.strip())
    names = {f"{i.split('-')[0]}.xml" for i in ids if "-" in i and i[0] in series}
    return sorted(n for n in names if (data_dir / "xml" / n).exists())


def disjoint_samples(items: Sequence[Any], n: int, samples: int = 2, seed: int = 0) -> list[list[Any]]:
    """`samples` disjoint samples of `n` items each (fewer when there are not enough items):
    independent samples of one pool. The first is `deterministic_sample(items, n, seed)`, so
    figures of a single sample stay comparable; the i-th is drawn from what is left with seed + i."""
    rest = sorted(items)
    size = min(n, len(rest) // samples) if samples else 0
    out = []
    for i in range(samples):
        chosen = deterministic_sample(rest, size, seed + i)
        out.append(chosen)
        taken = set(chosen)
        rest = [x for x in rest if x not in taken]
    return out


def in_tuning_split(key: str, share: int = 4) -> bool:
    """Whether `key` belongs to the tuning split (one key in `share`, by a hash of the key):
    what tunes a weight is drawn from this split, what reports a figure from the rest."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % share == 0


def held_out_samples(pool: Sequence[Any], n: int, samples: int = 2, seed: int = 0) -> list[list[Any]]:
    """Disjoint samples of the keys of `pool` outside the tuning split: what a figure is reported on."""
    return disjoint_samples([k for k in pool if not in_tuning_split(str(k))], n, samples, seed)


def tuning_sample(pool: Sequence[Any], n: int, seed: int = 0) -> list[Any]:
    """A sample of the keys of `pool` inside the tuning split: what a weight may be chosen on."""
    return deterministic_sample([k for k in pool if in_tuning_split(str(k))], n, seed)


def format_difference(diff: tuple[float, float]) -> str:
    """"+0.012 ± 0.008" (a paired difference and its 95 % half-width)."""
    return f"{diff[0]:+.3f} ± {diff[1]:.3f}"
