"""What a caller may ask of the search services, in one place: paging limits, list sizes, the
year range and the filter keys of each kind of list.

The API's request schemas (web/schemas.py) and the pages' lenient readers take their bounds
from here, and the services read their filters by these keys.
"""
from __future__ import annotations

import re

MAX_PAGE = 100  # the deepest page of any numbered list
PAGE_SIZE, MAX_PAGE_SIZE = 20, 50  # a page of search results
LIKE_SIZE = 10  # similar works, recommended collaborators
COMPLETE_SIZE, MAX_COMPLETE_SIZE = 8, 20  # typeahead
# hybrid fuses the top HYBRID_WINDOW of each list; deeper pages are not served
HYBRID_WINDOW = 1000
FEED_SIZE, FEED_MAX_PAGE = 20, 50  # new works of the people someone follows
YEARS = (1900, 2100)  # the years a filter may name

# the sources a work may have a version in (a work's `sources`; the `source` filter's values)
SOURCES = ("acl", "arxiv")
# works: the API takes all but topic and affiliation, which the search page also narrows papers by
WORK_FILTERS = ("year_from", "year_to", "venue", "author", "source", "topic", "affiliation")
RESEARCHER_FILTERS = ("topic", "affiliation", "venue", "active_since", "active_until", "has_orcid")
COLLABORATOR_FILTERS = ("active_since", "affiliation")
# the search page's: one year for people and papers alike
FINDER_FILTERS = ("topic", "affiliation", "venue", "year", "source")

# A work may be asked for by any of its versions' ids, an arXiv id as arXiv writes it too.
_ARXIV_ID = re.compile(r"(?:arxiv:)?(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)


def version_id(work_id: str) -> str:
    """The id a version is indexed under: an arXiv id as written anywhere ("2503.16063",
    "arXiv:2503.16063v2") is "arxiv:2503.16063" (versions of a preprint are one work)."""
    m = _ARXIV_ID.fullmatch(work_id.strip())
    return f"arxiv:{m.group(1)}" if m else work_id
