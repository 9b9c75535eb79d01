"""Research-graph slices: a node and its nearby papers, people, topics and institutions.

Each slice costs one msearch (a paper's slice also asks the similar-works
service) and is capped per kind of neighbour, so a prolific author's slice
costs the same as anyone's. Node ids carry their kind ("r:" researcher,
"w:" work, "t:" topic id, "i:" institution name) so that a client can merge
the slices it expands into one graph.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from domain.collaborators import closest
from peerscope.config import Settings
from search import results as R
from search import similar
from search.errors import NotFound
from search.queries.listings import MOST_WORKS, NEWEST, listing, works_by_topic
from search.queries.works import by_version_body, topic_clause, visible
from search.results import multi_search

KINDS = {"r": "researcher", "w": "work", "t": "topic", "i": "institution"}
PREFIX = {kind: p for p, kind in KINDS.items()}
DEFAULT_LIMIT, MAX_LIMIT = 8, 25
MAX_INSTITUTIONS = 3
RESEARCHER_SOURCE = ["id", "name", "works_count", "topics", "topic_labels", "collaborators",
                     "current_affiliation", "affiliations.name"]
PERSON_SOURCE = ["id", "name", "works_count", "topics", "topic_labels"]
WORK_SOURCE = ["id", "title", "year", "author_ids", "authors.id", "authors.name", "authors.affiliation",
               "topics", "topic_labels", "affiliations"]


def node_id(kind: str, key: str) -> str:
    return f"{PREFIX[kind]}:{key}"


def parse_node(value: str) -> tuple[str, str]:
    """"r:shengding-hu" -> ("researcher", "shengding-hu"); ValueError when malformed."""
    prefix, _, key = (value or "").partition(":")
    if prefix not in KINDS or not key.strip():
        raise ValueError("a node is written kind:key, with kind one of r, w, t, i")
    return KINDS[prefix], key.strip()


@dataclass
class Slice:
    center: str
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: dict[str, dict] = field(default_factory=dict)

    def node(self, kind: str, key: str, label: str | None, **extra: Any) -> str:
        nid = node_id(kind, key)
        if nid not in self.nodes:
            self.nodes[nid] = {"id": nid, "kind": kind, "key": key, "label": label or key, **extra}
        return nid

    def edge(self, a: str, b: str, kind: str, weight: float = 1.0) -> None:
        if a == b:
            return
        src, dst = sorted((a, b))
        self.edges.setdefault(f"{src}|{dst}", {"id": f"{src}|{dst}", "source": src, "target": dst,
                                               "kind": kind, "weight": weight})

    def has(self, kind: str, key: str) -> bool:
        return node_id(kind, key) in self.nodes

    def as_dict(self) -> dict:
        return {"center": self.center, "nodes": list(self.nodes.values()),
                "edges": list(self.edges.values())}


def topic_pairs(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(topic id, label) pairs from the parallel `topics` / `topic_labels` arrays."""
    ids = doc.get("topics") or []
    labels = doc.get("topic_labels") or []
    return [(t, labels[i] if i < len(labels) else t) for i, t in enumerate(ids)]


def _add_work(s: Slice, w: Mapping[str, Any], link_to: str | None = None) -> str:
    """A work node, linked to `link_to` and to whichever of its authors/topics are present."""
    wid = s.node("work", w["id"], w.get("title"), year=w.get("year"))
    if link_to:
        s.edge(link_to, wid, "similar" if link_to.startswith("w:") else
               "topic" if link_to.startswith("t:") else
               "affiliation" if link_to.startswith("i:") else "authored")
    for a in w.get("author_ids") or []:
        if s.has("researcher", a):
            s.edge(wid, node_id("researcher", a), "authored")
    for tid, _ in topic_pairs(w):
        if s.has("topic", tid):
            s.edge(wid, node_id("topic", tid), "topic")
    return wid


def _link_topics_and_institutions(s: Slice, me: str, topics: list[tuple[str, str]], institutions: list) -> None:
    """Edges from `me` to its topics and to its first MAX_INSTITUTIONS distinct institutions."""
    for tid, label in topics:
        s.edge(me, s.node("topic", tid, label), "topic")
    for name in list(dict.fromkeys(n for n in institutions if n))[:MAX_INSTITUTIONS]:
        s.edge(me, s.node("institution", name, name), "affiliation")


def _add_person(s: Slice, p: Mapping[str, Any], link_to: str, kind: str) -> str:
    rid = s.node("researcher", p["id"], p.get("name"), works_count=p.get("works_count"))
    s.edge(link_to, rid, kind)
    return rid


