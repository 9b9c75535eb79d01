"""The trust score: formula, bands, levels and the worked example in docs/TRUST.md."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.trust import band_for, level_for, trust_score

pytestmark = pytest.mark.unit


def score(**overrides):
    args = dict(orcid=None, first_year=None, last_year=None, works_count=0, venues_count=0,
                collaborators_count=0, affiliation=None, claimed=False)
    return trust_score(**{**args, **overrides})


def test_nothing_known_scores_zero():
    result = score()
    assert result["score"] == 0 and result["band"] == "New" and result["level"] == "L0"
    assert result["claimed"] is False
    assert [s["name"] for s in result["signals"]] == [
        "orcid", "publication_span", "works", "venues", "coauthors", "affiliation", "claimed"]
    assert sum(s["max"] for s in result["signals"]) == 100


def test_worked_example_from_the_docs():
    # docs/TRUST.md: ORCID, 2019-2024, 12 works, 3 venues, 25 co-authors, affiliation known.
    result = score(orcid="0000-0002-1825-0097", first_year=2019, last_year=2024, works_count=12,
                   venues_count=3, collaborators_count=25, affiliation="Tsinghua University")
    points = {s["name"]: s["points"] for s in result["signals"]}
    assert points == {"orcid": 15.0, "publication_span": 9.0, "works": 13.05, "venues": 6.0,
                      "coauthors": 12.43, "affiliation": 10.0, "claimed": 0.0}
    assert result["score"] == 65 and result["band"] == "Established" and result["level"] == "L2"
    details = {s["name"]: s["detail"] for s in result["signals"]}
    assert details["publication_span"] == "2019-2024 (6 years)"
    one = {s["name"]: s["detail"] for s in score(first_year=2025, last_year=2025)["signals"]}
    assert one["publication_span"] == "2025 (1 year)"
    assert details["works"] == "12 works" and {s["name"]: s["detail"] for s in score(works_count=1)["signals"]}[
        "works"] == "1 work"


def test_everything_maxed_and_claimed_is_100_l3():
    result = score(orcid="0000-0002-1825-0097", first_year=1990, last_year=2024, works_count=500,
                   venues_count=40, collaborators_count=900, affiliation="X", claimed=True)
    assert result["score"] == 100 and result["band"] == "Highly established"
    assert result["level"] == "L3" and result["claimed"] is True


def test_prolific_author_without_orcid_reaches_the_top_band():
    result = score(first_year=1990, last_year=2024, works_count=400, venues_count=30,
                   collaborators_count=480, affiliation="IIT Bombay")
    assert result["score"] == 70 and result["band"] == "Highly established" and result["level"] == "L1"


def test_claiming_adds_points_and_raises_the_level():
    base = dict(first_year=2020, last_year=2021, works_count=2, venues_count=1, collaborators_count=3,
                affiliation=None)
    unclaimed, claimed = score(**base), score(**base, claimed=True)
    assert claimed["score"] == unclaimed["score"] + 15
    assert (unclaimed["level"], claimed["level"]) == ("L1", "L3")


@pytest.mark.parametrize("value, band", [(0, "New"), (19, "New"), (20, "Emerging"), (44, "Emerging"),
                                         (45, "Established"), (69, "Established"),
                                         (70, "Highly established"), (100, "Highly established")])
def test_bands_start_at_20_45_and_70_points(value, band):
    assert band_for(value) == band


def test_level_l1_has_works_l2_adds_an_orcid_l3_is_claimed():
    assert level_for(0, False, False) == "L0"
    assert level_for(3, False, False) == "L1"
    assert level_for(3, True, False) == "L2"
    assert level_for(0, False, True) == "L3"


@given(works=st.integers(0, 10_000), venues=st.integers(0, 500), coauthors=st.integers(0, 50_000),
       first=st.integers(1900, 2026), length=st.integers(0, 80), orcid=st.booleans(),
       affiliation=st.booleans(), claimed=st.booleans())
def test_score_is_bounded_monotone_in_claims_and_consistent(works, venues, coauthors, first, length,
                                                            orcid, affiliation, claimed):
    kwargs = dict(orcid="0000-0002-1825-0097" if orcid else None, first_year=first,
                  last_year=first + length, works_count=works, venues_count=venues,
                  collaborators_count=coauthors, affiliation="Somewhere" if affiliation else None)
    result = trust_score(**kwargs, claimed=claimed)
    assert 0 <= result["score"] <= 100
    assert all(0 <= s["points"] <= s["max"] for s in result["signals"])
    assert abs(result["score"] - sum(s["points"] for s in result["signals"])) <= 0.5 + 1e-9
    assert result == trust_score(**kwargs, claimed=claimed)  # pure
    more = trust_score(**{**kwargs, "works_count": works + 1}, claimed=claimed)
    assert more["score"] >= result["score"]
