"""Link corrections: the owner's (or an admin's) word on who an author mention is, applied by
the merge stage of a build and, on live documents, by the sync job's pure helpers."""
from __future__ import annotations

import pytest

from domain.corrections import (ATTACH, DETACH, MERGE, LinkFix, LinkRow, Overrides, live_authors, merged_into,
                                new_researcher, reconcile_researcher)
from indexer.merge import merge_sources
from indexer.stages import source_facts
from tests.unit.test_merge import acl, anthology_people, arxiv

pytestmark = pytest.mark.unit

MHC = "arxiv:2512.24880"


def _published():
    return anthology_people() + [acl("2025.acl-long.12", "Hyper-Connections for Manifold Transformers",
                                     ["Shengding Hu", "Maosong Sun"])]


def _preprints():
    return [arxiv("2512.24880", "mHC: Manifold-Constrained Hyper-Connections",
                  ["Zhenda Xie", "Shengding Hu", "Zhengyan Zhang"], abstract="Sparse experts and prompt tuning."),
            arxiv("2512.30001", "Another paper on vision", ["Zhenda Xie", "Kai Li"], categories=("cs.CV",)),
            arxiv("2505.00012", "Vision transformers", ["Wei Ai", "Zhenda Xie"], categories=("cs.CV",))]


def _by_id(result):
    return {r["id"]: r for r in result.records}


def test_an_undone_link_makes_the_mention_a_researcher_of_its_own_grouped_with_its_name():
    fix = LinkFix(DETACH, "shengding-hu", MHC, position=1, by="the owner", at="2026-12-01", correction_id=7)
    result = merge_sources(_published(), _preprints(), fixes={MHC: [fix]})
    slot = _by_id(result)[MHC]["authors"][1]
    assert slot["id"].startswith("arxiv:shengding-hu")
    assert slot["link"]["method"] == "kept apart" and slot["link"]["candidate"] == "shengding-hu"
    assert slot["link"]["evidence"].startswith("link undone by the owner on 2026-12-01 (the resolver had: linked by")
    assert slot["link"]["confidence"] is None and slot["link"]["corrected"]["correction"] == 7
    assert MHC not in [lw["work_id"] for lw in result.links.get("shengding-hu", [])]
    assert result.report["author slots corrected"] == 1
    facts = source_facts(result.records, result)
    assert MHC not in [lw["work_id"] for lw in facts["shengding-hu"]["linked_works"]]


def test_an_attached_mention_moves_and_is_not_left_on_the_researcher_of_its_own():
    """The mention kept apart from a namesake is attached: its id is the researcher's, and the
    arXiv-only researcher it would have been loses it (here: is not made at all)."""
    plain = merge_sources(_published(), _preprints())
    wei = _by_id(plain)["arxiv:2505.00012"]["authors"][0]
    assert wei["link"]["method"] == "kept apart" and wei["id"].startswith("arxiv:wei-ai")
    fix = LinkFix(ATTACH, "wei-ai-umich", "arxiv:2505.00012", position=0, by="an admin", at="2026-12-01")
    result = merge_sources(_published(), _preprints(), fixes={"arxiv:2505.00012": [fix]})
    work = _by_id(result)["arxiv:2505.00012"]
    assert work["authors"][0]["id"] == "wei-ai-umich"
    assert work["authors"][0]["link"]["evidence"] == "linked by an admin on 2026-12-01"
    assert all(a["id"] != wei["id"] for r in result.records for a in r["authors"])
    assert [lw["work_id"] for lw in result.links["wei-ai-umich"]] == ["arxiv:2505.00012"]


def test_an_attach_without_a_position_finds_the_mention_kept_apart_from_the_researcher():
    fix = LinkFix(ATTACH, "wei-ai", "arxiv:2505.00012")
    work = _by_id(merge_sources(_published(), _preprints(), fixes={"arxiv:2505.00012": [fix]}))["arxiv:2505.00012"]
    assert work["authors"][0]["id"] == "wei-ai"


