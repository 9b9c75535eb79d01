"""The merge stage: one work with several versions, one person across sources."""
from __future__ import annotations

import pytest

from indexer.merge import merge_sources, source_of
from indexer.merge.people import ArxivPeople, PeopleLinker, PersonIndex
from indexer.merge.text import title_forms, title_key, title_numbers
from indexer.merge.works import WorkMatcher, event_years, named_venues
from indexer.sources.arxiv import author_slot
from indexer.sources.acl import slugify

pytestmark = pytest.mark.unit


def acl(wid: str, title: str, authors: list[str | tuple[str, str]], year: int = 2025, abstract: str = "",
        venue: str = "acl") -> dict:
    slots = []
    for a in authors:
        name, pid = (a, slugify(a)) if isinstance(a, str) else a
        first, _, last = name.rpartition(" ")
        slots.append({"id": pid, "name": name, "first": first, "last": last, "as_written": name,
                      "orcid": None, "affiliation": None})
    return {"id": wid, "source": f"{year}.{venue}.xml", "collection_id": f"{year}.{venue}", "volume_id": "main",
            "title": title, "abstract": abstract or None, "year": year, "month": "July", "type": "long paper",
            "venue_ids": [venue], "venue_names": [venue.upper()], "booktitle": None, "publisher": None,
            "address": None, "doi": None, "pages": None, "bibkey": None,
            "url": f"https://aclanthology.org/{wid}/", "authors": slots, "hidden": False}


def arxiv(aid: str, title: str, authors: list[str], abstract: str = "", categories=("cs.CL",),
          comment: str | None = None) -> dict:
    yy, mm = int(aid[:2]), int(aid[2:4])
    return {"id": f"arxiv:{aid}", "source": "2025-06-01.jsonl", "collection_id": "arxiv", "volume_id": categories[0],
            "title": title, "abstract": abstract or None, "year": 2000 + yy, "month": str(mm), "type": "preprint",
            "venue_ids": ["arxiv"], "venue_names": ["arXiv"], "publisher": "arXiv",
            "doi": f"10.48550/arXiv.{aid}", "url": f"https://arxiv.org/abs/{aid}",
            "authors": [author_slot(a) for a in authors], "hidden": False, "arxiv_id": aid,
            "listed": "2025-06-01", "categories": list(categories), "category_labels": [], "comment": comment}


# ------------------------------------------------------------------ titles


def test_title_forms_ignore_case_accents_punctuation_and_tex():
    assert title_key("mHC: Manifold-Constrained Hyper-Connections") == title_key("MHC — manifold constrained hyperconnections")
    assert title_forms("\\mathcal{S}^2IT: Stepwise Tuning of Models").key == title_forms("S²IT: Stepwise Tuning of Models").key
    forms = title_forms("TeamX at SemEval-2025 Task 3: Detecting Hallucinated Spans in Answers")
    assert forms.system_prefix and forms.body_key == title_key("Detecting Hallucinated Spans in Answers")
    assert title_forms("TeamX@Task25: Detecting Hallucinated Spans in Answers").system_prefix
    assert title_numbers("XYZ at SemEval-2025 Task 3: foo") == {25, 3}
    assert title_numbers("WMT 2025 and WMT25") == {25}
    assert title_numbers("Findings of the Fifth Shared Task on Coreference") == {5}
    assert title_numbers("Second Language Acquisition") == frozenset()
    assert event_years("our SemEval-2026 Task 3 system") == {"semeval": {26}}
    assert named_venues("Accepted to NAACL 2025 (Findings)") == {("naacl", 2025)}


# ------------------------------------------------------------------ works

ADA, ALAN, GRACE, MARY = "Ada Lovelace", "Alan Turing", "Grace Hopper", "Mary Somerville"


def matches(published, preprints, **options):
    return {(m.preprint_id, m.published_id): m for m in WorkMatcher(published, **options).match(preprints)}


