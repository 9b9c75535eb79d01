"""The synthetic copies of bench/scaling.py: new ids everywhere, references kept inside a copy,
texts and vectors perturbed, copy 0 the base itself. Pure code."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.unit


def _base():
    rng = np.random.default_rng(0)

    def vec():
        v = rng.standard_normal(384).astype(np.float32)
        return v / np.linalg.norm(v)

    works = [{"id": f"w{i}", "title": "Neural parsing of long documents with attention", "abstract":
              "We parse documents and study attention over many sentences", "doi": f"10.1/{i}",
              "authors": [{"id": "ada-lovelace", "name": "Ada Lovelace"}, {"id": "alan-turing", "name": "Alan Turing"}],
              "author_ids": ["ada-lovelace", "alan-turing"], "embedding": vec(),
              "version_ids": [f"w{i}", f"arxiv:2501.{i:05d}"],
              "versions": [{"source": "acl", "id": f"w{i}"}, {"source": "arxiv", "id": f"arxiv:2501.{i:05d}"}]}
             for i in range(20)]
    people = [{"id": pid, "name": name, "last_name": name.split()[1], "variants": [name],
               "collaborators": [{"id": other, "name": "x", "count": 20}], "collaborator_ids": [other],
               "work_ids": [w["id"] for w in works], "recent_titles": [works[0]["title"]], "embedding": vec()}
              for pid, name, other in (("ada-lovelace", "Ada Lovelace", "alan-turing"),
                                       ("alan-turing", "Alan Turing", "ada-lovelace"))]
    return works, people


def test_copy_zero_is_the_base_and_copies_are_disjoint_and_closed():
    from bench.scaling import Copier

    works, people = _base()
    c = Copier(works, people)
    w0, r0 = c.copy(0)
    assert [w["id"] for w in w0] == [w["id"] for w in works] and w0[0]["title"] == works[0]["title"]
    w2, r2 = c.copy(2)
    ids = {r["id"] for r in r2}
    assert ids == {"ada-lovelace~2", "alan-turing~2"}
    assert all(set(w["author_ids"]) <= ids and {a["id"] for a in w["authors"]} <= ids for w in w2)
    assert all(set(r["collaborator_ids"]) <= ids for r in r2)
    assert all(set(r["work_ids"]) <= {w["id"] for w in w2} for r in r2)
    assert {w["doi"] for w in w2}.isdisjoint({w["doi"] for w in works})
    # a base work's version ids name the base work only (lookups by version id stay unique)
    base_versions = {v for w in works for v in w["version_ids"]}
    assert all(set(w["version_ids"]).isdisjoint(base_versions) for w in w2)
    assert all([v["id"] for v in w["versions"]] == w["version_ids"] for w in w2)


def test_copies_perturb_texts_and_vectors_lightly():
    from bench.scaling import Copier

    works, people = _base()
    w1, _ = Copier(works, people).copy(1)
    cos = [float(np.dot(a["embedding"], np.asarray(b["embedding"]))) for a, b in zip(works, w1)]
    assert all(0.9 < x < 0.999 for x in cos)
    assert all(abs(np.linalg.norm(b["embedding"]) - 1) < 1e-4 for b in w1)
    changed = sum(a["title"] != b["title"] for a, b in zip(works, w1))
    assert 0 < changed < len(works)  # some titles, not all, lose a word or two
    assert Copier(works, people).copy(1)[0][3]["title"] == w1[3]["title"]  # seeded
