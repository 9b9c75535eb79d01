"""Collaborator recommendation, judged by the future: who did they write with next?

Indexes hold works up to a cutoff year. For researchers with at least two works
up to the cutoff and at least one *new* co-author in the `horizon` years after it
(someone already in the index they had never written with), each ranking is scored
on those new co-authors, read straight from the source records.

Variants (all from the same candidate lists as the product):
- learned: the product's ranker when one is stored with the index (`search.ranker`),
  over every candidate of the lists below;
- fused: weighted RRF of the lists below (the product without a ranker);
- graph: friends of friends by Adamic-Adar with recency;
- adamic_adar: friends of friends by plain Adamic-Adar (the classic baseline);
- embedding: nearest profile vectors only;
- topics: shared topics only.

The learned ranker is trained on the project's own past (`train`): on an index of works
up to an earlier cutoff, against the new co-authors of the years after it, on the tuning
split of researchers (one in four by a hash of the id); it is evaluated on later indexes
and years, on researchers outside that split, so it never saw them.
"""
from __future__ import annotations

import json
import platform
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from indexer.merge.people import ARXIV_PERSON_PREFIX
from indexer.sources.acl import AnthologySource
from peerscope.config import Settings
from search import ranker as learned
from search import recommend
from search.queries import collaborators as CQ
from evaluation import metrics as M
from evaluation.common import (client_for, collection_year, ensure_vectors_readable, held_out_samples, scroll,
                               tuning_sample)

K = 10
WINDOW = 30  # what the product ranks per source for size=10 (max(size * 3, 30))
VARIANTS = ("learned", "fused", "graph", "adamic_adar", "embedding", "topics")
BASELINE = "adamic_adar"


def post_cutoff_coauthors(data_dir: Path, cutoff: int, files: Iterable[str] | None = None,
                          until: int | None = None) -> dict[str, set[str]]:
    """{author id: co-author ids on papers published after `cutoff` (up to `until`)}, from
    the source files.

    Only collection files that can hold such papers are read (new-style files of a
    later year; old-style ids end before 2020).
    """
    source = AnthologySource(data_dir)
    paths = [data_dir / "xml" / f for f in files] if files else source.collection_paths()
    paths = [p for p in paths
             if (collection_year(p) or 0) > cutoff or (collection_year(p) is None and cutoff < 2020)]
    out: dict[str, set[str]] = defaultdict(set)
    for result in source.iter_collections(paths):
        for record in result.records:
            if record["year"] <= cutoff or (until is not None and record["year"] > until):
                continue
            ids = list(dict.fromkeys(a["id"] for a in record["authors"]))
            for a in ids:
                out[a].update(b for b in ids if b != a)
    return out


def arxiv_coauthors_after(settings: Settings, cutoff: int, until: int | None = None) -> dict[str, set[str]]:
    """{Anthology id: Anthology co-author ids} on the arXiv preprints of the years after
    `cutoff` (up to `until`), for judging an index that holds both sources.

    A preprint author counts as an Anthology person only when exactly one person of the
    Anthology carries that name (or one of its known variants). The linker is not asked:
    its evidence is co-authors in common, the very signal the graph rankings are judged
    on, so its links would favour them. A name that nobody or several people carry is left out.
    """
    from evaluation.sources import known_variants, load_preprints, load_published
    from indexer.merge.people import PersonIndex
    from indexer.merge.text import name_key

    by_name = PersonIndex(load_published(settings.data_dir), known_variants(settings.data_dir)).by_name
    return coauthors_by_unique_names(load_preprints(settings.arxiv_dir), by_name, name_key, cutoff, until)


