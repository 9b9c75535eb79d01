"""Request bodies for finding people: keyword search with facets, typeahead.

Pure functions: they build dicts and never call the engine. Field names
follow mappings/researchers-v1.json.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.names import citation_forms, name_tokens, split_initials

# What a result list shows; vectors and long arrays stay on the server.
LIST_SOURCE = ["id", "name", "current_affiliation", "works_count", "first_year", "last_year",
               "topic_labels", "orcid", "has_orcid", "venues", "collaborators_count", "trust.band"]
AUTOCOMPLETE_SOURCE = ["id", "name", "current_affiliation", "works_count"]
FACET_SIZE = 20
FACETS = {
    "topics": {"terms": {"field": "topic_labels.raw", "size": FACET_SIZE}},
    "affiliations": {"terms": {"field": "current_affiliation.raw", "size": FACET_SIZE}},
    "venues": {"terms": {"field": "venues", "size": FACET_SIZE}},
    "has_orcid": {"terms": {"field": "has_orcid", "size": 2}},
}

# "J. Lee": people whose citation form is exactly that (first initial J) rank above those
# with a J elsewhere in their given names ("Kathy J. Lee")
INITIALS_FORM_BOOST = 5.0


def _initials_clause(letters: list[str], words: list[str]) -> dict | None:
    """"S. Hu": an exact citation form, or a (fuzzy) last name whose first name
    starts with the first initial."""
    if not letters or not words:
        return None
    last = " ".join(words)
    return {"bool": {"should": [
        {"constant_score": {"filter": {"terms": {"initials": citation_forms(letters, last.lower())}},
                            "boost": INITIALS_FORM_BOOST}},
        {"bool": {"must": [{"match": {"last_name": {"query": last, "fuzziness": "AUTO",
                                                    "prefix_length": 1, "operator": "and"}}}],
                  "filter": [{"prefix": {"first_name": {"value": letters[0]}}}]}},
    ], "minimum_should_match": 1, "boost": 3.0}}


def _joined(text: str) -> str:
    return re.sub(r"[\s\-.'’]+", "", text)


def name_query(q: str) -> dict:
    """The relevance part of a researcher search for free text `q`.

    Clauses and why:
    - fuzzy match on name/variants, every word, in any order: typos anywhere, the first
      letters included ("aKnika Kalra", "Shegnding Hu");
    - cross_fields over first/last name: reordered names ("Hu Shengding");
    - name.joined with the tokens in both orders: spacing/hyphen variants
      ("Sheng-ding Hu", "HuShengding");
    - name.prefix: unfinished words ("Sheng Hu"); whole words then an unfinished last one
      ("David Loz");
    - last name + initials ("S. Hu");
    - any whole word of a name, low boost: a query in which one word names someone never
      comes back empty;
    - affiliation, topics, recent titles: people by what/where, lower boosts.
    Diacritics are folded by the analyzers on both sides.
    """
    letters, words = split_initials(q)
    tokens = name_tokens(q)
    should: list[dict] = [
        {"multi_match": {"query": q, "fields": ["name^4", "variants^3"], "type": "best_fields",
                         "operator": "and", "fuzziness": "AUTO", "prefix_length": 0,
                         "max_expansions": 20}},
        {"multi_match": {"query": q, "fields": ["first_name", "last_name"], "type": "cross_fields",
                         "operator": "and", "boost": 3.0}},
        {"multi_match": {"query": q, "fields": ["name.prefix^1.5", "variants.prefix"],
                         "type": "best_fields", "operator": "and"}},
    ]
    # Joined forms catch spacing and hyphen variants ("Sheng-ding Hu", "HuShengding"), in
    # both orders, with one edit: two-edit automata over long joined tokens cost about a
    # third of a whole search, and two-edit typos are caught word by word by the first
    # clause (measured: docs/EVALUATION.md, researcher search).
    forward, backward = _joined(q), _joined("".join(reversed(tokens)))
    for variant in dict.fromkeys((forward, backward)):
        if len(variant) >= 4:
            should.append({"multi_match": {"query": variant, "fields": ["name.joined^3", "variants.joined^2"],
                                           "fuzziness": 1, "prefix_length": 1}})
    # an unfinished last word ("David Loz"): the words before it whole, the last one a prefix
    # (edge n-grams, a term look-up)
    head, tail = tokens[:-1], tokens[-1:] if tokens else []
    if head and tail and len(_joined(tail[0])) >= 2:
        should.append({"dis_max": {"queries": [
            {"bool": {"must": [{"match": {field: {"query": " ".join(head), "operator": "and"}}},
                               {"match": {f"{field}.prefix": {"query": tail[0], "operator": "and"}}}],
                      "boost": boost}} for field, boost in (("name", 2.0), ("variants", 1.5))]}})
    # an unfinished last name ("Shengding H") is a prefix of the joined name: a cheap term range
    if len(forward) >= 4:
        should.append({"dis_max": {"queries": [{"prefix": {"name.joined": {"value": forward.lower(), "boost": 3.0}}},
                                               {"prefix": {"variants.joined": {"value": forward.lower(), "boost": 2.0}}}]}})
    initials = _initials_clause(letters, words)
    if initials:
        should.append(initials)
    should += [
        # any whole word of a name: a query with one word mangled beyond repair still finds
        # the people named by the others ("Kxnqa Kalra" lists the Kalras)
        {"multi_match": {"query": q, "fields": ["name", "variants"], "type": "best_fields",
                         "operator": "or", "boost": 0.5}},
        {"match": {"current_affiliation": {"query": q, "operator": "and", "boost": 0.8}}},
        {"match": {"affiliations.name": {"query": q, "operator": "and", "boost": 0.5}}},
        {"match": {"topic_labels": {"query": q, "boost": 0.6}}},
        {"match": {"recent_titles": {"query": q, "boost": 0.2}}},
    ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def with_activity_boost(query: dict) -> dict:
    """A mild prior for prolific people: adds log10(1 + works_count) to the score.

    Additive (boost_mode sum) so it breaks ties between equally good name
    matches without letting a prolific near-miss beat an exact match.
    """
    return {"function_score": {
        "query": query,
        "functions": [{"field_value_factor": {"field": "works_count", "modifier": "log1p",
                                              "factor": 1.0, "missing": 0}}],
        "score_mode": "sum", "boost_mode": "sum",
    }}


def researcher_filters(filters: Mapping[str, Any]) -> list[dict]:
    """Filter clauses for topic, affiliation, venue, active_since/until, has_orcid."""
    out: list[dict] = []
    if filters.get("topic"):
        t = filters["topic"]
        out.append({"bool": {"should": [{"term": {"topics": t}}, {"term": {"topic_labels.raw": t}}],
                             "minimum_should_match": 1}})
    if filters.get("affiliation"):
        a = filters["affiliation"]
        out.append({"bool": {"should": [
            {"term": {"current_affiliation.raw": a}},
            {"term": {"affiliations.name.raw": a}},
            {"match_phrase": {"affiliations.name": a}},
        ], "minimum_should_match": 1}})
    if filters.get("venue"):
        out.append({"term": {"venues": filters["venue"]}})
    if filters.get("active_since") is not None:
        out.append({"range": {"last_year": {"gte": filters["active_since"]}}})
    if filters.get("active_until") is not None:
        out.append({"range": {"first_year": {"lte": filters["active_until"]}}})
    if filters.get("has_orcid") is not None:
        out.append({"term": {"has_orcid": bool(filters["has_orcid"])}})
    return out


def search_body(q: str | None, filters: Mapping[str, Any] | None = None, *, page: int = 1,
                size: int = 20, search_after: list | None = None, facets: bool = True) -> dict:
    """Researcher search: relevance (+ activity prior), filters, facets.

    Sorted by score then id so that `search_after` cursors are stable. With a
    cursor, `from` is omitted (the cursor encodes the position).
    """
    q = (q or "").strip()
    base = name_query(q) if q else {"match_all": {}}
    query = {"bool": {"must": [with_activity_boost(base)],
                      "filter": researcher_filters(filters or {})}}
    body: dict[str, Any] = {
        "query": query,
        "size": size,
        "sort": [{"_score": "desc"}, {"works_count": {"order": "desc", "missing": "_last"}},
                 {"id": "asc"}],
        "track_total_hits": True,
        "_source": LIST_SOURCE,
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    else:
        body["from"] = (page - 1) * size
    if facets:
        body["aggs"] = FACETS
    return body


def autocomplete_body(q: str, size: int = 8) -> dict:
    """Typeahead on the edge-ngram subfields; exact name tokens rank first."""
    q = q.strip()
    return {
        "size": size,
        "_source": AUTOCOMPLETE_SOURCE,
        "track_total_hits": False,
        "query": with_activity_boost({"bool": {
            "must": [{"multi_match": {"query": q, "fields": ["name.prefix^2", "variants.prefix"],
                                      "type": "best_fields", "operator": "and"}}],
            "should": [{"match": {"name": {"query": q, "operator": "and", "boost": 2.0}}}],
        }}),
    }


def by_ids_body(ids: list[str], source: list[str] | bool = True,
                filters: list[dict] | None = None) -> dict:
    """Fetch researchers by id (optionally filtered) in one search call."""
    return {"size": len(ids), "_source": source,
            "query": {"bool": {"filter": [{"ids": {"values": list(ids)}}, *(filters or [])]}}}
