"""What a fuzzer needs to know beyond JSON Schema to make valid requests from the API's
description: how to make a value of the description's own string formats.

    SCHEMATHESIS_HOOKS=bench/fuzz_hooks.py st run http://127.0.0.1:8000/api/openapi.json --checks all

`cursor` (researcher search): '*' starts cursor paging; any other valid cursor is a token the
server made from a hit's sort values (relevance score, works count, id), as in `next` links.
"""
from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from search.page import encode_cursor

_sort_values = st.tuples(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
                         st.integers(min_value=0, max_value=10_000),
                         st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
CURSOR = st.just("*") | _sort_values.map(encode_cursor)

schemathesis.openapi.format("cursor", CURSOR)
