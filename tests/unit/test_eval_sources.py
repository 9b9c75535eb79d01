"""Ground truth of `peerscope eval sources`: pairs found by authors, judged by abstracts."""
from __future__ import annotations

import pytest

from evaluation.sources import Judge, aligned_ids, as_preprint, entangled_ids, namesake_spellings, score_matches
from indexer.sources.acl import slugify
from indexer.sources.arxiv import author_slot

pytestmark = pytest.mark.unit


def acl(wid: str, title: str, authors: list, abstract: str = "") -> dict:
    slots = []
    for a in authors:
        name, pid = (a, slugify(a)) if isinstance(a, str) else a
        first, _, last = name.rpartition(" ")
        slots.append({"id": pid, "name": name, "first": first, "last": last, "as_written": name})
    return {"id": wid, "title": title, "abstract": abstract or None, "year": 2025, "authors": slots,
            "venue_ids": ["acl"], "collection_id": "2025.acl", "volume_id": "long"}


def arxiv(aid: str, title: str, authors: list[str], abstract: str = "") -> dict:
    return {"id": f"arxiv:{aid}", "arxiv_id": aid, "title": title, "abstract": abstract or None, "year": 2025,
            "authors": [author_slot(a) for a in authors], "comment": None, "categories": ["cs.CL"]}

TEXT = ("We present a benchmark of hallucinated spans in the answers of large language models, "
        "annotated by experts in nine languages, and a detector that finds most of them while "
        "keeping false alarms rare across all the languages we study in this paper.")
OTHER = ("Sentiment of product reviews changes over time; we model the drift with a dynamic topic "
         "model and show that forecasting ratings improves when the drift is taken into account "
         "for every category of product in the data set used here.")
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Mary Somerville"]


def judge() -> Judge:
    published = [acl("2025.acl-long.1", "Hallucinated Spans in Nine Languages", PEOPLE, abstract=TEXT),
                 acl("2025.acl-long.2", "Detecting Hallucinated Spans Across Nine Languages", PEOPLE, abstract=TEXT),
                 acl("2025.acl-long.3", "Review Sentiment Drift Forecasting", PEOPLE, abstract=OTHER)]
    preprints = [arxiv("2505.00001", "Hallucinated spans in nine languages", PEOPLE, abstract=TEXT)]
    return Judge(published, preprints)


def test_truth_comes_from_authors_titles_and_abstracts():
    t = judge().truth
    assert t.same_title == {("arxiv:2505.00001", "2025.acl-long.1")}
    assert t.edited == {("arxiv:2505.00001", "2025.acl-long.2")}  # same abstract, title edited
    assert ("arxiv:2505.00001", "2025.acl-long.3") in t.different


def test_merges_are_scored_right_wrong_or_unjudged():
    j = judge()
    res = score_matches(j, [("arxiv:2505.00001", "2025.acl-long.1")])
    assert (res["right"], res["wrong"], res["precision"], res["recall same_title"]) == (1, 0, 1.0, 1.0)
    res = score_matches(j, [("arxiv:2505.00001", "2025.acl-long.3")])
    assert (res["right"], res["wrong"], res["recall same_title"]) == (0, 1, 0.0)


def test_true_ids_come_from_the_anthology_version_and_namesakes_from_the_name_file():
    pub = acl("2025.acl-long.9", "X", ["Ada Lovelace", ("Wei Ai", "wei-ai-umich")])
    pre = arxiv("2505.00009", "X", ["Wei Ai", "Zhenda Xie", "Ada Lovelace"])
    assert aligned_ids(pre, pub) == {0: ("wei-ai-umich", "Wei Ai"), 2: ("ada-lovelace", "Ada Lovelace")}
    assert namesake_spellings({"wei-ai": ("Wei Ai",), "wei-ai-umich": ("Wei Ai",), "x": ("X Y",)}) == \
        {"wei ai": {"wei-ai", "wei-ai-umich"}}
    held = as_preprint(pub)
    assert held["id"] == "held-out:2025.acl-long.9" and all(a["id"].startswith("arxiv-name:") for a in held["authors"])


def test_namesakes_the_anthology_files_under_two_ids_are_entangled():
    """Two ids of one spelling sharing two co-authors are one person's papers filed twice; a
    namesake with other co-authors stays apart."""
    shared = {"changye li": {"changye-li", "changye-li-umn"}, "fei liu": {"fei-liu-a", "fei-liu-b"}}
    published = [acl("w1", "A", [("Changye Li", "changye-li"), "Trevor Cohen", "Serguei Pakhomov"]),
                 acl("w2", "B", [("Changye Li", "changye-li-umn"), "Trevor Cohen", "Serguei Pakhomov"]),
                 acl("w3", "C", [("Fei Liu", "fei-liu-a"), "Trevor Cohen", "Ada Lovelace"]),
                 acl("w4", "D", [("Fei Liu", "fei-liu-b"), "Trevor Cohen", "Grace Hopper"])]
    assert entangled_ids(published, shared) == {"changye-li", "changye-li-umn"}
