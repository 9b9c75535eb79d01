"""Document fingerprints and the diff a rebuild from a copy of the live index writes."""
from __future__ import annotations

import mappings
from indexer.write import Diff, content_hash


def test_fingerprint_is_stable_and_covers_the_vector():
    doc = {"id": "w1", "title": "T", "topics": ["a"], "embedding": [0.6, 0.8]}
    assert content_hash(doc) == content_hash(dict(reversed(list(doc.items()))))
    assert content_hash(doc) == content_hash({**doc, "content_hash": "old"})
    assert content_hash(doc) != content_hash({**doc, "embedding": [0.8, 0.6]})
    assert content_hash(doc) != content_hash({**doc, "title": "T2"})


def test_diff_writes_the_changed_keeps_the_equal_and_lists_the_gone():
    old = {"w1": content_hash({"id": "w1", "title": "A"}), "w2": "x", "w3": "y"}
    diff = Diff(old)
    same = {"id": "w1", "title": "A"}
    assert not diff.needs_write({**same, "content_hash": content_hash(same)})
    assert diff.needs_write({"id": "w2", "content_hash": "changed"})
    assert diff.needs_write({"id": "w4", "content_hash": "new"})
    assert diff.unchanged == 1 and diff.stale() == ["w3"]


def test_an_empty_index_needs_everything_written():
    diff = Diff({})
    assert diff.needs_write({"id": "w1", "content_hash": "h"}) and diff.stale() == []


def test_index_bodies_record_how_documents_are_fingerprinted():
    meta = mappings.load("works", 384)["mappings"]["_meta"]
    assert {k: v for k, v in meta.items() if k != "mapping"} == {"content_hash": mappings.CONTENT_HASH,
                                                                 "embedding_dims": 384}
    # and what fields the index has: one mapping more or less is another fingerprint
    body = mappings.load("works", 384)["mappings"]
    assert meta["mapping"] == mappings._fingerprint(body)
    body["properties"]["sources"] = {"type": "text"}
    assert mappings._fingerprint(body) != meta["mapping"]
    assert mappings.load("researchers", 384)["mappings"]["_meta"]["mapping"] != meta["mapping"]


def test_an_overlong_name_gives_a_short_stable_distinct_id():
    from domain.names import ID_SLUG_MAX, id_slug

    glued = "Xiangyu Kongand Xiaoxia Xingand Fan Wangand Suejin Hanand MinKyu Parkand " * 7  # one "author" of a listing
    slug = id_slug(glued)
    assert len(slug) <= ID_SLUG_MAX and slug == id_slug(glued) and slug != id_slug(glued + "x")
    assert slug.startswith("xiangyu-kongand-xiaoxia")
    assert id_slug("Shengding Hu") == "shengding-hu"
