"""Ground truths and query generation of the relevance evaluation (pure parts)."""
import random

import pytest

from domain.names import fold, strip_accents
from evaluation.common import deterministic_sample, disjoint_samples
from evaluation.names import one_edit, queries_for, start_edit, transposition
from evaluation.similar import citation_truth, volume_truth

pytestmark = pytest.mark.unit


def _work(vol, authors, abstract=True):
    return {"collection_id": "2022.ws", "volume_id": vol, "author_ids": authors,
            "has_abstract": abstract, "type": "workshop paper"}


def test_volume_truth_pairs_volume_mates_without_shared_authors():
    works = {f"v1.{i}": _work("1", [f"a{i}"]) for i in range(5)}
    works["v1.5"] = _work("1", ["a0", "z"])  # shares an author with v1.0
    works["big.0"] = _work("2", ["b"])        # a one-paper volume is too small
    gt = volume_truth(works, lo=5, hi=40, min_related=3)
    assert "big.0" not in gt
    assert set(gt["v1.0"]) == {"v1.1", "v1.2", "v1.3", "v1.4"}
    assert "v1.5" in gt["v1.1"] and "v1.0" not in gt["v1.0"]


def test_citation_truth_gives_2_to_direct_links_1_to_co_cited_works_none_to_own_works(tmp_path):
    works = {k: {"author_ids": [k]} for k in ("S", "A", "B", "C", "D", "E", "X", "Y")}
    works["E"] = {"author_ids": ["S"]}  # self-citation: never related
    lines = ["S , A", "S , B", "C , S", "D , S", "S , E", "X , S", "S , Y",
             "X , A", "C , A", "missing , S"]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines))
    gt = citation_truth(path, works, min_direct=5, min_cocited=2)
    assert gt["S"]["A"] == 2.0 and gt["S"]["X"] == 2.0
    assert "E" not in gt["S"]
    assert set(gt) == {"S"}


def test_a_name_gives_exact_reordered_initials_and_typo_queries():
    qs = queries_for({"id": "shengding-hu", "first_name": "Shengding", "last_name": "Hu"})
    assert qs["exact"] == "Shengding Hu"
    assert qs["reordered"] == "Hu Shengding"
    assert qs["initials"] == "S. Hu"
    assert "prefix" not in qs  # a two-letter last name has no useful prefix
    assert qs["typo"] != "Shengding Hu" and qs["typo"].endswith(" Hu")
    assert "no_diacritics" not in qs
    assert queries_for({"id": "x", "first_name": "", "last_name": "Hu"}) == {}


def test_queries_are_deterministic_and_fold_accents():
    person = {"id": "jose-garcia", "first_name": "José", "last_name": "García"}
    assert queries_for(person) == queries_for(person)
    assert queries_for(person)["no_diacritics"] == "Jose Garcia"
    assert queries_for(person)["prefix"] == "José Gar"
    assert strip_accents("Müller") == "Muller" and fold("MÜLLER") == "muller"


def test_one_edit_changes_one_position_after_the_first_letter():
    rng = random.Random(1)
    for _ in range(50):
        out = one_edit("Shengding", rng)
        assert out != "Shengding"
        assert out[0] == "S" and abs(len(out) - len("Shengding")) <= 1


def test_start_edits_touch_the_first_two_letters():
    rng = random.Random(2)
    for _ in range(50):
        out = start_edit("Kanika", rng)
        assert out != "Kanika" and out.endswith("ika") and abs(len(out) - 6) <= 1


def test_transposition_swaps_two_different_neighbours():
    rng = random.Random(3)
    for _ in range(30):
        out = transposition("Kalra", rng)
        assert sorted(out) == sorted("Kalra") and out != "Kalra"
        assert sum(a != b for a, b in zip(out, "Kalra")) == 2
    assert transposition("aaaa", rng) is None


