"""Lines the pages print about works: author lists, badges, reasons (pure rendering)."""
from __future__ import annotations

import re

import pytest

from peerscope.config import Settings
from web.pages.works import why

pytestmark = pytest.mark.unit

AUTHORS = [{"id": f"p{i}", "name": f"Person {i}"} for i in range(20)]


@pytest.fixture(scope="module")
def macros(tmp_path_factory):
    from web import create_app

    app = create_app(Settings(opensearch_url="http://127.0.0.1:9", redis_url="redis://127.0.0.1:9/0",
                              index_prefix="test-lines-", state_dir=tmp_path_factory.mktemp("lines")),
                     embed=lambda text: [0.0] * 384)
    with app.test_request_context():
        yield app.jinja_env.get_template("_macros.html").module


def _text(html) -> str:
    return re.sub(r"<[^>]+>", "", str(html)).strip()


def test_a_long_author_list_keeps_the_profile_owner_in_view(macros):
    assert _text(macros.authors_line(AUTHORS, "p2", limit=5)) == \
        "Person 0, Person 1, Person 2, Person 3, Person 4 and 15 more"
    late = str(macros.authors_line(AUTHORS, "p17", limit=5))
    assert _text(late) == "Person 0, Person 1, Person 2, Person 3, … Person 17 and 15 more"
    assert "<strong>Person 17</strong>" in late
    assert _text(macros.authors_line(AUTHORS[:3], "p9", limit=5)) == "Person 0, Person 1, Person 2"


def test_a_findings_paper_says_findings_once(macros):
    line = _text(macros.work_meta({"type": "findings", "year": 2025, "venue_ids": ["findings"]}))
    assert line == "findings · 2025"
    assert _text(macros.work_meta({"type": "long paper", "year": 2025, "venue_ids": ["acl"]})) == "long paper · 2025 · ACL"


def test_similar_work_reasons_say_how_many_are_left_out():
    seed = {"authors": AUTHORS[:4], "topic_labels": ["parsing"]}
    assert why(seed, {"authors": AUTHORS[:4], "topic_labels": ["parsing"]}).startswith(
        "Same authors: Person 0, Person 1, Person 2 and 1 more; Shared topic: parsing")
