"""Link corrections in the accounts store: which correction an owner's hide or attach of a
preprint is, and approved merge and split requests acting as corrections (no engine)."""
from __future__ import annotations

import os

import pytest

from web.accounts import claims, corrections, db, users
from web.accounts.errors import Conflict, Invalid
from web.accounts.models import utcnow
from web.accounts.overrides import read_overrides

pytestmark = pytest.mark.unit

LINKED = {"id": "arxiv:2505.12543", "authors": [
    {"id": "chanyoung-park", "name": "Chanyoung Park",
     "link": {"method": "namesake, co-authors", "candidates": ["chan-young-park", "chanyoung-park"]}},
    {"id": "arxiv:ryan-rossi", "name": "Ryan A. Rossi", "link": {"method": "new researcher"}}]}
APART = {"id": "arxiv:2505.21572", "authors": [
    {"id": "arxiv:chanyoung-park", "name": "Chanyoung Park",
     "link": {"method": "kept apart", "candidate": "chanyoung-park",
              "candidates": ["chan-young-park", "chanyoung-park"]}}]}


@pytest.fixture()
def session(tmp_path):
    url = os.environ.get("PEERSCOPE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'store.db'}"
    db.downgrade(url, "base")
    db.upgrade(url)
    with db.session_for(url) as s:
        yield s
    db.dispose(url)


def _owner(session, researcher_id):
    user, _ = users.sign_up(session, f"{researcher_id}@example.org", "Owner", "correct horse battery staple")
    user.email_verified_at = utcnow()
    session.flush()
    claims.approve(session, claims.submit(session, user, researcher_id, "evidence long enough to read", None).id, "adm")
    return user


def test_hiding_a_linked_preprint_undoes_the_link_and_attaching_a_kept_apart_one_moves_it(session):
    wrong, right = _owner(session, "chanyoung-park"), _owner(session, "chan-young-park")
    row, _ = corrections.hide_work(session, wrong, {"id": "chanyoung-park"}, LINKED)
    assert row.kind == "detach_link" and row.previous == {"position": 0, "id": "chanyoung-park",
                                                          "name": "Chanyoung Park", "link": LINKED["authors"][0]["link"]}
    with pytest.raises(Conflict):
        corrections.detach_link(session, wrong, {"id": "chanyoung-park"}, LINKED)
    row, _ = corrections.attach_work(session, right, {"id": "chan-young-park", "name": "Chan Young Park"}, APART)
    assert row.kind == "attach_link" and row.previous["id"] == "arxiv:chanyoung-park"
    fixes = read_overrides(session).links
    assert [(f.kind, f.researcher_id, f.value, f.position, f.by) for f in fixes] == [
        ("detach_link", "chanyoung-park", LINKED["id"], 0, "the owner"),
        ("attach_link", "chan-young-park", APART["id"], 0, "the owner")]
    # an Anthology work keeps the hide rule
    row, _ = corrections.hide_work(session, wrong, {"id": "chanyoung-park"},
                                   {"id": "2025.naacl-long.1", "authors": [{"id": "chanyoung-park"}]})
    assert row.kind == "hide_work"
    # undone, a link correction leaves the build's corrections
    corrections.undo(session, wrong, fixes[0].correction_id)
    assert [f.kind for f in read_overrides(session).links] == ["attach_link"]


def test_an_approved_merge_request_is_a_correction_of_the_owner_approved_by_the_admin(session):
    owner = _owner(session, "jorge-civera-saiz")
    request = corrections.request_change(session, owner, "jorge-civera-saiz", "merge", "arxiv:jorge-civera",
                                         "The arXiv profile is me under a shorter name.")
    row, events = corrections.decide_request(session, request.id, "admin@example.org", "resolved", "ok")
    assert row.status == "resolved" and [e.researcher_id for e in events] == ["jorge-civera-saiz"]
    [c] = corrections.history(session, "jorge-civera-saiz")
    assert (c["kind"], c["value"], c["approved_by"]) == ("merge_profile", "arxiv:jorge-civera", "admin@example.org")
    [fix] = read_overrides(session).links
    assert fix.approved and fix.evidence().startswith("profile arxiv:jorge-civera merged into this one by the owner on")
    again = corrections.request_change(session, owner, "jorge-civera-saiz", "merge", "arxiv:jorge-civera",
                                       "The arXiv profile is me under a shorter name.")
    with pytest.raises(Conflict):
        corrections.decide_request(session, again.id, "admin@example.org", "resolved", "")


def test_an_approved_split_naming_a_work_undoes_its_link_or_hides_it(session):
    owner = _owner(session, "chanyoung-park")
    works = {LINKED["id"]: LINKED, "2025.naacl-long.1": {"id": "2025.naacl-long.1", "authors": [{"id": "x"}]}}
    for wid, kind in ((LINKED["id"], "detach_link"), ("2025.naacl-long.1", None)):
        request = corrections.request_change(session, owner, "chanyoung-park", "split", wid,
                                             "This paper is the other Chanyoung Park's.")
        if kind is None:  # not on this profile at all
            with pytest.raises(Invalid):
                corrections.decide_request(session, request.id, "adm", "resolved", "", find_work=works.get)
            continue
        _, events = corrections.decide_request(session, request.id, "adm", "resolved", "", find_work=works.get)
        assert events and corrections.active(session, "chanyoung-park", kind)[0].previous["request"] == request.id
    rejected = corrections.request_change(session, owner, "chanyoung-park", "split", None, "Two people here, see.")
    row, events = corrections.decide_request(session, rejected.id, "adm", "rejected", "not clear")
    assert row.status == "rejected" and events == []