def test_same_title_is_one_work_and_so_is_a_title_without_its_system_prefix():
    pub = [acl("2025.acl-long.1", "Hyper-Connections for Manifold Transformers", [ADA, GRACE]),
           acl("2025.semeval-1.9", "TeamX at SemEval-2025 Task 3: Detecting Hallucinated Spans in Answers",
               [ALAN, MARY], venue="semeval")]
    pre = [arxiv("2505.14577", "Hyper-connections for manifold transformers", [ADA, GRACE, MARY]),
           arxiv("2503.00001", "Detecting Hallucinated Spans in Answers", [ALAN, MARY])]
    found = matches(pub, pre)
    assert found[("arxiv:2505.14577", "2025.acl-long.1")].method == "same title"
    assert found[("arxiv:2503.00001", "2025.semeval-1.9")].method == "same title without prefix"
    assert "2 shared authors" in found[("arxiv:2505.14577", "2025.acl-long.1")].evidence


def test_an_edited_title_by_the_same_people_is_one_work():
    filler = [acl(f"2025.x-{i}", f"Parsing with graphs {i}", [ALAN]) for i in range(5)]  # a corpus for word weights
    pub = [acl("2025.findings-acl.1", "Financial Language Model Evaluation Across Twenty Tasks", [ADA, GRACE, MARY]),
           *filler]
    pre = [arxiv("2506.15846", "Finance Language Model Evaluation across Twenty Tasks", [ADA, GRACE, MARY])]
    (m,) = matches(pub, pre).values()
    assert m.method == "edited title" and m.confidence > 0.9


def test_near_twins_stay_apart():
    pub = [acl("2025.semeval-1.9", "TeamX at SemEval-2025 Task 3: Detecting Hallucinated Spans in Answers",
               [ALAN, MARY], venue="semeval"),
           acl("2025.crac-1.9", "Findings of the Fourth Shared Task on Multilingual Coreference Resolution",
               [ADA, GRACE]),
           acl("2025.wmt-1.1", "SemEval-2025 Task 7: Multilingual Fact-Checked Claim Retrieval", [ADA, GRACE])]
    pre = [
        # the same team's paper for the next edition of the task
        arxiv("2604.00001", "TeamX at SemEval-2026 Task 3: Detecting Hallucinated Spans in Answers", [ALAN, MARY]),
        # ... and once more without its prefix, but its abstract names the 2026 edition
        arxiv("2604.00002", "Detecting Hallucinated Spans in Answers", [ALAN, MARY],
              abstract="Our system for SemEval-2026 Task 3 detects hallucinated spans."),
        arxiv("2604.00003", "Findings of the Fifth Shared Task on Multilingual Coreference Resolution", [ADA, GRACE]),
        # another team's system paper carries the task's title after its own prefix
        arxiv("2505.00004", "UWBa at SemEval-2025 Task 7: Multilingual Fact-Checked Claim Retrieval", [MARY]),
    ]
    assert matches(pub, pre) == {}


def test_a_same_title_without_shared_authors_or_far_in_time_is_not_merged():
    pub = [acl("2024.lrec-tutorials.8", "Introduction and Recent Advances in Parsing", [ADA]),
           acl("W13-3601", "The CoNLL-2013 Shared Task on Grammatical Error Correction", [GRACE, MARY], year=2013)]
    pre = [arxiv("2505.17799", "Introduction and Recent Advances in Parsing", [ALAN]),
           arxiv("2507.09474", "The CoNLL-2013 Shared Task on Grammatical Error Correction", [GRACE, MARY])]
    found = matches(pub, pre)
    assert list(found) == [("arxiv:2507.09474", "W13-3601")]  # a late upload by the same people
    assert matches(pub, pre, use_authors=False)  # title only would merge both


def test_each_published_work_takes_one_preprint_the_best():
    pub = [acl("2025.acl-long.1", "Hyper-Connections for Manifold Transformers", [ADA, GRACE])]
    pre = [arxiv("2505.00001", "Hyper-Connections for Manifold Transformers", [ADA, GRACE]),
           arxiv("2505.00002", "Hyper-Connections for Manifold Transformers Revisited", [ADA, GRACE])]
    assert list(matches(pub, pre)) == [("arxiv:2505.00001", "2025.acl-long.1")]


# ------------------------------------------------------------------ people

