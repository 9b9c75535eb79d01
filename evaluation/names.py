"""Researcher search, judged by known-item queries built from real names.

From a deterministic sample of researchers in the index, each name yields queries
the way people type them: exact, one typo (one edit in the longest name word,
never its first letter), a typo in the first two letters of the first name
("aKnika Kalra"), two neighbouring letters swapped anywhere ("Shegnding Hu"),
initials ("S. Hu"), reordered ("Hu Shengding"), an unfinished last name
("Shengding H"), and, for names with accents, the name without diacritics. The
target is the researcher, or any homonym (same folded full name), since no search
can tell those apart from the name alone.

Systems: the product's researcher search (`search.queries.researchers.search_body`,
the ranking of `search.researchers.search_researchers`), and two baselines: a plain
match on `name`, and the same match with fuzziness AUTO. Two disjoint samples of
researchers are scored in one run; the product's engine time is measured one query
at a time, as the web process sends them.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from domain.names import fold, strip_accents
from peerscope.config import Settings
from search import results as R
from search.queries import researchers as Q
from evaluation import metrics as M
from evaluation.common import client_for, disjoint_samples, ensure_vectors_readable, scroll

K = 10
KINDS = ("exact", "typo", "typo_start", "transposition", "initials", "reordered", "prefix", "no_diacritics")
SYSTEMS = ("product", "match", "fuzzy")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
BATCH = 50
MIN_TYPO_LENGTH = 4  # a shorter word with an edit is another name (fuzziness AUTO allows none below 3)
TIMED = 200  # product queries timed one at a time


def one_edit(word: str, rng: random.Random) -> str:
    """`word` with one substitution, deletion, insertion or transposition after its first letter."""
    i = rng.randrange(1, len(word))
    op = rng.choice(("sub", "del", "ins", "swap") if i < len(word) - 1 else ("sub", "del", "ins"))
    return _edit(word, i, op, rng)


def _edit(word: str, i: int, op: str, rng: random.Random) -> str:
    if op == "sub":
        c = rng.choice([x for x in _LETTERS if x != word[i].lower()])
        return word[:i] + c + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "ins":
        return word[:i] + rng.choice(_LETTERS) + word[i:]
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return swapped if swapped != word else word[:i] + word[i + 1:]  # "ll" swapped is no typo


def start_edit(word: str, rng: random.Random) -> str:
    """`word` with one edit in its first two letters ("Kanika" -> "aKnika", "Xanika", "anika")."""
    i = rng.randrange(0, 2)
    return _edit(word, i, rng.choice(("sub", "del", "ins", "swap")), rng)


def transposition(word: str, rng: random.Random) -> str | None:
    """`word` with two different neighbouring letters swapped, anywhere; None if all are alike."""
    places = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
    if not places:
        return None
    i = rng.choice(places)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def queries_for(person: Mapping[str, Any], seed: int = 0) -> dict[str, str]:
    """{kind: query} for one researcher (kinds that do not apply are left out)."""
    first, last = (person.get("first_name") or "").strip(), (person.get("last_name") or "").strip()
    if not first or not last:
        return {}
    rng = random.Random(f"{seed}:{person['id']}")
    name = f"{first} {last}"
    out = {"exact": name, "reordered": f"{last} {first}"}
    words = name.split()
    longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
    if len(words[longest]) >= MIN_TYPO_LENGTH:
        out["typo"] = " ".join(one_edit(w, rng) if i == longest else w for i, w in enumerate(words))
    if first[0].isalpha():
        out["initials"] = f"{first[0].upper()}. {last}"
    if len(last) >= 4:
        out["prefix"] = f"{first} {last[:max(2, math.ceil(len(last) / 2))]}"
    plain = strip_accents(name)
    if plain != name:
        out["no_diacritics"] = plain
    # kinds added later draw from their own generators, so the earlier queries stay the same
    start_rng = random.Random(f"{seed}:{person['id']}:start")
    if len(words[0]) >= MIN_TYPO_LENGTH:
        out["typo_start"] = " ".join([start_edit(words[0], start_rng), *words[1:]])
    swap_rng = random.Random(f"{seed}:{person['id']}:swap")
    long_words = [i for i, w in enumerate(words) if len(w) >= MIN_TYPO_LENGTH]
    if long_words:
        at = swap_rng.choice(long_words)
        swapped = transposition(words[at], swap_rng)
        if swapped:
            out["transposition"] = " ".join(swapped if i == at else w for i, w in enumerate(words))
    return out


def product_body(q: str) -> dict:
    body = Q.search_body(q, {}, size=K, facets=False)
    body["track_total_hits"] = False
    body["_source"] = False
    return body


def baseline_body(q: str, fuzzy: bool) -> dict:
    match: dict[str, Any] = {"query": q}
    if fuzzy:
        match["fuzziness"] = "AUTO"
    return {"size": K, "_source": False, "query": {"match": {"name": match}},
            "sort": [{"_score": "desc"}, {"id": "asc"}]}


def load_people(client, settings: Settings) -> list[dict]:
    body = {"_source": ["id", "name", "first_name", "last_name", "works_count"], "query": {"match_all": {}}}
    return [{**h["_source"], "id": h["_id"]} for h in scroll(client, settings.alias("researchers"), body)]


def _ranked(client, index: str, bodies: list[dict]) -> list[list[str]]:
    out = []
    for i in range(0, len(bodies), BATCH):
        out += [[h["_id"] for h in R.hits(r)] for r in R.msearch(client, index, bodies[i:i + BATCH])]
    return out


Case = tuple[str, str, set[str]]  # (kind, query, relevant ids)


def cases_for(sample: Iterable[str], accented: Iterable[str], by_id: Mapping[str, dict],
              by_name: Mapping[str, set[str]], seed: int) -> list[Case]:
    """Every kind but no_diacritics from `sample`; no_diacritics from the `accented` sample."""
    cases: list[Case] = []
    for pid in sample:
        qs = queries_for(by_id[pid], seed)
        cases += [(k, qs[k], by_name[fold(by_id[pid]["name"])]) for k in KINDS if k in qs and k != "no_diacritics"]
    for pid in accented:
        qs = queries_for(by_id[pid], seed)
        if "no_diacritics" in qs:
            cases.append(("no_diacritics", qs["no_diacritics"], by_name[fold(by_id[pid]["name"])]))
    return cases


def initials_ceiling(sample: Iterable[str], people: Iterable[Mapping[str, Any]],
                     by_id: Mapping[str, dict]) -> float:
    """The best MRR@10 any ranking by the name alone can reach on the initials queries of
    `sample`: "J. Lee" names every J* Lee, and a sampled researcher is any of them. With
    the target drawn uniformly, the best a fixed order can do is to rank the names shared
    by most people first; this is that order's expected MRR (ties in random order)."""
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def key(p: Mapping[str, Any]) -> tuple[str, str] | None:
        first, last = fold(p.get("first_name") or "").strip(), fold(p.get("last_name") or "").strip()
        return (first[0], last) if first and last else None

    for p in people:
        if (k := key(p)) is not None:
            groups[k][fold(p.get("name") or "")] += 1
    rrs = []
    for pid in sample:
        p = by_id[pid]
        if (k := key(p)) is None or not (p.get("first_name") or "").strip()[0].isalpha():
            continue
        sizes = groups[k]
        mine = sizes[fold(p.get("name") or "")]
        bigger = sum(1 for n in sizes.values() if n > mine)
        ties = sum(1 for n in sizes.values() if n == mine)
        rrs.append(sum(1 / (bigger + u) for u in range(1, ties + 1) if bigger + u <= K) / ties)
    return M.mean(rrs)


