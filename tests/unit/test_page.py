"""The one result-page type: when a next page is offered, and the JSON shape."""
import pytest

from search.page import Page, decode_cursor, encode_cursor
from search.params import MAX_PAGE

pytestmark = pytest.mark.unit


def test_a_next_page_is_offered_while_results_remain():
    assert Page.numbered([], 41, 2, 20).next == {"page": 3}
    assert Page.numbered([], 40, 2, 20).next is None


def test_no_next_page_past_the_last_page_or_the_fused_window():
    assert Page.numbered([], 10_000, MAX_PAGE, 20).next is None
    assert Page.numbered([], 10_000, MAX_PAGE, 20, last_page=None).next == {"page": MAX_PAGE + 1}
    assert Page.numbered([], 10_000, 49, 20, window=1000).next == {"page": 50}
    assert Page.numbered([], 10_000, 50, 20, window=1000).next is None


def test_a_whole_list_is_one_page_of_its_results():
    page = Page.whole([{"id": "a"}, {"id": "b"}], 10, seed={"id": "s"})
    assert (page.total, page.page, page.size, page.next, page.seed) == (2, 1, 10, None, {"id": "s"})


def test_as_dict_lists_the_paging_fields_then_only_the_extras_a_list_has():
    assert list(Page.numbered([], 0, 1, 20, mode="keyword").as_dict()) == \
        ["results", "total", "page", "size", "next", "mode"]
    assert Page([], 0, 1, 20, facets={}).as_dict()["facets"] == {}


def test_cursors_round_trip_and_reject_anything_else():
    assert decode_cursor(encode_cursor([1.5, "x", None])) == [1.5, "x", None]
    for bad in ("not-a-cursor", "W10", "e30"):  # not base64 JSON, "[]", "{}"
        with pytest.raises(ValueError):
            decode_cursor(bad)
