"""Researcher search on the real indexed sample: a query in which any whole word is a word of
someone's name never comes back empty, whatever the other words are."""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import results as R
from search.queries import researchers as Q
from search.researchers import search_researchers

pytestmark = pytest.mark.integration

FEW = settings(max_examples=60, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow])
# anything a hurried hand types in place of a word: letters, a hyphen or an apostrophe
noise_word = st.text(alphabet=string.ascii_letters + "-'", min_size=1, max_size=12)


@pytest.fixture(scope="module")
def people(client, indexed_sample) -> list[dict]:
    body = {"size": 2000, "_source": ["id", "name"], "query": {"match_all": {}}, "sort": [{"id": "asc"}]}
    found = [h["_source"] for h in R.hits(client.search(index=indexed_sample.alias("researchers"), body=body))]
    assert len(found) > 100
    return found


def _found_ids(client, sample, q: str) -> list[str]:
    body = Q.search_body(q, {}, size=10_000, facets=False)
    body["_source"] = False
    return [h["_id"] for h in R.hits(client.search(index=sample.alias("researchers"), body=body))]


@FEW
@given(data=st.data())
def test_a_whole_name_word_among_noise_always_finds_its_people(client, indexed_sample, people, data):
    person = data.draw(st.sampled_from(people))
    word = data.draw(st.sampled_from([w for w in person["name"].split() if any(c.isalnum() for c in w)]))
    noise = data.draw(st.lists(noise_word, max_size=4))
    at = data.draw(st.integers(0, len(noise)))
    q = " ".join([*noise[:at], word, *noise[at:]])
    page = search_researchers(client, indexed_sample, {"q": q, "size": 10})
    assert page.total > 0 and page.results, q
    assert person["id"] in _found_ids(client, indexed_sample, q), q


def test_a_mangled_first_name_beside_an_exact_last_name(client, indexed_sample, people):
    """Swapped first letters ("aKnika Kalra" for Kanika Kalra) still put the person first or
    near it, and a hopeless first word still lists the people of that last name."""
    for person in people[:40]:
        words = person["name"].split()
        if len(words) != 2 or len(words[0]) < 4 or words[0][0] == words[0][1]:
            continue
        first, last = words
        swapped = f"{first[1]}{first[0]}{first[2:]} {last}"
        top = [r["id"] for r in search_researchers(client, indexed_sample, {"q": swapped, "size": 5}).results]
        assert person["id"] in top, (swapped, top)
        hopeless = f"Qxzvw {last}"
        assert person["id"] in _found_ids(client, indexed_sample, hopeless), hopeless