def test_a_merged_profile_gives_all_its_mentions_to_the_other_and_goes():
    result = merge_sources(_published(), _preprints())
    xie = _by_id(result)[MHC]["authors"][0]["id"]
    assert xie == "arxiv:zhenda-xie"
    fix = LinkFix(MERGE, "shengding-hu", xie, by="the owner", at="2026-12-01", approved=True)
    records = Overrides(links=[fix]).rename(result.records)
    assert all(a["id"] != xie for r in records for a in r["authors"])
    moved = [r for r in records if any(a.get("link", {}).get("method") == "merged profile" for a in r["authors"])]
    assert {r["id"] for r in moved} == {MHC, "arxiv:2512.30001", "arxiv:2505.00012"}
    slot = next(a for a in _by_id_list(records)[MHC]["authors"] if a["link"]["method"] == "merged profile")
    assert slot["id"] == "shengding-hu"
    assert slot["link"]["evidence"] == ("profile arxiv:zhenda-xie merged into this one by the owner on 2026-12-01 "
                                        "(approved by an admin)")
    assert _by_id(result)[MHC]["authors"][0]["id"] == xie  # the input is left as it was


def _by_id_list(records):
    return {r["id"]: r for r in records}


def test_live_authors_apply_active_corrections_from_the_resolvers_mention_and_undo_them():
    authors = [{"id": "arxiv:zhenda-xie", "name": "Zhenda Xie", "link": {"method": "new researcher"}},
               {"id": "shengding-hu", "name": "Shengding Hu", "link": {"method": "co-authors", "evidence": "e"}}]
    fix = LinkFix(DETACH, "shengding-hu", MHC, position=1, at="2026-12-01")
    row = LinkRow(fix, True, {"position": 1, "id": "shengding-hu", "link": authors[1]["link"]})
    detached = live_authors(MHC, authors, [row], {})
    assert detached[1]["id"] == "arxiv:shengding-hu~2512.24880" and detached[1]["link"]["method"] == "kept apart"
    assert live_authors(MHC, detached, [row], {}) == detached  # the job may run twice
    undone = live_authors(MHC, detached, [LinkRow(fix, False, row.previous)], {})
    assert undone == authors
    merge = LinkFix(MERGE, "shengding-hu", "arxiv:zhenda-xie")
    merged = live_authors(MHC, authors, [], {"arxiv:zhenda-xie": merge})
    assert [a["id"] for a in merged] == ["shengding-hu", "shengding-hu"]
    assert live_authors(MHC, merged, [], {}) == authors  # the merge undone


def test_a_profile_follows_the_works_it_gained_or_lost():
    touched = {MHC: {"year": 2025, "authors": [{"id": "arxiv:shengding-hu~2512.24880", "name": "Shengding Hu",
                                                  "link": {"method": "kept apart"}}]},
               "arxiv:2505.1": {"year": 2025, "authors": [{"id": "shengding-hu", "name": "Shengding Hu",
                                                             "link": {"method": "owner correction", "evidence": "x"}}]}}
    doc = {"id": "shengding-hu", "work_ids": ["2022.acl-long.158", MHC], "sources": ["acl", "arxiv"],
           "linked_works": [{"work_id": MHC, "method": "co-authors"}], "first_year": 2022, "last_year": 2025}
    got = reconcile_researcher(doc, touched)
    assert got["work_ids"] == ["2022.acl-long.158", "arxiv:2505.1"] and got["works_count"] == 2
    assert got["preprints_count"] == 1 and [lw["work_id"] for lw in got["linked_works"]] == ["arxiv:2505.1"]
    new = new_researcher("arxiv:shengding-hu~2512.24880", touched)
    assert new["work_ids"] == [MHC] and new["name"] == "Shengding Hu" and new["preprints_count"] == 1
    assert new["trust"]["score"] >= 0


def test_a_merged_away_profile_leads_to_the_profile_it_was_merged_into_through_chains():
    fixes = [LinkFix(MERGE, "x", "y"), LinkFix(MERGE, "w", "x"), LinkFix(MERGE, "y", "w")]  # the last closes a cycle
    assert merged_into(fixes[:2], "y") == "w" and merged_into(fixes[:2], "x") == "w"
    assert merged_into(fixes[:2], "w") is None and merged_into(fixes, "nobody") is None
    assert merged_into(fixes, "y") in {"x", "w"}  # a cycle ends where it closes, never at the profile itself