def engine_times(client, index: str, queries: Iterable[str]) -> dict[str, float]:
    """The engine's time (`took`, ms) of the product's search as the web process sends it (a
    page of 20 with facets and the total), one query at a time: p50, p95."""
    took = sorted(float(client.search(index=index, body=Q.search_body(q, {}))["took"]) for q in queries)
    if not took:
        return {}
    return {"n": len(took), "p50": took[len(took) // 2], "p95": took[min(len(took) - 1, int(len(took) * 0.95))]}


def run(settings: Settings, n: int = 300, seed: int = 0, samples: int = 2) -> dict[str, Any]:
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    index = settings.alias("researchers")
    people = load_people(client, settings)
    by_name: dict[str, set[str]] = defaultdict(set)
    for p in people:
        by_name[fold(p.get("name") or "")].add(p["id"])
    by_id = {p["id"]: p for p in people}
    bases = disjoint_samples([p["id"] for p in people], n, samples, seed)
    accented = disjoint_samples([p["id"] for p in people
                                 if strip_accents(p.get("name") or "") != (p.get("name") or "")], n, samples, seed)
    out: dict[str, Any] = {"people": len(people), "samples": []}
    for i, (base, acc) in enumerate(zip(bases, accented)):
        cases = cases_for(base, acc, by_id, by_name, seed)
        ranked = {
            "product": _ranked(client, index, [product_body(q) for _, q, _ in cases]),
            "match": _ranked(client, index, [baseline_body(q, False) for _, q, _ in cases]),
            "fuzzy": _ranked(client, index, [baseline_body(q, True) for _, q, _ in cases]),
        }
        timed = random.Random(f"{seed}:{i}:timed").sample([q for _, q, _ in cases], min(TIMED, len(cases)))
        out["samples"].append({"researchers": len(base), "queries": len(cases), "scores": score(cases, ranked),
                               "initials_ceiling": initials_ceiling(base, people, by_id),
                               "latency_ms": engine_times(client, index, timed),
                               "misses": _misses(cases, ranked["product"])})
    return out


def _per_query(cases: list[Case], ranked: Mapping[str, list[list[str]]], idx: list[int]
               ) -> dict[str, dict[str, list[float]]]:
    return {s: {"mrr@10": [M.reciprocal_rank(ranked[s][i], cases[i][2], K) for i in idx],
                "s@1": [M.success_at(ranked[s][i], cases[i][2], 1) for i in idx]} for s in SYSTEMS}


def score(cases: list[Case], ranked: Mapping[str, list[list[str]]]) -> dict[str, dict[str, Any]]:
    """{kind or "all": {system: {"mrr@10", "s@1", "n"}, "vs_best": (mean, ±95 %)}}: "vs_best"
    is the product's MRR@10 minus that of the better baseline on the kind, paired by query."""
    out: dict[str, dict[str, Any]] = {}
    for kind in (*KINDS, "all"):
        idx = [i for i, c in enumerate(cases) if kind in ("all", c[0])]
        if not idx:
            continue
        per = _per_query(cases, ranked, idx)
        entry: dict[str, Any] = {s: {m: M.mean(v) for m, v in per[s].items()} | {"n": len(idx)} for s in SYSTEMS}
        best = max(SYSTEMS[1:], key=lambda s: entry[s]["mrr@10"])
        entry["best_baseline"] = best
        entry["vs_best"] = M.paired_difference(per["product"]["mrr@10"], per[best]["mrr@10"])
        out[kind] = entry
    return out


def _misses(cases: Iterable[Case], ranked: list[list[str]], limit: int = 15) -> list[str]:
    """A few product failures at rank 1, for reading."""
    out = []
    for (kind, q, rel), r in zip(cases, ranked):
        if not (r and r[0] in rel):
            out.append(f"{kind}: {q!r} -> {r[:3]} (want {sorted(rel)[:2]})")
    return out[:limit]