def coauthors_by_unique_names(records: Iterable[Mapping[str, Any]], by_name: Mapping[str, set[str]], key,
                              cutoff: int, until: int | None = None) -> dict[str, set[str]]:
    """{person id: co-author ids} on the records after `cutoff` (up to `until`), an author
    counted as the person `by_name[key(name)]` only when that is exactly one person."""
    out: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if record["year"] <= cutoff or (until is not None and record["year"] > until):
            continue
        owners = (by_name.get(key(a["as_written"] or a["name"])) or set() for a in record["authors"])
        ids = list(dict.fromkeys(next(iter(o)) for o in owners if len(o) == 1))
        for a in ids:
            out[a].update(b for b in ids if b != a)
    return out


def coauthors_after(settings: Settings, cutoff: int, until: int | None, truth: str = "anthology",
                    files: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Who wrote with whom after the cutoff, by the papers of one source ("anthology" or "arxiv")."""
    if truth == "arxiv":
        return arxiv_coauthors_after(settings, cutoff, until)
    return post_cutoff_coauthors(settings.data_dir, cutoff, files, until=until)


def new_in_both(pool: Mapping[str, set[str]], other: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The researchers and new co-authors that are new in both of two indexes, so that two
    builds (one source, two sources) are judged on the same people and the same pairs."""
    both = {rid: pool[rid] & other[rid] for rid in pool.keys() & other.keys()}
    return {rid: new for rid, new in both.items() if new}


def eligible(client, settings: Settings, future: Mapping[str, set[str]], min_works: int = 2
             ) -> dict[str, set[str]]:
    """{researcher id: new co-authors after the cutoff who are in the index}."""
    people: dict[str, tuple[int, list[str]]] = {}
    body = {"_source": ["works_count", "collaborator_ids"], "query": {"match_all": {}}}
    for hit in scroll(client, settings.alias("researchers"), body):
        src = hit["_source"]
        people[hit["_id"]] = (int(src.get("works_count") or 0), src.get("collaborator_ids") or [])
    out = {}
    for rid, (works, known) in people.items():
        if works < min_works or rid not in future:
            continue
        new = {c for c in future[rid] if c in people} - set(known) - {rid}
        if new:
            out[rid] = new
    return out


def rankings_for(client, settings: Settings, rid: str, features: bool = False) -> dict[str, Any]:
    """The product's candidate lists for `rid` (and, with `features`, every candidate with
    its feature row, as the learned ranker sees them)."""
    found = recommend.candidate_rankings(client, settings, rid, {}, WINDOW, features=features)
    out: dict[str, Any] = {"rankings": {name: list(ids) for name, ids in found["rankings"].items()}}
    if features:
        out["candidates"], out["features"] = found["candidates"], found["features"]
    return out


def variant_lists(run: Mapping[str, Any], model: learned.Ranker | None = None,
                  weights: Mapping[str, float] = recommend.WEIGHTS) -> dict[str, list[str]]:
    rankings = run["rankings"]
    out = {
        "fused": [c for c, _ in recommend.fuse_rankings(rankings, K, weights)],
        "graph": rankings.get("graph", [])[:K],
        "adamic_adar": rankings.get("adamic_adar", [])[:K],
        "embedding": rankings.get("content", [])[:K],
        "topics": rankings.get("topics", [])[:K],
    }
    if model is not None:
        out["learned"] = [c for c, _, _ in recommend.rank_learned(model, run["candidates"], run["features"], K)]
    return out


def per_seed(runs: list[dict[str, Any]], model: learned.Ranker | None = None,
             weights: Mapping[str, float] = recommend.WEIGHTS) -> dict[str, dict[str, list[float]]]:
    """{variant: {"recall@10", "mrr@10", "hit@10": [per seed]}}."""
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        truth = set(run["new"])
        for name, ranked in variant_lists(run, model, weights).items():
            per[name]["recall@10"].append(M.recall_at(ranked, truth, K))
            per[name]["mrr@10"].append(M.reciprocal_rank(ranked, truth, K))
            per[name]["hit@10"].append(M.success_at(ranked, truth, K))
            if ranked:  # people only a preprint names: an Anthology truth can never count them as found
                per[name]["arxiv_only"].append(sum(c.startswith(ARXIV_PERSON_PREFIX) for c in ranked) / len(ranked))
    return per


def score(runs: list[dict[str, Any]], model: learned.Ranker | None = None,
          weights: Mapping[str, float] = recommend.WEIGHTS, per: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Mean scores per variant, each variant's Recall@10 over plain Adamic-Adar's, and the
    product's paired Recall@10 differences (with 95 % half-widths) to Adamic-Adar and to
    the better single list. `per`: the runs' `per_seed` scores when the caller has them."""
    per = per if per is not None else per_seed(runs, model, weights)
    out: dict[str, Any] = {"variants": {v: {m: M.mean(xs) for m, xs in per[v].items()} for v in VARIANTS if v in per}}
    base = out["variants"][BASELINE]["recall@10"]
    for v, sc in out["variants"].items():
        sc["x_adamic_adar"] = M.ratio(sc["recall@10"], base)
    product = "learned" if model is not None else "fused"
    singles = [v for v in ("graph", "adamic_adar", "embedding", "topics") if v in per]
    best = max(singles, key=lambda v: out["variants"][v]["recall@10"])
    out["product"], out["better_single"] = product, best
    out["vs_adamic_adar"] = M.paired_difference(per[product]["recall@10"], per[BASELINE]["recall@10"])
    out["vs_better_single"] = M.paired_difference(per[product]["recall@10"], per[best]["recall@10"])
    if model is not None:
        out["vs_fused"] = M.paired_difference(per["learned"]["recall@10"], per["fused"]["recall@10"])
    shares = per[product].get("arxiv_only")
    out["arxiv_only_share"] = M.mean(shares) if shares else 0.0
    return out


def versus(runs: list[dict[str, Any]], here: Mapping[str, Any], other_runs: list[dict[str, Any]],
           there: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The same seeds ranked on two builds (`here`, `there`: their `per_seed` scores):
    {variant: {metric: (mean here, mean there, paired difference, its 95 % half-width)}}
    for the variants both have."""
    if [r["id"] for r in runs] != [r["id"] for r in other_runs]:
        raise ValueError("two builds are compared on the same seeds, in the same order")
    return {v: {m: (M.mean(here[v][m]), M.mean(there[v][m]), *M.paired_difference(here[v][m], there[v][m]))
                for m in ("recall@10", "mrr@10")}
            for v in VARIANTS if v in here and v in there}


def request_times(client, settings: Settings, ids: list[str]) -> dict[str, dict[str, float]]:
    """Time of the product's whole recommendation (every engine call and the ranking, as a
    web process makes it, size 10) per researcher, in ms: with RRF (the product without a
    ranker) and with the stored ranker, interleaved so that both see the same load."""
    with_ranker = recommend.load_ranker(client, settings) is not None
    times: dict[str, list[float]] = defaultdict(list)
    for rid in ids:
        for name, use in (("rrf", False), ("learned", True)):
            if use and not with_ranker:
                continue
            started = time.perf_counter()
            recommend.recommend_collaborators(client, settings, rid, {"size": K}, use_ranker=use)
            times[name].append((time.perf_counter() - started) * 1000)
    out = {}
    for name, xs in times.items():
        xs.sort()
        out[name] = {"n": len(xs), "p50": xs[len(xs) // 2], "p95": xs[min(len(xs) - 1, int(len(xs) * 0.95))]}
    return out


def run(settings: Settings, cutoff: int, n: int = 500, seed: int = 0, min_works: int = 2,
        files: Iterable[str] | None = None, dump: Path | None = None, horizon: int | None = None,
        samples: int = 2, timed: int = 100, truth: str = "anthology",
        also_new_in: Settings | None = None) -> dict[str, Any]:
    """Scores on `samples` disjoint samples of researchers outside the tuning split.

    `truth`: whose papers after the cutoff say who wrote together ("anthology": its
    records; "arxiv": the listings, `arxiv_coauthors_after`). With `also_new_in`, only the
    researchers and pairs new in that index as well (`new_in_both`), and every sample's
    seeds ranked on that index too (`versus`: what the difference of the builds changed)."""
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    model = recommend.load_ranker(client, settings)
    until = cutoff + horizon if horizon else None
    future = coauthors_after(settings, cutoff, until, truth, files)
    pool = eligible(client, settings, future, min_works)
    if also_new_in is not None:
        other_client = client_for(also_new_in)
        ensure_vectors_readable(other_client, also_new_in)
        other_model = recommend.load_ranker(other_client, also_new_in)
        pool = new_in_both(pool, eligible(other_client, also_new_in, future, min_works))
    out: dict[str, Any] = {"eligible": len(pool), "model": model.meta if model else None, "truth": truth,
                           "samples": []}

    def ranked(on, where: Settings, with_model, chosen) -> list[dict[str, Any]]:
        return [{"id": rid, "new": sorted(pool[rid]), **rankings_for(on, where, rid, features=with_model is not None)}
                for rid in chosen]

    for i, chosen in enumerate(held_out_samples(list(pool), n, samples, seed), start=1):
        runs = ranked(client, settings, model, chosen)
        if dump:
            dump.parent.mkdir(parents=True, exist_ok=True)
            (dump.parent / f"{dump.stem}-{i}.jsonl").write_text("\n".join(json.dumps(r) for r in runs) + "\n")
        per = per_seed(runs, model)  # the learned lists are ranked once, for the scores and the comparison
        sample = {"seeds": len(runs), "scores": score(runs, model, per=per),
                  "latency_ms": request_times(client, settings, chosen[:timed]) if timed else {}}
        if also_new_in is not None:
            other_runs = ranked(other_client, also_new_in, other_model, chosen)
            sample["versus"] = versus(runs, per, other_runs, per_seed(other_runs, other_model))
        out["samples"].append(sample)
    return out


# ---- training on the project's own past -------------------------------------------------

def training_rows(client, settings: Settings, pool: Mapping[str, set[str]], seeds: list[str]
                  ) -> list[dict[str, Any]]:
    """Per training seed: its candidates, their feature rows and which became co-authors."""
    rows = []
    for rid in seeds:
        found = rankings_for(client, settings, rid, features=True)
        new = pool[rid]
        rows.append({"id": rid, "new": sorted(new), **found,
                     "labels": [1 if c in new else 0 for c in found["candidates"]]})
    return rows


NEGATIVES_KEPT = 0.25  # share of the candidates that did not become co-authors kept for fitting


def recall_weights(rows: list[dict[str, Any]]):
    """One weight per candidate of `rows`, as Recall@10 counts them: a new co-author of a
    seed weighs 1 / (the seed's new co-authors, found or not), the seed's other candidates
    1 / (its candidates). Weighting every candidate of a seed alike let the seeds with dozens of
    new co-authors (one large paper) set the ranking (docs/EVALUATION.md, collaborators)."""
    import numpy as np

    parts = []
    for r in rows:
        labels = np.asarray(r["labels"])
        new = len(r.get("new") or ()) or max(1, int(labels.sum()))
        parts.append(np.where(labels == 1, 1.0 / new, 1.0 / max(1, len(labels))))
    return np.concatenate(parts) if parts else np.zeros(0)


def fit(rows: list[dict[str, Any]], kind: str = "trees", random_state: int = 0) -> learned.Ranker:
    """A ranker fitted on the candidates of `rows`, weighted as Recall@10 counts them: each
    new co-author of a seed weighs 1 / (the seed's new co-authors), the candidates that did
    not become co-authors share a weight of 1 per seed (a fixed share of them is kept,
    weighted up, so that fitting takes seconds)."""
    import numpy as np

    rows = [r for r in rows if r["candidates"]]
    X = np.asarray([f for r in rows for f in r["features"]], dtype=np.float64)
    y = np.asarray([lab for r in rows for lab in r["labels"]])
    w = recall_weights(rows)
    keep = (y == 1) | (np.random.default_rng(random_state).random(len(y)) < NEGATIVES_KEPT)
    w = np.where(y == 1, 1.0, 1.0 / NEGATIVES_KEPT) * w
    X, y, w = X[keep], y[keep], w[keep]
    w = w / w.mean()
    reference = [float(v) for v in np.nanmedian(X, axis=0)]
    features = list(CQ.FEATURES)
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        filled = np.where(np.isnan(X), np.asarray(reference), X)
        mean, scale = filled.mean(axis=0), filled.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(max_iter=5000, C=1.0).fit((filled - mean) / scale, y, sample_weight=w)
        params = {"mean": mean.tolist(), "scale": scale.tolist(), "coef": lr.coef_[0].tolist(),
                  "intercept": float(lr.intercept_[0])}
    elif kind == "trees":
        from sklearn.ensemble import HistGradientBoostingClassifier

        hgb = HistGradientBoostingClassifier(max_iter=TREES, learning_rate=0.05, max_leaf_nodes=LEAVES,
                                             min_samples_leaf=50, l2_regularization=1.0,
                                             random_state=random_state).fit(X, y, sample_weight=w)
        params = export_trees(hgb)
    else:
        raise ValueError(f"unknown ranker kind {kind!r}")
    return learned.Ranker(kind=kind, features=features, reference=reference, params=params)


TREES, LEAVES = 80, 7


def export_trees(hgb) -> dict[str, Any]:
    """A fitted HistGradientBoostingClassifier as plain arrays (search.ranker "trees")."""
    trees = []
    for (predictor,) in hgb._predictors:  # one tree per iteration (binary classification)
        nodes = predictor.nodes
        trees.append({"feature": nodes["feature_idx"].tolist(), "threshold": nodes["num_threshold"].tolist(),
                      "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                      "missing_left": nodes["missing_go_to_left"].astype(int).tolist(),
                      "leaf": nodes["is_leaf"].astype(int).tolist(), "value": nodes["value"].tolist()})
    return {"baseline": float(hgb._baseline_prediction.ravel()[0]), "trees": trees}


def train(settings: Settings, cutoff: int, horizon: int, n: int = 3000, seed: int = 0, min_works: int = 2,
          kind: str = "trees", validate: float = 0.2) -> tuple[learned.Ranker, dict[str, Any]]:
    """Fit the ranker on the index of `settings` (works up to `cutoff`) against the new
    co-authors of the `horizon` years after it, on researchers of the tuning split; report
    each kind on the last `validate` share of those seeds (fitted without them), then fit
    the chosen kind on all of them."""
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    future = post_cutoff_coauthors(settings.data_dir, cutoff, until=cutoff + horizon)
    pool = eligible(client, settings, future, min_works)
    seeds = tuning_sample(list(pool), n, seed)
    rows = training_rows(client, settings, pool, seeds)
    cut = int(len(rows) * (1 - validate))
    report: dict[str, Any] = {"eligible": len(pool), "seeds": len(rows), "validation_seeds": len(rows) - cut,
                              "candidates": sum(len(r["candidates"]) for r in rows),
                              "positives": sum(sum(r["labels"]) for r in rows), "validation": {}}
    for k in ("trees", "logistic"):
        model = fit(rows[:cut], k)
        report["validation"][k] = score(rows[cut:], model)["variants"]
    model = fit(rows, kind)
    physical = client.indices.get_alias(name=settings.alias("researchers"))
    model.meta = {"trained_on": sorted(physical)[-1], "cutoff": cutoff, "horizon_years": horizon,
                  "seeds": len(rows), "split": "tuning (sha1(id) % 4 == 0)", "kind": kind,
                  "trained": time.strftime("%Y-%m-%d"), "python": platform.python_version()}
    return model, report


def store(settings: Settings, model: learned.Ranker) -> str:
    """Keep `model` with the researchers index of `settings` (where the app finds it)."""
    return learned.store(client_for(settings), settings, "researchers", recommend.RANKER, model)
