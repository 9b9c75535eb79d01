"""Both sources on real files against the real engine, and link corrections through the
accounts store and the sync job, surviving a rebuild.

The build: NAACL 2025, the XLLM and IWSLT 2025 workshops from the Anthology, and five days of
arXiv listings, which hold (found in the data, not chosen by the code under test):
- an edited-title pair: arXiv 2503.15879 "Typed-RAG: Type-aware Multi-Aspect Decomposition
  ..." is the preprint of 2025.xllm-1.14 "Typed-RAG: Type-Aware Decomposition of ...";
- a near-twin: the MLLP-VRAIN UPV system papers for the IWSLT 2025 and the IWSLT 2026
  simultaneous speech translation task (2025.iwslt-1.35; arXiv 2606.17255), the same team,
  two editions, two works; the 2025 paper's own preprint (2506.18828) is listed on 2025-06-24;
- a namesake split: NAACL 2025 has two people named Chanyoung Park (chanyoung-park,
  chan-young-park); 2505.12543 and 2507.13541 each name one "Chanyoung Park" / "Chan Young
  Park", told apart by their co-authors.
"""
from __future__ import annotations

import shutil
import uuid
from dataclasses import replace

import pytest

pytestmark = pytest.mark.integration

ACL_FILES = ("2025.naacl.xml", "2025.xllm.xml", "2025.iwslt.xml")
DAYS = ("2025-03-21.jsonl", "2025-05-20.jsonl", "2025-06-24.jsonl", "2025-07-21.jsonl", "2026-06-17.jsonl")
EDITED = ("arxiv:2503.15879", "2025.xllm-1.14")
TWIN_2025, TWIN_2026, TWIN_2025_PREPRINT = "2025.iwslt-1.35", "arxiv:2606.17255", "arxiv:2506.18828"
NAMESAKES = ("chanyoung-park", "chan-young-park")


def _get(client, built, kind, doc_id, fields=None):
    found = client.get(index=built.alias(kind), id=doc_id, ignore=[404],
                       _source_excludes=["embedding"] if fields is None else None,
                       _source_includes=fields)
    return found.get("_source") if found.get("found") else None


