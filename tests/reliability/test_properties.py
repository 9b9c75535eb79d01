"""Property tests of the two places hostile input enters: the API's query-string and body
schemas (web/schemas.py) and the Anthology reader (indexer/sources/acl.py).

Whatever arrives, a schema either returns values inside its declared bounds or raises a
ValidationError whose messages name fields; the reader either accepts a paper or rejects it
with a reason, and never raises.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from marshmallow import ValidationError

pytestmark = pytest.mark.unit

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- query strings


def _schemas():
    from web import schemas as S
    from web.api.graph import GraphArgs

    return {"researchers": S.ResearcherSearchArgs, "autocomplete": S.AutocompleteArgs,
            "collaborators": S.CollaboratorArgs, "works": S.WorkSearchArgs, "similar": S.SimilarWorkArgs,
            "graph": GraphArgs}


SCHEMAS = _schemas()
KNOWN = sorted({name for cls in SCHEMAS.values() for name in cls().fields} | {"sort", "from", "size[]", ""})

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=400),
    st.sampled_from(["", " ", "*", "-1", "0", "1e309", "NaN", "inf", "99999999999999999999", "true", "null",
                     "2022", "1899", "2101", "\x00", "'", '"', "<script>", "%00", "../..", "[]", "{}", "q\u202e",
                     "ｑ", "１２", "1_000", " 5 ", "+7", "0x10", "1.0", "yes", "on"]),
    st.integers(-10**12, 10**12).map(str),
)
query_args = st.dictionaries(st.one_of(st.sampled_from(KNOWN), st.text(max_size=12)), nasty_text, max_size=8)


def _check_bounds(name: str, data: dict) -> None:
    """A loaded dict holds only declared fields, inside their bounds."""
    from web.schemas import MAX_Q

    fields = SCHEMAS[name]().fields
    assert set(data) <= set(fields), data
    for key in ("page",):
        if key in data:
            assert 1 <= data[key] <= 100
    if "size" in data:
        assert 1 <= data["size"] <= 50
    if "limit" in data:
        assert data["limit"] >= 1
    for key in ("year_from", "year_to", "active_since", "active_until"):
        if data.get(key) is not None:
            assert 1900 <= data[key] <= 2100
    for key in ("q", "topic", "affiliation", "venue", "author"):
        if data.get(key) is not None:
            assert isinstance(data[key], str) and len(data[key]) <= MAX_Q
    if "mode" in data:
        assert data["mode"] in ("hybrid", "keyword", "vector")
    if "negative" in data:  # an id in both lists counts as positive
        assert not set(data["negative"]) & set(data.get("positive") or [])


def _check_messages(exc: ValidationError) -> None:
    messages = exc.messages
    assert isinstance(messages, dict) and messages
    for field_name, msgs in messages.items():
        assert isinstance(field_name, str)  # may be "" when the client sent an empty argument name
        flat = msgs if isinstance(msgs, list) else [msgs]
        assert flat and all(m for m in flat), messages


@FAST
@given(name=st.sampled_from(sorted(SCHEMAS)), args=query_args)
def test_query_args_load_within_bounds_or_fail_with_field_messages(name, args):
    try:
        data = SCHEMAS[name]().load(args)
    except ValidationError as exc:
        _check_messages(exc)
    else:
        _check_bounds(name, data)


@FAST
@given(cursor=st.one_of(st.text(max_size=600), st.binary(max_size=300).map(lambda b: b.hex()),
                        st.builds(lambda b: __import__("base64").urlsafe_b64encode(b).decode(),
                                  st.binary(max_size=200))))
def test_any_cursor_token_is_decoded_or_rejected(cursor):
    from web.schemas import ResearcherSearchArgs

    try:
        data = ResearcherSearchArgs().load({"cursor": cursor})
    except ValidationError as exc:
        _check_messages(exc)
        assert "cursor" in exc.messages
    else:
        assert isinstance(data["cursor"], list)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                         nasty_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=25),
                                                                 st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=5)), max_leaves=40)
body_keys = st.sampled_from(["positive", "negative", "text", "size", "exclude_own_authors", "filters", "extra"])


@FAST
@given(body=st.one_of(json_values, st.dictionaries(body_keys, json_values, max_size=6)))
def test_similar_bodies_load_within_bounds_or_fail_with_field_messages(body):
    from web.schemas import MAX_EXAMPLES, MAX_ID, SimilarSetBody

    try:
        data = SimilarSetBody().load(body) if isinstance(body, dict) else SimilarSetBody().load(body)
    except ValidationError as exc:
        _check_messages(exc)
    else:
        assert data["positive"] or (data.get("text") or "").strip()
        for key in ("positive", "negative"):
            assert len(data[key]) <= MAX_EXAMPLES and all(1 <= len(i) <= MAX_ID for i in data[key])
        assert not set(data["positive"]) & set(data["negative"])
        assert 1 <= data["size"] <= 50


class _Engine:
    """Answers every search with nothing, so that valid requests complete without a node."""

    def __getattr__(self, name):
        raise AssertionError(f"unexpected engine call {name}")

    def search(self, index, body, **_):
        return {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "aggregations": {}}

    def msearch(self, body, **_):
        n = len(body) // 2
        return {"responses": [self.search(None, None) for _ in range(n)]}

    @property
    def indices(self):
        """No alias holds a stored ranker (search.ranker), so recommendations use the fusion."""
        return type("Indices", (), {"exists_alias": staticmethod(lambda **_: False)})()


@pytest.fixture(scope="module")
def api():
    from peerscope.config import Settings
    from web import create_app

    app = create_app(Settings(opensearch_url="http://127.0.0.1:9", index_prefix="test-props-",
                              redis_url="redis://127.0.0.1:9/0"), embed=lambda text: [0.1] * 384)
    services = app.extensions["peerscope"]
    app.extensions["peerscope"] = type(services)(**{**services.__dict__, "opensearch": _Engine()})
    return app.test_client()


@FAST
@given(path=st.sampled_from(["/api/researchers", "/api/researchers/autocomplete", "/api/works",
                             "/api/works/W1/similar", "/api/researchers/r1/collaborators"]),
       raw=st.lists(st.tuples(st.one_of(st.sampled_from(KNOWN), st.text(max_size=8)), nasty_text), max_size=6))
def test_any_query_string_is_answered_with_json_200_400_or_404(api, path, raw):
    from urllib.parse import urlencode

    qs = urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in raw])
    resp = api.get(f"{path}?{qs}")
    assert resp.status_code in (200, 400, 404), (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.get_json()
    if resp.status_code != 200:
        assert body["error"]["code"] and body["error"]["message"]
        if resp.status_code == 400:
            assert body["error"].get("fields"), body


# ---------------------------------------------------------------- the Anthology reader

TAGS = ["collection", "volume", "meta", "year", "month", "booktitle", "venue", "paper", "title", "author",
        "first", "last", "affiliation", "abstract", "url", "doi", "pages", "bibkey", "removed", "retracted",
        "variant", "fixed-case", "tex-math", "i", "b", "frontmatter", "editor", "erratum", "video"]
ATTRS = ["id", "type", "hash", "orcid", "date", "ingest-date"]
field_text = st.one_of(st.text(max_size=30), st.sampled_from(
    ["2022", "1492", "3000", "20x2", "", " ", "2022.x-1.1", "https://example.org/a.pdf", "P05-1001", "long",
     "0000-0002-1825-0097", "W09", "99", "-1", "0", "a" * 300]))


def _element(draw_children):
    return st.builds(lambda tag, attrs, text, kids, tail: (tag, attrs, text, kids, tail),
                     st.sampled_from(TAGS), st.dictionaries(st.sampled_from(ATTRS), field_text, max_size=3),
                     st.one_of(st.none(), field_text), draw_children, st.one_of(st.none(), field_text))


trees = st.recursive(_element(st.just([])), lambda inner: _element(st.lists(inner, max_size=5)), max_leaves=30)


def _build(node, parent=None):
    tag, attrs, text, kids, tail = node
    clean = {k: "".join(ch for ch in v if _xml_ok(ch)) for k, v in attrs.items()}
    el = etree.Element(tag, clean) if parent is None else etree.SubElement(parent, tag, clean)
    el.text = _clean(text)
    el.tail = _clean(tail) if parent is not None else None
    for kid in kids:
        _build(kid, el)
    return el


def _xml_ok(ch: str) -> bool:
    c = ord(ch)
    return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or 0x10000 <= c <= 0x10FFFF


def _clean(text):
    return None if text is None else "".join(ch for ch in text if _xml_ok(ch))


def _read(xml: bytes):
    from indexer.sources.acl import AnthologySource

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.xml"
        path.write_bytes(xml)
        return AnthologySource(tmp).read_collection(path)


def _check_result(result) -> None:
    import datetime as dt

    from indexer.records import Reject

    assert all(isinstance(r, Reject) and r.reason and r.reason.strip() for r in result.rejects)
    if not any(r.entity == "collection" for r in result.rejects):
        work_rejects = [r for r in result.rejects if r.entity == "work"]
        assert result.papers_seen == len(result.records) + len(work_rejects)
    for record in result.records:
        assert record["id"] and record["title"].strip()
        assert 1900 <= record["year"] <= dt.date.today().year + 1
        assert all(a["id"] for a in record["authors"])


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(tree=trees)
def test_well_formed_trees_of_anthology_tags_never_crash_the_reader(tree):
    root = _build(("collection", {"id": "2022.x"}, None, [tree], None))
    _check_result(_read(etree.tostring(root, xml_declaration=True, encoding="UTF-8")))


VALID_PAPER = ("<paper id='{pid}'><title>{title}</title><author><first>{first}</first><last>{last}</last>"
               "<affiliation>{aff}</affiliation></author><abstract>{abstract}</abstract><url>{url}</url></paper>")


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(cid=field_text, vid=field_text, year=field_text, pid=field_text, title=field_text, first=field_text,
       last=field_text, aff=field_text, abstract=field_text, url=field_text,
       repeat=st.integers(1, 3))
def test_a_real_paper_shape_with_any_field_values_is_accepted_or_rejected(cid, vid, year, pid, title, first,
                                                                         last, aff, abstract, url, repeat):
    from xml.sax.saxutils import escape, quoteattr

    def e(s):
        return escape(_clean(s))

    paper = VALID_PAPER.format(pid=e(pid).replace("'", "&apos;"), title=e(title), first=e(first), last=e(last),
                               aff=e(aff), abstract=e(abstract), url=e(url))
    xml = (f"<?xml version='1.0' encoding='UTF-8'?><collection id={quoteattr(_clean(cid))}>"
           f"<volume id={quoteattr(_clean(vid))}><meta><year>{e(year)}</year></meta>{paper * repeat}</volume>"
           "</collection>")
    result = _read(xml.encode("utf-8"))
    _check_result(result)
    if repeat > 1 and result.records:  # the same id twice: the second is a duplicate, with a reason
        assert any("duplicate" in r.reason for r in result.rejects)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000))
def test_bytes_after_a_valid_header_never_crash_the_reader(data):
    _check_result(_read(b"<?xml version='1.0' encoding='UTF-8'?>\n<collection id='2022.x'>" + data))


def test_entities_and_network_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xml = (f"<?xml version='1.0'?><!DOCTYPE c [<!ENTITY x SYSTEM 'file://{secret}'>"
           "<!ENTITY big 'aaaaaaaaaa'><!ENTITY big2 '&big;&big;&big;&big;&big;&big;&big;&big;'>]>"
           "<collection id='2022.x'><volume id='1'><meta><year>2022</year></meta>"
           "<paper id='1'><title>T &x; &big2;</title><author><first>A</first><last>B</last></author>"
           "<url>2022.x-1.1</url></paper></volume></collection>").encode()
    result = _read(xml)
    _check_result(result)
    for record in result.records:
        assert "TOP SECRET" not in record["title"]
