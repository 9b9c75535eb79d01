"""Find similar work", judged by relatedness that is not authorship.

Two ground truths, each with a deterministic sample of seed papers:
- volume: papers of the same small workshop volume (5-40 papers in the index)
  are related; a workshop is a topical gathering chosen by its organisers;
- citations (old papers): the ACL Anthology Network citation graph. A paper the
  seed cites or is cited by has gain 2; one co-cited with the seed by at least
  two papers has gain 1. Evaluation data only: it is never indexed or served.

Pairs sharing an author never count as related, and every method runs with the
product's `exclude_own_authors`, so authorship cannot help any of them.
Methods: keyword (more_like_this alone), vector (k-NN alone), hybrid (the
product's fused list, `search.similar`).

Seeds: one seed in four (by a hash of its id) belongs to the tuning split, on which
the product's weights may be chosen (`--split tuning`); figures are reported on two
disjoint samples of the other seeds, with the hybrid's paired difference to the
better single list.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from peerscope.config import Settings
from search import similar
from evaluation import metrics as M
from evaluation.common import client_for, ensure_vectors_readable, held_out_samples, scroll, tuning_sample

K = 10
METHODS = ("keyword", "vector", "hybrid")
WORKSHOP_TYPES = {"workshop paper"}
ARGS = {"size": K, "exclude_own_authors": True}


def load_works(client, settings: Settings) -> dict[str, dict]:
    body = {"_source": ["collection_id", "volume_id", "author_ids", "has_abstract", "year", "type"],
            "query": {"bool": {"must_not": [{"term": {"hidden": True}}]}}}
    return {h["_id"]: h["_source"] for h in scroll(client, settings.alias("works"), body)}


def _shares_author(a: Mapping, b: Mapping) -> bool:
    return bool(set(a.get("author_ids") or []) & set(b.get("author_ids") or []))


def volume_truth(works: Mapping[str, dict], lo: int = 5, hi: int = 40, min_related: int = 3,
                 need_abstract: bool = True) -> dict[str, dict[str, float]]:
    """{seed id: {related id: 1}} for papers of small workshop volumes."""
    volumes: dict[tuple, list[str]] = defaultdict(list)
    for wid, w in works.items():
        if w.get("type") in WORKSHOP_TYPES:
            volumes[(w.get("collection_id"), w.get("volume_id"))].append(wid)
    out = {}
    for members in volumes.values():
        if not lo <= len(members) <= hi:
            continue
        for s in members:
            if need_abstract and not works[s].get("has_abstract"):
                continue
            rel = {o: 1.0 for o in members if o != s and not _shares_author(works[s], works[o])}
            if len(rel) >= min_related:
                out[s] = rel
    return out


def citation_truth(path: Path, works: Mapping[str, dict], min_direct: int = 5,
                   min_cocited: int = 2) -> dict[str, dict[str, float]]:
    """{seed id: {related id: gain}} from `citing , cited` lines (both ends in the index)."""
    cites: dict[str, set[str]] = defaultdict(set)
    cited_by: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or parts[0] == parts[1] or parts[0] not in works or parts[1] not in works:
            continue
        cites[parts[0]].add(parts[1])
        cited_by[parts[1]].add(parts[0])
    out = {}
    for s in sorted(set(cites) | set(cited_by)):
        direct = (cites[s] | cited_by[s]) - {s}
        direct = {d for d in direct if not _shares_author(works[s], works[d])}
        if len(direct) < min_direct:
            continue
        cocited = Counter(o for citer in cited_by[s] for o in cites[citer] if o != s)
        gains = {o: 1.0 for o, n in cocited.items()
                 if n >= min_cocited and not _shares_author(works[s], works[o])}
        gains.update({d: 2.0 for d in direct})
        out[s] = gains
    return out


def lists_for(client, settings: Settings, seed: str) -> dict[str, list[str]]:
    """The unfused lists (whole windows, for offline studies) and the product's hybrid list."""
    found = similar.candidate_lists(client, settings, seed, ARGS)
    out = {name: [h["_id"] for h in hits] for name, hits in found.items()}
    out["hybrid"] = [r["id"] for r in similar.similar_to_work(client, settings, seed, ARGS).results]
    return out


def method_lists(lists: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {"keyword": lists.get("mlt", [])[:K], "vector": lists.get("knn", [])[:K],
            "hybrid": lists.get("hybrid", [])[:K]}


def per_seed(runs: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """{method: {"ndcg@10": [per seed], "p@10": [per seed]}}."""
    per: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in METHODS}
    for run in runs:
        gains = run["gains"]
        for name, ranked in method_lists(run["lists"]).items():
            per[name]["ndcg@10"].append(M.ndcg_at(ranked, gains, K))
            per[name]["p@10"].append(M.precision_at(ranked, gains, K))
    return per


def score(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean scores per method, and the hybrid against the better single list (chosen on
    these seeds): its ratio and the paired nDCG@10 difference with its 95 % half-width."""
    per = per_seed(runs)
    out: dict[str, Any] = {m: {k: M.mean(v) for k, v in per[m].items()} for m in METHODS}
    best = max(("keyword", "vector"), key=lambda m: out[m]["ndcg@10"])
    out["better_single"] = best
    out["ratio"] = M.ratio(out["hybrid"]["ndcg@10"], out[best]["ndcg@10"])
    out["vs_better"] = M.paired_difference(per["hybrid"]["ndcg@10"], per[best]["ndcg@10"])
    return out


def truths(settings: Settings, works: Mapping[str, dict], names: tuple[str, ...]) -> dict[str, dict]:
    out = {}
    for truth in names:
        if truth == "volume":
            gt = volume_truth(works)
        elif settings.citations_file.exists():
            gt = citation_truth(settings.citations_file, works)
        else:
            continue
        if gt:  # e.g. no small workshop volume in this index
            out[truth] = gt
    return out


def run(settings: Settings, n: int = 300, seed: int = 0, truths_: tuple[str, ...] = ("volume", "citations"),
        samples: int = 2, split: str = "held-out", dump: Path | None = None) -> dict[str, Any]:
    """Scores per ground truth and sample: `samples` disjoint held-out samples, or with
    split="tuning" one sample of the tuning split."""
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    works = load_works(client, settings)
    out: dict[str, Any] = {}
    for truth, gt in truths(settings, works, truths_).items():
        chosen = [tuning_sample(list(gt), n, seed)] if split == "tuning" else held_out_samples(list(gt), n, samples, seed)
        out[truth] = {"pool": len(gt), "split": split, "samples": []}
        for i, seeds in enumerate(chosen, start=1):
            runs = [{"id": s, "gains": gt[s], "lists": lists_for(client, settings, s)} for s in seeds]
            if dump:
                dump.parent.mkdir(parents=True, exist_ok=True)
                (dump.parent / f"{dump.stem}-{truth}-{split}-{i}.jsonl").write_text(
                    "\n".join(json.dumps(r) for r in runs) + "\n")
            out[truth]["samples"].append({"seeds": len(runs), "scores": score(runs)})
    return out