def anthology_people():
    return [
        acl("2024.acl-long.1", "Prompt tuning for parsing", ["Shengding Hu", "Zhengyan Zhang", "Maosong Sun"], 2024),
        acl("2024.acl-long.2", "Sparse experts in translation", ["Zhengyan Zhang", "Maosong Sun"], 2024),
        acl("2023.emnlp-main.3", "Social media signals", [("Wei Ai", "wei-ai-umich"), "Qiaozhu Mei"], 2023),
        acl("2023.emnlp-main.4", "Recommendation with graphs", [("Wei Ai", "wei-ai"), "Kai Chen"], 2023),
        acl("2022.naacl-main.5", "Sentiment in reviews", ["Wei Wang", "Li Zhang"], 2022),
    ]


def test_a_preprint_author_is_linked_by_shared_co_authors():
    index = PersonIndex(anthology_people())
    links = PeopleLinker(index).link(arxiv("2512.24880", "mHC: Manifold-Constrained Hyper-Connections",
                                           ["Zhenda Xie", "Shengding Hu", "Zhengyan Zhang"],
                                           abstract="Sparse experts and prompt tuning for parsing."))
    hu = links[1]
    assert hu.person_id == "shengding-hu" and hu.method == "co-authors"
    assert hu.confidence >= 0.8 and hu.evidence.startswith("linked by 1 shared co-author: Zhengyan Zhang")
    assert links[0].person_id is None and links[0].to_dict()["method"] == "new researcher"


def test_namesakes_are_told_apart_by_their_co_authors_never_merged_blindly():
    index = PersonIndex(anthology_people())
    linker = PeopleLinker(index)
    umich = linker.link(arxiv("2505.00010", "Social signals at scale", ["Wei Ai", "Qiaozhu Mei"]))[0]
    other = linker.link(arxiv("2505.00011", "Graph recommendation", ["Wei Ai", "Kai Chen"]))[0]
    nobody = linker.link(arxiv("2505.00012", "Vision transformers", ["Wei Ai", "Zhenda Xie"], categories=("cs.CV",)))[0]
    assert (umich.person_id, umich.method) == ("wei-ai-umich", "namesake, co-authors")
    assert other.person_id == "wei-ai"
    assert nobody.person_id is None and set(nobody.candidates) == {"wei-ai", "wei-ai-umich"}
    assert nobody.to_dict()["method"] == "kept apart" and "no co-author singles one out" in nobody.evidence


def test_a_co_author_of_both_namesakes_does_not_tell_them_apart():
    """Two Anthology people named Na Li: one with many co-authors, Kai Chen and Qiaozhu Mei
    among them; one whose only co-author is Kai Chen. On a preprint with both, Kai Chen tells
    nobody apart and Qiaozhu Mei points to the first (counting Kai Chen for the second, who has
    fewer co-authors, would give it to her); with Kai Chen alone it is nobody's."""
    many = ["Kai Chen", "Qiaozhu Mei", *(f"Person {c}" for c in "ABCDEFGHIJ")]
    people = anthology_people() + [
        acl(f"2024.emnlp-main.{10 + i}", "Signals", [("Na Li", "na-li-tsinghua"), other], 2024)
        for i, other in enumerate(many)] + [acl("2024.emnlp-main.9", "Graphs", [("Na Li", "na-li-ucsd"), "Kai Chen"], 2024)]
    linker = PeopleLinker(PersonIndex(people))
    one = linker.link(arxiv("2505.00014", "Graph signals", ["Na Li", "Kai Chen", "Qiaozhu Mei"]))[0]
    assert one.person_id == "na-li-tsinghua" and one.method == "namesake, co-authors"
    assert "Qiaozhu Mei" in one.evidence
    both = linker.link(arxiv("2505.00013", "Graph signals", ["Na Li", "Kai Chen"]))[0]
    assert both.person_id is None and both.to_dict()["method"] == "kept apart"