def researcher_slice(client: OpenSearch, settings: Settings, rid: str,
                     limit: int = DEFAULT_LIMIT) -> dict:
    """The researcher, their newest works, closest co-authors, topics and institutions."""
    people, works = multi_search(client, [
        (settings.alias("researchers"),
         listing([{"ids": {"values": [rid]}}], RESEARCHER_SOURCE, 1, MOST_WORKS)),
        (settings.alias("works"),
         listing([visible([{"term": {"author_ids": rid}}])], WORK_SOURCE, limit, NEWEST)),
    ])
    found = R.hits(people)
    if not found:
        raise NotFound("researcher", rid)
    doc = found[0]["_source"]
    s = Slice(node_id("researcher", rid))
    me = s.node("researcher", rid, doc.get("name"), works_count=doc.get("works_count"))
    for c in closest(doc.get("collaborators") or [], limit):
        s.edge(me, s.node("researcher", c["id"], c.get("name")), "co-author", c.get("count") or 1)
    _link_topics_and_institutions(s, me, topic_pairs(doc)[:limit], [
        doc.get("current_affiliation"), *(a.get("name") for a in doc.get("affiliations") or [])])
    for hit in R.hits(works):
        _add_work(s, hit["_source"], me)
    return s.as_dict()


def work_slice(client: OpenSearch, settings: Settings, wid: str, limit: int = DEFAULT_LIMIT) -> dict:
    """The paper (by its id or the id of any of its versions), its authors, topics and
    institutions, and the papers most similar to it."""
    hit = R.fetch_version(client, settings.alias("works"), "work", wid,
                          by_version_body(wid, [*WORK_SOURCE, "version_ids"]))
    w, wid = hit["_source"], hit["_id"]
    s = Slice(node_id("work", wid))
    me = s.node("work", wid, w.get("title"), year=w.get("year"))
    for a in (w.get("authors") or [])[:limit * 2]:
        if a.get("id"):
            s.edge(me, s.node("researcher", a["id"], a.get("name")), "authored")
    _link_topics_and_institutions(s, me, topic_pairs(w), [
        *(w.get("affiliations") or []), *(a.get("affiliation") for a in w.get("authors") or [])])
    near = similar.similar_to_work(client, settings, wid, {"size": max(3, limit // 2)})
    for other in near.results:
        _add_work(s, {**other, "author_ids": [a.get("id") for a in other.get("authors") or []]}, me)
    return s.as_dict()


def topic_slice(client: OpenSearch, settings: Settings, topic: str, limit: int = DEFAULT_LIMIT) -> dict:
    """The people with most works on a topic and its newest papers."""
    people, works = multi_search(client, [
        (settings.alias("researchers"), listing([topic_clause(topic)], PERSON_SOURCE, limit, MOST_WORKS)),
        (settings.alias("works"), works_by_topic(topic, WORK_SOURCE, limit)),
    ])
    hits = R.hits(people) + R.hits(works)
    labels = {t: label for h in hits for t, label in topic_pairs(h["_source"])}
    ids = {label: t for t, label in labels.items()}
    tid = topic if topic in labels else ids.get(topic)
    if tid is None:
        raise NotFound("topic", topic)
    s = Slice(node_id("topic", tid))
    me = s.node("topic", tid, labels[tid])
    for h in R.hits(people):
        _add_person(s, h["_source"], me, "topic")
    for h in R.hits(works):
        _add_work(s, h["_source"], me)
    return s.as_dict()


def institution_slice(client: OpenSearch, settings: Settings, name: str,
                      limit: int = DEFAULT_LIMIT) -> dict:
    """The people affiliated with an institution (most works first) and its newest papers."""
    affiliated = {"bool": {"should": [{"term": {"current_affiliation.raw": name}},
                                      {"term": {"affiliations.name.raw": name}}],
                           "minimum_should_match": 1}}
    people, works = multi_search(client, [
        (settings.alias("researchers"), listing([affiliated], PERSON_SOURCE, limit, MOST_WORKS)),
        (settings.alias("works"),
         listing([visible([{"term": {"affiliations": name}}])], WORK_SOURCE, limit, NEWEST)),
    ])
    if not R.hits(people) and not R.hits(works):
        raise NotFound("institution", name)
    s = Slice(node_id("institution", name))
    me = s.node("institution", name, name)
    for h in R.hits(people):
        _add_person(s, h["_source"], me, "affiliation")
    for h in R.hits(works):
        _add_work(s, h["_source"], me)
    return s.as_dict()


BUILDERS = {"researcher": researcher_slice, "work": work_slice, "topic": topic_slice,
            "institution": institution_slice}


def build(client: OpenSearch, settings: Settings, kind: str, key: str,
          limit: int = DEFAULT_LIMIT) -> dict:
    return BUILDERS[kind](client, settings, key, max(1, min(limit, MAX_LIMIT)))
