"""Researcher search, judged by known-item queries built from real names.

From a deterministic sample of researchers in the index, each name yields queries
the way people type them: exact, one typo (one edit in the longest name word,
never its first letter), initials ("S. Hu"), reordered ("Hu Shengding"), an
unfinished last name ("Shengding H"), and, for names with accents, the name
without diacritics. The target is the researcher, or any homonym (same folded
full name), since no search can tell those apart from the name alone.

Systems: the product's researcher search (`search.queries.researchers.search_body`,
the ranking of `search.researchers.search_researchers`), and two baselines: a plain
match on `name`, and the same match with fuzziness AUTO.
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
from evaluation.common import client_for, ensure_vectors_readable, deterministic_sample, scroll

K = 10
KINDS = ("exact", "typo", "initials", "reordered", "prefix", "no_diacritics")
SYSTEMS = ("product", "match", "fuzzy")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
BATCH = 50


def one_edit(word: str, rng: random.Random) -> str:
    """`word` with one substitution, deletion, insertion or transposition after its first letter."""
    i = rng.randrange(1, len(word))
    op = rng.choice(("sub", "del", "ins", "swap") if i < len(word) - 1 else ("sub", "del", "ins"))
    if op == "sub":
        c = rng.choice([x for x in _LETTERS if x != word[i].lower()])
        return word[:i] + c + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "ins":
        return word[:i] + rng.choice(_LETTERS) + word[i:]
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return swapped if swapped != word else word[:i] + word[i + 1:]  # "ll" swapped is no typo


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
    if len(words[longest]) >= 4:
        out["typo"] = " ".join(one_edit(w, rng) if i == longest else w for i, w in enumerate(words))
    if first[0].isalpha():
        out["initials"] = f"{first[0].upper()}. {last}"
    if len(last) >= 4:
        out["prefix"] = f"{first} {last[:max(2, math.ceil(len(last) / 2))]}"
    plain = strip_accents(name)
    if plain != name:
        out["no_diacritics"] = plain
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


def run(settings: Settings, n: int = 300, seed: int = 0) -> dict[str, Any]:
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    index = settings.alias("researchers")
    people = load_people(client, settings)
    by_name: dict[str, set[str]] = defaultdict(set)
    for p in people:
        by_name[fold(p.get("name") or "")].add(p["id"])
    by_id = {p["id"]: p for p in people}
    base = deterministic_sample([p["id"] for p in people], n, seed)
    accented = deterministic_sample([p["id"] for p in people
                                     if strip_accents(p.get("name") or "") != (p.get("name") or "")], n, seed)
    cases: list[tuple[str, str, set[str]]] = []  # (kind, query, relevant ids)
    for pid, kinds in ((pid, KINDS[:-1]) for pid in base):
        qs = queries_for(by_id[pid], seed)
        cases += [(k, qs[k], by_name[fold(by_id[pid]["name"])]) for k in kinds if k in qs]
    for pid in accented:
        qs = queries_for(by_id[pid], seed)
        if "no_diacritics" in qs:
            cases.append(("no_diacritics", qs["no_diacritics"], by_name[fold(by_id[pid]["name"])]))
    ranked = {
        "product": _ranked(client, index, [product_body(q) for _, q, _ in cases]),
        "match": _ranked(client, index, [baseline_body(q, False) for _, q, _ in cases]),
        "fuzzy": _ranked(client, index, [baseline_body(q, True) for _, q, _ in cases]),
    }
    return {"people": len(people), "queries": len(cases), "scores": score(cases, ranked),
            "misses": _misses(cases, ranked["product"])}


def score(cases: list[tuple[str, str, set[str]]], ranked: Mapping[str, list[list[str]]]
          ) -> dict[str, dict[str, dict[str, float]]]:
    """{kind: {system: {"mrr@10", "s@1", "n"}}}."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for kind in KINDS:
        idx = [i for i, c in enumerate(cases) if c[0] == kind]
        if not idx:
            continue
        out[kind] = {s: {"mrr@10": M.mean(M.reciprocal_rank(ranked[s][i], cases[i][2], K) for i in idx),
                         "s@1": M.mean(M.success_at(ranked[s][i], cases[i][2], 1) for i in idx),
                         "n": len(idx)} for s in SYSTEMS}
    return out


def _misses(cases: Iterable[tuple[str, str, set[str]]], ranked: list[list[str]], limit: int = 15) -> list[str]:
    """A few product failures at rank 1, for reading."""
    out = []
    for (kind, q, rel), r in zip(cases, ranked):
        if not (r and r[0] in rel):
            out.append(f"{kind}: {q!r} -> {r[:3]} (want {sorted(rel)[:2]})")
    return out[:limit]