def test_a_common_name_without_evidence_is_kept_apart_with_the_reason():
    people = anthology_people()
    # make "Wei" and "Wang" common name parts
    people += [acl(f"2021.x-{i}", "Filler", [f"Wei {last}", f"{first} Wang"], 2021)
               for i, (first, last) in enumerate(zip(["Li", "Yu", "Bo", "Jun", "Hao", "Min"],
                                                     ["Li", "Liu", "Chen", "Zhou", "Xu", "Sun"]))]
    link = PeopleLinker(PersonIndex(people)).link(
        arxiv("2505.00020", "Object detection in drone images", ["Wei Wang", "Zhenda Xie"], categories=("cs.CV",)))[0]
    assert link.person_id is None
    d = link.to_dict()
    assert d["method"] == "kept apart" and d["candidate"] == "wei-wang"
    assert d["evidence"].startswith("the name matches wei-wang in the Anthology, but no co-author in common")


def test_one_person_per_paper():
    index = PersonIndex(anthology_people())
    links = PeopleLinker(index).link(arxiv("2505.00030", "Twice", ["Shengding Hu", "Shengding Hu", "Zhengyan Zhang"]))
    assert [lk.person_id for lk in links[:2]].count("shengding-hu") == 1


def test_researchers_of_their_own_group_by_co_authors_with_stable_ids():
    people = ArxivPeople()
    papers = [arxiv("2505.00001", "a", ["Wei Zhang", "Kai Li"]), arxiv("2506.00002", "b", ["Wei Zhang", "Kai Li"]),
              arxiv("2507.00003", "c", ["Wei Zhang", "Ann Lee"])]
    for p in papers:
        people.add(p, 0)
    ids = people.assign()
    assert ids[("2505.00001", 0)][0] == ids[("2506.00002", 0)][0] == "arxiv:wei-zhang"
    assert ids[("2507.00003", 0)][0] == "arxiv:wei-zhang~2507.00003"


# ------------------------------------------------------------------ the stage


def test_merge_sources_folds_preprints_and_resolves_their_authors():
    published = anthology_people() + [acl("2025.acl-long.12", "Hyper-Connections for Manifold Transformers",
                                          ["Shengding Hu", "Maosong Sun"], abstract="")]
    preprints = [arxiv("2505.14577", "Hyper-Connections for Manifold Transformers", ["Shengding Hu", "Maosong Sun"],
                       abstract="We study hyper-connections."),
                 arxiv("2512.24880", "mHC: Manifold-Constrained Hyper-Connections",
                       ["Zhenda Xie", "Shengding Hu", "Zhengyan Zhang"],
                       abstract="Sparse experts and prompt tuning for parsing.")]
    result = merge_sources(published, preprints)
    by_id = {r["id"]: r for r in result.records}
    assert len(result.records) == len(published) + 1  # the matched preprint is a version, not a work
    merged = by_id["2025.acl-long.12"]
    assert merged["version_ids"] == ["2025.acl-long.12", "arxiv:2505.14577"]
    assert merged["sources"] == ["acl", "arxiv"] and [v["source"] for v in merged["versions"]] == ["acl", "arxiv"]
    assert merged["versions"][1]["listed"] == "2025-06-01" and merged["versions"][1]["venue"] == "arXiv"
    assert merged["field_sources"]["abstract"] == "arxiv" and merged["field_sources"]["title"] == "acl"
    assert merged["abstract"] == "We study hyper-connections." and merged["merge"]["method"] == "same title"
    # a DOI names one version: the proceedings record never takes the preprint's
    assert merged["doi"] is None and merged["field_sources"]["doi"] == "acl"
    assert merged["versions"][1]["doi"] == "10.48550/arXiv.2505.14577"
    assert merged["arxiv_id"] == "2505.14577" and [a["id"] for a in merged["authors"]] == ["shengding-hu", "maosong-sun"]
    mhc = by_id["arxiv:2512.24880"]
    assert mhc["sources"] == ["arxiv"] and mhc["version_ids"] == ["arxiv:2512.24880"]
    assert [a["id"] for a in mhc["authors"]] == ["arxiv:zhenda-xie", "shengding-hu", "zhengyan-zhang"]
    assert mhc["authors"][1]["link"]["method"] == "co-authors" and mhc["authors"][1]["link"]["candidate"] is None
    assert mhc["authors"][0]["link"]["method"] == "new researcher"
    assert [lw["work_id"] for lw in result.links["shengding-hu"]] == ["arxiv:2512.24880"]
    assert source_of(mhc) == "arxiv" and source_of(merged) == "acl"
    assert result.report["merged"] == 1

