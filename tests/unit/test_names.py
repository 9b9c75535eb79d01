"""Name forms: person slugs, citation initials, splitting printed and typed names."""
from __future__ import annotations

import pytest

from domain.names import citation_forms, fold, initials, slugify, split_initials, split_name, strip_accents

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, slug", [
    ("Shengding Hu", "shengding-hu"), ("Martine Adda-Decker", "martine-adda-decker"),
    ("Eşref Adalı", "esref-adali"), ("Ahmed AbuRa’ed", "ahmed-abura-ed"),
    ("  Jörg  Tiedemann ", "jorg-tiedemann"), ("Łukasz Kaiser", "lukasz-kaiser"),
    ("İsmail Çelik", "ismail-celik"), ("Anders Søgaard", "anders-sogaard"),
])
def test_slugs_are_folded_lower_case_words_joined_by_hyphens(text, slug):
    assert slugify(text) == slug


def test_folding_also_covers_letters_without_a_decomposition():
    assert strip_accents("Paweł Kamocki") == "Pawel Kamocki" and strip_accents("Jörg") == "Jorg"
    assert fold("Anders SØGAARD") == "anders sogaard" and fold("Þorsteinn") == "thorsteinn"
    assert fold("国江 周") == "国江 周"


def test_initials_give_the_citation_forms_of_a_name():
    assert initials("Shengding", "Hu") == ["S. Hu", "S Hu", "Hu S"]
    assert initials("Woo-Jong", "Ryu")[:3] == ["W. J. Ryu", "W J Ryu", "Ryu WJ"]
    assert initials("", "Sukhada") == []


def test_citation_forms_match_the_indexed_initials():
    assert citation_forms(["s"], "hu") == ["s. hu", "s hu", "hu s"]
    assert citation_forms(["m", "t"], "pilehvar") == [
        "m. t. pilehvar", "m t pilehvar", "pilehvar mt", "m. pilehvar", "m pilehvar", "pilehvar m"]


@pytest.mark.parametrize("q, letters, words", [
    ("S. Hu", ["s"], ["Hu"]),
    ("S Hu", ["s"], ["Hu"]),
    ("S.D. Hu", ["s", "d"], ["Hu"]),
    ("Hu, S.", ["s"], ["Hu"]),
    ("Shengding Hu", [], ["Shengding", "Hu"]),
    ("Hu", [], ["Hu"]),
    ("J.R.R. Tolkien", ["j", "r", "r"], ["Tolkien"]),
])
def test_a_query_splits_into_initials_and_name_words(q, letters, words):
    assert split_initials(q) == (letters, words)


def test_split_name_keeps_particles_with_the_family_name():
    assert split_name("Noah A. Smith") == ("Noah A.", "Smith")
    assert split_name("Ludwig van Beethoven") == ("Ludwig", "van Beethoven")
    assert split_name("Plato") == ("", "Plato")
