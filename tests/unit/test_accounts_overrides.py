"""Owner state applied to documents: the same functions serve the full build and the sync job."""
from __future__ import annotations

import pytest

from domain.corrections import (Overrides, OwnerState, apply_overrides, apply_state, apply_work_overrides,
                                fold_corrections, work_author_ids)
from domain.trust import trust_score
from web.accounts.models import Correction, utcnow

pytestmark = pytest.mark.unit


def _doc(**kw):
    doc = {"id": "r1", "orcid": None, "first_year": 2015, "last_year": 2022, "venues": ["acl", "emnlp"],
           "collaborators_count": 12, "current_affiliation": "Old U", "work_ids": ["w1", "w2", "w3"],
           "works_count": 3, "followers_count": 0, "open_to_collaborate": False, "claimed": False}
    doc.update(kw)
    doc["trust"] = trust_score(orcid=doc["orcid"], first_year=2015, last_year=2022, works_count=3, venues_count=2,
                               collaborators_count=12, affiliation=doc["current_affiliation"])
    return doc


def _row(kind, value, previous=None, undone=False, rid="r1"):
    return Correction(researcher_id=rid, user_id=1, kind=kind, value=value, previous=previous,
                      reverted_at=utcnow() if undone else None)


def test_claiming_adds_the_claimed_points_and_level_l3():
    before = _doc()
    after = apply_state(_doc(), OwnerState(claimed=True, followers=4))
    assert after["claimed"] and after["trust"]["claimed"] and after["trust"]["level"] == "L3"
    assert after["trust"]["score"] == before["trust"]["score"] + 15
    assert after["followers_count"] == 4


def test_nothing_known_changes_nothing():
    doc = _doc()
    assert apply_state(_doc(), OwnerState()) == doc
    assert apply_overrides(_doc(), Overrides()) == doc
    assert apply_overrides(_doc(), None) == doc


def test_hide_attach_restore_and_drop_of_works():
    state = OwnerState(hide={"w2"}, attach=["w9"], restore={"w7"}, drop={"w3"})
    doc = apply_state(_doc(), state)
    assert doc["work_ids"] == ["w1", "w7", "w9"] and doc["works_count"] == 3
    again = apply_state(doc, state)  # idempotent: a job may run twice
    assert again["work_ids"] == ["w1", "w7", "w9"]


def test_affiliation_and_open_flag_and_trust_follow_the_owner():
    doc = apply_state(_doc(current_affiliation=None), OwnerState(affiliation="New Institute", open_to_collaborate=True))
    assert doc["current_affiliation"] == "New Institute" and doc["open_to_collaborate"] is True
    affiliation = next(s for s in doc["trust"]["signals"] if s["name"] == "affiliation")
    assert affiliation["points"] == 10
    cleared = apply_state(_doc(), OwnerState(affiliation=None))
    assert cleared["current_affiliation"] is None


def test_folding_corrections_for_a_build_keeps_only_active_ones():
    rows = [_row("affiliation", "A", "Old U"), _row("affiliation", "B", "A", undone=True),
            _row("hide_work", "w2"), _row("hide_work", "w3", undone=True), _row("attach_work", "w9", undone=True),
            _row("open_to_collaborate", True, False)]
    state = OwnerState()
    fold_corrections(state, rows, live=False)
    assert state.affiliation == "A" and state.open_to_collaborate is True
    assert state.hide == {"w2"} and state.attach == [] and state.restore == set() and state.drop == set()


def test_folding_for_a_live_document_restores_what_was_undone():
    rows = [_row("affiliation", "A", "Old U", undone=True), _row("open_to_collaborate", True, False, undone=True),
            _row("hide_work", "w3", undone=True), _row("attach_work", "w9", undone=True)]
    state = OwnerState()
    fold_corrections(state, rows, live=True)
    assert state.affiliation == "Old U" and state.open_to_collaborate is False
    assert state.restore == {"w3"} and state.drop == {"w9"}
    doc = apply_state(_doc(current_affiliation="A", work_ids=["w1", "w9"]), state)
    assert doc["work_ids"] == ["w1", "w3"] and doc["current_affiliation"] == "Old U"


def test_work_author_ids_come_from_the_record_plus_the_owners():
    work = {"id": "w1", "authors": [{"id": "a"}, {"id": "r1"}, {"id": "a"}], "author_ids": ["a", "r1"]}
    assert work_author_ids(work, None) == ["a", "r1"]
    assert work_author_ids(work, {"remove": {"r1"}, "add": {"r2"}}) == ["a", "r2"]
    overrides = Overrides(works_change={"w1": {"remove": {"r1"}, "add": set()}})
    assert apply_work_overrides(dict(work), overrides)["author_ids"] == ["a"]
    assert apply_work_overrides(dict(work, id="w2"), overrides)["author_ids"] == ["a", "r1"]
    assert [d["author_ids"] for d in overrides.works([dict(work)])] == [["a"]]


def test_overrides_of_states_give_each_work_the_owners_who_hide_or_attach_it():
    overrides = Overrides.of({"r1": OwnerState(hide={"w1"}, attach=["w2"]), "r2": OwnerState(attach=["w1"])})
    assert overrides.works_change == {"w1": {"remove": {"r1"}, "add": {"r2"}}, "w2": {"remove": set(), "add": {"r1"}}}
    assert len(overrides) == 4