def _work_with_version(client, built, version_id):
    hits = client.search(index=built.alias("works"), body={
        "size": 2, "query": {"term": {"version_ids": version_id}}, "_source": {"excludes": ["embedding"]}})
    return [h["_source"] for h in hits["hits"]["hits"]]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An accounts store of this module (SQLite), where the sync job also finds it."""
    from web.accounts import db

    url = f"sqlite:///{tmp_path_factory.mktemp('links') / 'accounts.db'}"
    db.upgrade(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEERSCOPE_DATABASE_URL", url)  # the sync job reads its settings from the environment
        yield url
    db.dispose(url)


@pytest.fixture(scope="module")
def built(client, settings, store):
    from indexer.build import run_in_process
    from indexer.sources.base import Options
    from web.accounts.overrides import load_overrides

    b = replace(settings, index_prefix=f"test-links-{uuid.uuid4().hex[:8]}-", sources=("acl", "arxiv"),
                database_url=store, queue_name=f"test-links-q-{uuid.uuid4().hex[:6]}")
    report = run_in_process(b, Options(files=ACL_FILES + DAYS), None, corrections=load_overrides)
    client.indices.refresh(index=f"{b.index_prefix}*")
    yield b, report
    client.indices.delete(index=f"{b.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


def test_the_build_reconciles(built):
    _, report = built
    w = report["works"]
    assert w["read"] == w["indexed"] + w["rejected"] + w["merged"] + w["repeated"]
    assert w["merged"] >= 2


def test_an_edited_title_pair_is_one_work(client, built):
    b, _ = built
    [work] = _work_with_version(client, b, EDITED[0])
    assert work["id"] == EDITED[1] and work["sources"] == ["acl", "arxiv"]
    assert work["merge"]["method"] == "edited title"
    assert work["field_sources"]["title"] == "acl" and work["title"].startswith("Typed-RAG: Type-Aware Decomposition")
    assert _get(client, b, "works", EDITED[0]) is None  # the preprint is a version, not a work


def test_every_lookup_of_a_work_takes_the_id_of_any_of_its_versions(built):
    b, _ = built
    web = _pages(b)
    preprint, published = EDITED
    assert web.get(f"/api/works/{preprint}").get_json()["id"] == published
    bare = preprint.removeprefix("arxiv:")  # as arXiv writes it, with a version or without
    assert web.get(f"/api/works/{bare}v2").get_json()["id"] == web.get(f"/api/works/{bare}").get_json()["id"] == published
    graph = web.get(f"/api/graph/works/{preprint}")
    assert graph.status_code == 200 and graph.get_json()["center"] == f"w:{published}"
    page = web.get(f"/explore?node=w:{preprint}")
    assert page.status_code == 200 and b"Typed-RAG" in page.data
    similar = web.post("/api/works/similar", json={"positive": [preprint], "size": 5})
    assert similar.status_code == 200, similar.get_json()
    found = [r["id"] for r in similar.get_json()["results"]]
    assert found and published not in found  # the example itself is never returned
    assert web.post("/api/works/similar", json={"positive": ["arxiv:0000.00000"]}).status_code == 404


def test_a_near_twin_of_another_edition_stays_a_work_of_its_own(client, built):
    b, _ = built
    published = _get(client, b, "works", TWIN_2025)
    twin = _get(client, b, "works", TWIN_2026)
    assert twin is not None and twin["sources"] == ["arxiv"] and twin["version_ids"] == [TWIN_2026]
    assert TWIN_2026 not in published["version_ids"]
    # the same team: authors of the 2026 preprint are linked to the 2025 paper's people
    assert set(twin["author_ids"]) & set(published["author_ids"])
    # while the 2025 paper did take its own preprint
    assert TWIN_2025_PREPRINT in published["version_ids"]


def _mention(work, name_key):
    from domain.names import fold

    return next(a for a in work["authors"] if fold(a["name"]).replace(" ", "") == name_key)


def test_namesakes_are_split_by_their_co_authors(client, built):
    b, _ = built
    linked = {}
    for wid in ("arxiv:2505.12543", "arxiv:2507.13541"):
        work = _get(client, b, "works", wid)
        slot = _mention(work, "chanyoungpark")
        assert slot["link"]["method"] == "namesake, co-authors"
        assert set(slot["link"]["candidates"]) == set(NAMESAKES)
        linked[wid] = slot["id"]
        assert wid in _get(client, b, "researchers", slot["id"], ["work_ids"])["work_ids"]
    assert set(linked.values()) == set(NAMESAKES)  # two people, one each


# ---------------------------------------------------------------- an undone link, a moved mention

def _people(store):
    from web.accounts import claims, db
    from web.accounts.models import User, utcnow

    with db.transaction(store) as s:
        out = {}
        for role in ("admin", "owner"):
            u = User(email=f"{role}-{uuid.uuid4().hex[:6]}@example.org", display_name=role.capitalize(),
                     password_hash="-", email_verified_at=utcnow())
            s.add(u)
            s.flush()
            out[role] = u.id
        return out


def _pages(b):
    from web import create_app

    return create_app(b, embed=lambda text: [0.0] * b.embedding_dims).test_client()


def _run_syncs(b, events, run_queued_jobs):
    from redis import Redis
    from rq import Queue

    from web.accounts import jobs

    queue = Queue(b.queue_name, connection=Redis.from_url(b.redis_url))
    for e in events:
        assert jobs.enqueue_sync(queue, b.index_prefix, e)
    return run_queued_jobs(b)


def test_an_undone_link_and_a_moved_mention_reach_the_index_and_survive_a_rebuild(client, built, store,
                                                                                   run_queued_jobs):
    """An admin undoes the resolver's link of "Chanyoung Park" on 2505.12543 (it is the other
    Chanyoung Park's paper); the other one's owner attaches it. The sync job moves the
    mention; a rebuild gives the same answer, with counts and collaborators computed again."""
    from indexer.build import run_in_process
    from indexer.sources.base import Options
    from web.accounts import claims, corrections, db, jobs
    from web.accounts.models import User
    from web.accounts.overrides import load_overrides

    b, _ = built
    wid = "arxiv:2505.12543"
    wrong, right = _mention(_get(client, b, "works", wid), "chanyoungpark")["id"], None
    right = next(p for p in NAMESAKES if p != wrong)
    before = {p: _get(client, b, "researchers", p) for p in NAMESAKES}
    assert wid in before[wrong]["work_ids"] and wid not in before[right]["work_ids"]
    ids = _people(store)

    # 1. the admin undoes the link
    with db.transaction(store) as s:
        admin = s.get(User, ids["admin"])
        work = client.get(index=b.alias("works"), id=wid)["_source"]
        row, event = corrections.hide_work(s, admin, before[wrong], work, admin=True)
        assert row.kind == "detach_link" and row.previous["id"] == wrong
        events = [jobs.event_key(event)]
    _run_syncs(b, events, run_queued_jobs)
    live = _get(client, b, "works", wid)
    slot = _mention(live, "chanyoungpark")
    assert slot["id"].startswith("arxiv:") and wrong not in live["author_ids"] and slot["id"] in live["author_ids"]
    assert slot["link"]["method"] == "kept apart" and slot["link"]["evidence"].startswith("link undone by an admin on")
    after_wrong = _get(client, b, "researchers", wrong)
    assert wid not in after_wrong["work_ids"] and after_wrong["works_count"] == before[wrong]["works_count"] - 1
    assert wid not in [lw["work_id"] for lw in after_wrong.get("linked_works") or []]
    own = _get(client, b, "researchers", slot["id"])
    assert own is not None and own["work_ids"] == [wid]  # a researcher of their own until the next build
    page = _pages(b).get(f"/works/{wid}").get_data(as_text=True)
    assert "link undone by an admin on" in page

    # 2. the other Chanyoung Park claims their profile and attaches the paper: the mention moves
    with db.transaction(store) as s:
        owner = s.get(User, ids["owner"])
        claim = claims.submit(s, owner, right, "My institutional page lists these papers under my name.", None)
        s.flush()
        _, claim_event = claims.approve(s, claim.id, "admin@example.org")
        work = client.get(index=b.alias("works"), id=wid)["_source"]
        row, event = corrections.attach_work(s, owner, _get(client, b, "researchers", right), work)
        assert row.kind == "attach_link" and row.previous["id"] == slot["id"]
        events = [jobs.event_key(claim_event), jobs.event_key(event)]
    _run_syncs(b, events, run_queued_jobs)
    live = _get(client, b, "works", wid)
    moved = _mention(live, "chanyoungpark")
    assert moved["id"] == right and moved["link"]["evidence"].startswith("linked by the owner on")
    assert slot["id"] not in live["author_ids"] and wrong not in live["author_ids"]
    assert _get(client, b, "researchers", slot["id"]) is None  # left with no work: gone, not duplicated
    live_right = _get(client, b, "researchers", right)
    assert wid in live_right["work_ids"] and live_right["works_count"] == before[right]["works_count"] + 1
    assert wid in [lw["work_id"] for lw in live_right["linked_works"]]
    pages = _pages(b)
    assert "Linked by the owner on" in pages.get(f"/researchers/{right}/works").get_data(as_text=True)
    profile = pages.get(f"/researchers/{right}")
    assert profile.status_code == 200
    assert "Preprint mention linked to this profile" in profile.get_data(as_text=True)

    # 3. a full rebuild from the same files keeps it, and computes counts and collaborators again
    report = run_in_process(b, Options(files=ACL_FILES + DAYS), None, corrections=load_overrides)
    assert not report.get("unchanged") and report["merge"]["author slots corrected"] == 2
    client.indices.refresh(index=f"{b.index_prefix}*")
    rebuilt = _get(client, b, "works", wid)
    assert rebuilt["authors"] == live["authors"] or _mention(rebuilt, "chanyoungpark")["id"] == right
    assert wrong not in rebuilt["author_ids"] and right in rebuilt["author_ids"]
    for pid in NAMESAKES:
        doc = _get(client, b, "researchers", pid)
        works = client.search(index=b.alias("works"), body={"size": 500, "query": {"term": {"author_ids": pid}},
                                                            "_source": ["id", "author_ids"]})["hits"]["hits"]
        assert doc["works_count"] == len(works) == len(doc["work_ids"])
        coauthors = {a for h in works for a in h["_source"]["author_ids"]} - {pid}
        assert set(doc["collaborator_ids"]) == coauthors
    assert (wid in _get(client, b, "researchers", right)["work_ids"]) and \
        wid not in _get(client, b, "researchers", wrong)["work_ids"]
    assert _get(client, b, "researchers", right)["claimed"] is True
    # co-authors only on that paper left the wrong profile's close collaborators and joined the right one's
    only_there = set(rebuilt["author_ids"]) - {right} - set().union(*(
        set(h["_source"]["author_ids"]) for h in client.search(index=b.alias("works"), body={
            "size": 500, "query": {"bool": {"filter": [{"term": {"author_ids": wrong}}]}},
            "_source": ["author_ids"]})["hits"]["hits"]))
    assert only_there and not only_there & set(_get(client, b, "researchers", wrong)["collaborator_ids"])
    assert only_there <= set(_get(client, b, "researchers", right)["collaborator_ids"])

    # 4. undone, the next sync puts the resolver's link back
    with db.transaction(store) as s:
        owner, admin = s.get(User, ids["owner"]), s.get(User, ids["admin"])
        rows = {c["kind"]: c["id"] for c in corrections.history(s, right) + corrections.history(s, wrong)}
        _, e1 = corrections.undo(s, owner, rows["attach_link"])
        _, e2 = corrections.undo(s, admin, rows["detach_link"], admin=True)
        events = [jobs.event_key(e1), jobs.event_key(e2)]
    _run_syncs(b, events, run_queued_jobs)
    restored = _get(client, b, "works", wid)
    assert _mention(restored, "chanyoungpark")["id"] == wrong
    assert wid in _get(client, b, "researchers", wrong)["work_ids"]
    assert wid not in _get(client, b, "researchers", right)["work_ids"]


# ---------------------------------------------------------------- listings repeated across days

def test_a_preprint_listed_on_several_days_is_one_work_in_a_build_and_in_an_incremental_update(
        client, settings, tmp_path):
    """Real listing lines, some of them listed again on later days (the shared listings hold
    each paper once, so the repeats are made here from real lines)."""
    from indexer.build import run_in_process
    from indexer.incremental import update_files
    from indexer.sources.base import FileTask, Options

    real = settings.arxiv_dir
    shutil.copy(real / "2025-03-21.jsonl", tmp_path / "2025-03-21.jsonl")
    first = (real / "2025-03-21.jsonl").read_bytes().splitlines(keepends=True)
    second = (real / "2025-03-24.jsonl").read_bytes().splitlines(keepends=True)
    third = (real / "2025-03-25.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "2025-03-22.jsonl").write_bytes(b"".join(first[:5] + second[:20]))
    b = replace(settings, index_prefix=f"test-repeat-{uuid.uuid4().hex[:8]}-", sources=("arxiv",), arxiv_dir=tmp_path)
    try:
        report = run_in_process(b, Options(files=("2025-03-21.jsonl", "2025-03-22.jsonl")), None)
        w = report["works"]
        assert w["repeated"] == 5 and w["rejected"] == 0
        assert w["read"] == len(first) + 25 == w["indexed"] + w["rejected"] + w["merged"] + w["repeated"]
        client.indices.refresh(index=b.alias("works"))
        count = client.count(index=b.alias("works"))["count"]
        assert count == len(first) + 20
        import json
        again = json.loads(first[0])["id"]
        assert _get(client, b, "works", f"arxiv:{again}", ["versions"])["versions"][0]["listed"] == "2025-03-21"

        # a new day listing 3 papers of the first day, 2 of the second and 4 new ones
        (tmp_path / "2025-03-25.jsonl").write_bytes(b"".join(first[5:8] + second[:2] + third[:4]))
        inc = update_files(b, [FileTask(tmp_path / "2025-03-25.jsonl", source="arxiv")])
        client.indices.refresh(index=b.alias("works"))
        assert inc["works"]["read"] == 9 and inc["works"]["repeated"] == 5 and inc["works"]["indexed"] == 4
        assert inc["works"]["read"] == inc["works"]["indexed"] + inc["works"]["rejected"] + inc["works"]["repeated"]
        assert client.count(index=b.alias("works"))["count"] == count + 4
        moved = json.loads(first[5])["id"]
        assert _get(client, b, "works", f"arxiv:{moved}", ["versions"])["versions"][0]["listed"] == "2025-03-21"
    finally:
        client.indices.delete(index=f"{b.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


def test_an_approved_merge_request_gives_the_arxiv_only_profile_to_the_owner_and_survives_a_rebuild(
        client, built, store, run_queued_jobs):
    """The IWSLT 2026 preprint lists "Jorge Civera", whom the resolver made an arXiv-only
    researcher; the Anthology knows him as Jorge Civera Saiz. His owner asks to merge the
    arXiv-only profile into his, an admin approves, and it reaches the index and a rebuild."""
    from indexer.build import run_in_process
    from indexer.sources.base import Options
    from web.accounts import claims, corrections, db, jobs
    from web.accounts.models import User
    from web.accounts.overrides import load_overrides

    b, _ = built
    twin, published = _get(client, b, "works", TWIN_2026), _get(client, b, "works", TWIN_2025)
    # the pair, found from the data: an arXiv-only mention of the 2026 preprint whose first and
    # last words are those of an author of the 2025 paper
    def ends(name):
        words = name.split()
        return words[0], words[-1]
    pairs = [(a["id"], p["id"]) for a in twin["authors"] if a["id"].startswith("arxiv:")
             for p in published["authors"] if ends(p["name"])[0] == ends(a["name"])[0]
             and ends(a["name"])[-1] in p["name"].split()]
    assert pairs, "no arXiv-only author of the 2026 preprint with a fuller name on the 2025 paper"
    other, mine = pairs[0]
    theirs = _get(client, b, "researchers", other)["work_ids"]
    before = _get(client, b, "researchers", mine)
    ids = _people(store)
    with db.transaction(store) as s:
        owner = s.get(User, ids["owner"])
        claim = claims.submit(s, owner, mine, "My institutional page lists these papers under my name.", None)
        s.flush()
        claims.approve(s, claim.id, "admin@example.org")
        request = corrections.request_change(s, owner, mine, "merge", other, "The arXiv profile is me, shorter name.")
        request_id = request.id
    with db.transaction(store) as s:
        _, events = corrections.decide_request(s, request_id, "admin@example.org", "resolved", "checked")
        events = [jobs.event_key(e) for e in events]
        [row] = corrections.history(s, mine)[:1]
        assert row["kind"] == "merge_profile" and row["value"] == other and row["approved_by"] == "admin@example.org"
    _run_syncs(b, events, run_queued_jobs)
    assert _get(client, b, "researchers", other) is None
    live = _get(client, b, "researchers", mine)
    assert set(theirs) <= set(live["work_ids"]) and live["works_count"] == before["works_count"] + len(theirs)
    slot = next(a for a in _get(client, b, "works", TWIN_2026)["authors"] if a["id"] == mine)
    assert slot["link"]["method"] == "merged profile" and "approved by an admin" in slot["link"]["evidence"]
    # the merged-away profile's addresses lead to the profile it was merged into
    pages = _pages(b)
    for prefix in ("/researchers/", "/api/researchers/"):
        moved = pages.get(f"{prefix}{other}?page=2")
        assert moved.status_code == 301 and moved.headers["Location"].endswith(f"{prefix}{mine}?page=2")
    assert pages.get(f"/researchers/{other}", follow_redirects=True).status_code == 200

    report = run_in_process(b, Options(files=ACL_FILES + DAYS), None, corrections=load_overrides)
    assert not report.get("unchanged")
    client.indices.refresh(index=f"{b.index_prefix}*")
    assert _get(client, b, "researchers", other) is None
    rebuilt = _get(client, b, "researchers", mine)
    assert set(theirs) <= set(rebuilt["work_ids"]) and rebuilt["works_count"] == len(rebuilt["work_ids"])
    assert set(twin["author_ids"]) - {other, mine} <= set(rebuilt["collaborator_ids"])

    with db.transaction(store) as s:
        _, event = corrections.undo(s, s.get(User, ids["admin"]), row["id"], admin=True)
        events = [jobs.event_key(event)]
    _run_syncs(b, events, run_queued_jobs)
    assert other in _get(client, b, "works", TWIN_2026)["author_ids"]
    assert set(theirs).isdisjoint(_get(client, b, "researchers", mine)["work_ids"])
    assert _pages(b).get(f"/api/researchers/{other}").status_code != 301  # undone: the address is its own again