def test_new_kinds_leave_the_earlier_queries_unchanged():
    person = {"id": "kanika-kalra", "first_name": "Kanika", "last_name": "Kalra"}
    qs = queries_for(person)
    assert qs["typo_start"].endswith(" Kalra") and qs["typo_start"] != "Kanika Kalra"
    assert qs["transposition"] != "Kanika Kalra"
    rng = random.Random("0:kanika-kalra")  # the generator of the first kinds, drawn as before
    assert qs["typo"] == f"{one_edit('Kanika', rng)} Kalra"
    assert "typo_start" not in queries_for({"id": "bo-li", "first_name": "Bo", "last_name": "Li"})


def test_disjoint_samples_share_nothing_and_start_with_the_plain_sample():
    items = [f"r{i}" for i in range(1000)]
    a, b = disjoint_samples(items, 50, 2, seed=0)
    assert len(a) == len(b) == 50 and not set(a) & set(b)
    assert a == deterministic_sample(items, 50, 0)
    small = disjoint_samples(items[:30], 50, 2)
    assert [len(x) for x in small] == [15, 15]


def test_deterministic_sample_ignores_input_order():
    items = [f"r{i}" for i in range(100)]
    assert deterministic_sample(items, 10) == deterministic_sample(list(reversed(items)), 10)
    assert deterministic_sample(items[:5], 10) == sorted(items[:5])


@pytest.mark.unit
def test_known_item_query_takes_three_title_words_or_none():
    import random

    from evaluation.works import known_item_query

    q = known_item_query("Prompt Tuning for Low-Resource Machine Translation Systems", random.Random(0))
    words = q.split()
    assert len(words) == 3 and set(words) <= {"Prompt", "Tuning", "Machine", "Translation", "Systems"}
    assert known_item_query("A BERT model", random.Random(0)) is None


def test_preprint_coauthors_count_only_names_that_one_person_carries():
    from evaluation.collaborators import coauthors_by_unique_names

    by_name = {"ana lopez": {"ana-lopez"}, "li wei": {"wei-li-1", "wei-li-2"}, "bo chen": {"bo-chen"}}
    def paper(year, *names):
        return {"year": year, "authors": [{"name": n, "as_written": n} for n in names]}
    records = [paper(2026, "Ana Lopez", "Li Wei", "Bo Chen", "Nobody Known"),
               paper(2025, "Ana Lopez", "Cy Old"), paper(2027, "Bo Chen", "Ana Lopez")]
    by_unique = coauthors_by_unique_names(records, by_name, lambda n: n.casefold(), cutoff=2025, until=2026)
    assert by_unique == {"ana-lopez": {"bo-chen"}, "bo-chen": {"ana-lopez"}}


def test_two_builds_are_judged_on_the_pairs_new_in_both():
    from evaluation.collaborators import new_in_both

    one_source = {"a": {"x", "y"}, "b": {"z"}, "c": {"w"}}
    two_sources = {"a": {"y"}, "b": {"q"}, "d": {"v"}}  # x and z co-authored a preprint already
    assert new_in_both(one_source, two_sources) == {"a": {"y"}}


def test_two_builds_are_compared_seed_by_seed_on_the_same_lists():
    from evaluation.collaborators import per_seed, versus

    def run(rid, new, aa):
        lists = {"graph": aa, "adamic_adar": aa, "content": [], "topics": []}
        return {"id": rid, "new": new, "rankings": lists}

    here = [run("a", ["x"], ["x", "y"]), run("b", ["z"], ["q", "z"])]
    there = [run("a", ["x"], ["y", "q"]), run("b", ["z"], ["q", "z"])]
    found = versus(here, per_seed(here), there, per_seed(there))["adamic_adar"]
    mean_here, mean_there, difference, _ = found["recall@10"]
    assert (mean_here, mean_there, difference) == (1.0, 0.5, 0.5)
    assert found["mrr@10"][:3] == (0.75, 0.25, 0.5)  # ranks 1 and 2 here, none and 2 there
    with pytest.raises(ValueError):
        versus(here, per_seed(here), there[::-1], per_seed(there[::-1]))
