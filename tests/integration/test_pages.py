"""The HTML pages, the graph API and the citation exports, on a real indexed sample.

The sample is 300 real papers of ACL 2022 indexed by the project's indexer
(tests/conftest.py::indexed_sample); the app runs in-process with
the real embedding model, so hybrid search is the real thing.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest

from web import create_app
from web.exports import bibtex, bibtex_escape, csl_json, ris
from web.pages.common import safe_highlight

pytestmark = pytest.mark.integration

SEED_WORK = "2022.acl-long.158"
SEED_PERSON = "shengding-hu"


class Page(HTMLParser):
    """The parts of a page the tests look at: tags with attributes, links, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def links(self) -> list[str]:
        return [a.get("href") or "" for t, a in self.tags if t == "a"]

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def web(indexed_sample):
    return create_app(indexed_sample).test_client()


@pytest.fixture(scope="module")
def sample_client(client, indexed_sample):
    return client, indexed_sample


def links_between(html: str, start: str, end: str) -> list[str]:
    """hrefs in the part of a page from marker `start` to marker `end`."""
    part = html[html.index(start):html.index(end, html.index(start))]
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', part)]


def get_page(web, url: str, status: int = 200) -> Page:
    resp = web.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.data[:500])
    assert resp.content_type.startswith("text/html")
    return Page(resp.get_data(as_text=True))


def most_prolific(sample_client) -> dict:
    client, s = sample_client
    resp = client.search(index=s.alias("researchers"), body={
        "size": 1, "sort": [{"works_count": "desc"}, {"id": "asc"}],
        "_source": ["id", "name", "works_count"]})
    return resp["hits"]["hits"][0]["_source"]


# ---- every page: accessible, escaped, no inline script -----------------------------

PAGES = ["/", f"/researchers/{SEED_PERSON}", f"/researchers/{SEED_PERSON}/works",
         f"/researchers/{SEED_PERSON}/recommended", f"/works/{SEED_WORK}", "/search?q=prompt+tuning",
         "/search?q=Shengdng+Hu&tab=people", "/search?q=zzqxv+wvvk", "/search",
         f"/explore?node=r:{SEED_PERSON}", "/explore", "/no-such-page"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_landmarks_and_no_inline_code(web, url):
    resp = web.get(url)
    assert resp.status_code in (200, 404)
    page = Page(resp.get_data(as_text=True))
    tags = {t for t, _ in page.tags}
    assert {"header", "nav", "main", "footer"} <= tags
    assert page.find("a", href="#main"), "skip link"
    assert page.find("main", id="main")
    assert page.find("html", lang="en")
    for tag, attrs in page.tags:
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), "scripts come from static files"
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
    for attrs in page.find("input"):
        if attrs.get("type") not in ("hidden", "submit"):
            assert page.find("label", **{"for": attrs.get("id")}), attrs
    assert "ACL Anthology" in page.text and "CC BY 4.0" in page.text


def test_user_input_is_escaped(web):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    resp = web.get("/search", query_string={"q": evil, "topic": evil})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# ---- researcher profile ---------------------------------------------------------------

def test_profile_shows_every_section_from_the_index(web, sample_client):
    client, s = sample_client
    doc = client.get(index=s.alias("researchers"), id=SEED_PERSON)["_source"]
    page = get_page(web, f"/researchers/{SEED_PERSON}")
    text = page.text
    assert page.find("h1") and doc["name"] in text
    assert (doc.get("current_affiliation") or "Affiliation not imported") in text
    assert ("Open to collaborate" if doc["open_to_collaborate"] else "Not yet marked open to collaborate") in text
    for label in ("Works", "Followers", "Topics", "Collaborators"):
        assert label in text
    trust = doc["trust"]
    assert f"{trust['score']} /100" in text or f"{trust['score']}/100" in text
    assert trust["band"] in text and trust["level"] in text
    assert "Unclaimed" in text and "Why this score" in text
    for sig in trust["signals"]:
        assert sig["detail"] in text
    assert "Co-authors" in text and re.search(r"\d+(\.\d+)?/15", text)
    links = page.links()
    # follow and claim are the accounts' real flows: signed out, following asks to sign in
    assert f"/account/login?next=/researchers/{SEED_PERSON}" in links
    assert f"/account/claims/new/{SEED_PERSON}" in links
    assert "0 followers" in text or f"{doc['followers_count']} follower" in text
    for label in doc["topic_labels"]:
        assert any(urlparse(h).path == "/search" and parse_qs(urlparse(h).query).get("topic") == [label]
                   for h in links), label
    for c in doc["collaborators"][:5]:
        assert f"/researchers/{c['id']}" in links
    assert f"/works/{SEED_WORK}" in links
    assert "Knowledgeable Prompt-tuning" in text
    assert page.find("details", **{"class": "abstract"}), "long abstracts are collapsed"
    assert f"/researchers/{SEED_PERSON}/recommended" in links
    graph = [a for t, a in page.tags if "data-graph-src" in a]
    assert graph and graph[0]["data-graph-src"] == f"/api/graph/researchers/{SEED_PERSON}"
    assert f"/explore?node=r:{SEED_PERSON}" in links


def test_profile_works_are_newest_first_capped_and_paged(web, sample_client):
    top = most_prolific(sample_client)
    page = get_page(web, f"/researchers/{top['id']}")
    shown = [h for h in page.links() if h.startswith("/works/") and "." in h]
    shown = list(dict.fromkeys(shown))
    from web.pages.researchers import PROFILE_WORKS
    assert 0 < len(shown) <= PROFILE_WORKS
    if top["works_count"] > PROFILE_WORKS:
        assert f"/researchers/{top['id']}/works" in page.links()
    all_works = get_page(web, f"/researchers/{top['id']}/works")
    listed = list(dict.fromkeys(h for h in all_works.links() if h.startswith("/works/")))
    assert len(listed) == top["works_count"]
    years = [int(y) for y in re.findall(r"(?:PAPER|paper|demo|DEMO|workshop|tutorial|WORKSHOP|TUTORIAL)\s+(\d{4})",
                                        all_works.text)]
    assert years == sorted(years, reverse=True)
    get_page(web, f"/researchers/{top['id']}/works?page=99", status=404)


def test_recommendations_come_with_reasons(web):
    page = get_page(web, f"/researchers/{SEED_PERSON}/recommended?fragment=1")
    assert not page.find("html"), "a fragment, not a page"
    people = [h for h in page.links() if h.startswith("/researchers/")]
    assert people and f"/researchers/{SEED_PERSON}" not in people
    assert page.find("ul", **{"class": "reasons"})
    full = get_page(web, f"/researchers/{SEED_PERSON}/recommended")
    assert full.find("main") and "Recommended new collaborators" in full.text


def test_missing_profile_is_a_friendly_404_and_the_api_stays_json(web):
    page = get_page(web, "/researchers/no-such-person-xyz", status=404)
    assert "Not found" in page.text and page.find("form", role="search")
    api = web.get("/api/researchers/no-such-person-xyz")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert web.get("/api/no/such/route").get_json()["error"]["code"] == "not_found"


def test_engine_down_is_a_friendly_503(indexed_sample):
    down = create_app(replace(indexed_sample, opensearch_url="http://127.0.0.1:9", request_timeout=1.0))
    web = down.test_client()
    resp = web.get(f"/researchers/{SEED_PERSON}")
    assert resp.status_code == 503 and resp.content_type.startswith("text/html")
    assert resp.headers.get("Retry-After")
    assert "not reachable" in Page(resp.get_data(as_text=True)).text
    assert web.get(f"/api/researchers/{SEED_PERSON}").get_json()["error"]["code"] == "search_unavailable"


# ---- work page and exports --------------------------------------------------------------

def test_work_page_shows_metadata_links_authors_and_similar_works_with_reasons(web):
    page = get_page(web, f"/works/{SEED_WORK}")
    text = page.text
    assert "Knowledgeable Prompt-tuning" in text
    for label in ("long paper", "2022", "Published in", "2225-2240"):
        assert label in text
    links = page.links()
    assert "https://doi.org/10.18653/v1/2022.acl-long.158" in links
    assert f"https://aclanthology.org/{SEED_WORK}/" in links
    assert f"/researchers/{SEED_PERSON}" in links
    assert "verbalizer" in text.lower()
    similar = [h for h in links if h.startswith("/works/") and h != f"/works/{SEED_WORK}"
               and not re.search(r"\.(bib|ris|json)$", h)]
    assert similar, "similar work is listed"
    whys = [a for t, a in page.tags if t == "p" and a.get("class") == "why"]
    assert len(whys) == len(set(similar))
    for ext in ("bib", "ris", "json"):
        assert f"/works/{SEED_WORK}.{ext}" in links


def test_exports_have_the_right_types_and_content(web):
    bib = web.get(f"/works/{SEED_WORK}.bib")
    assert bib.status_code == 200 and bib.content_type == "application/x-bibtex; charset=utf-8"
    text = bib.get_data(as_text=True)
    assert text.startswith("@inproceedings{hu-etal-2022-knowledgeable,")
    assert "author = {Hu, Shengding and Ding, Ning" in text
    assert "doi = {10.18653/v1/2022.acl-long.158}" in text and "pages = {2225--2240}" in text
    assert text.count("{") == text.count("}")
    ris_resp = web.get(f"/works/{SEED_WORK}.ris")
    assert ris_resp.content_type == "application/x-research-info-systems; charset=utf-8"
    lines = ris_resp.get_data(as_text=True).split("\r\n")
    assert lines[0] == "TY  - CPAPER" and "AU  - Hu, Shengding" in lines and "ER  - " in lines
    assert "SP  - 2225" in lines and "EP  - 2240" in lines
    csl = web.get(f"/works/{SEED_WORK}.json")
    assert csl.content_type == "application/vnd.citationstyles.csl+json; charset=utf-8"
    item = json.loads(csl.get_data(as_text=True))[0]
    assert item["type"] == "paper-conference" and item["DOI"] == "10.18653/v1/2022.acl-long.158"
    assert item["author"][0] == {"given": "Shengding", "family": "Hu"}
    assert item["issued"] == {"date-parts": [[2022, 5]]}
    assert web.get("/works/no-such-work.bib").status_code == 404


def test_bibtex_escapes_tex_specials():
    work = {"id": "x.1", "bibkey": "a{b}%c", "title": "50% of {Hard} cases & $x_1$ #1 ~ ^ \\cite",
            "authors": [{"id": "a", "name": "Ana María de la Cruz"}], "year": 2020,
            "url": "https://example.org/a_b%20c/"}
    out = bibtex(work)
    assert r"title = {50\% of \{Hard\} cases \& \$x\_1\$ \#1 \textasciitilde{} \textasciicircum{} \textbackslash{}cite}," in out
    assert out.startswith("@inproceedings{abc,")
    assert "author = {de la Cruz, Ana María}" in out
    assert "url = {https://example.org/a_b%20c/}" in out
    assert bibtex_escape("a\nb\tc") == "a b c"
    assert "TY  - CPAPER" in ris(work) and csl_json(work)[0]["author"] == [{"given": "Ana María", "family": "de la Cruz"}]


# ---- search -----------------------------------------------------------------------------

def test_search_finds_a_person_despite_a_typo(web):
    page = get_page(web, "/search?q=Shengdng+Hu")
    people = [h for h in page.links() if h.startswith("/researchers/")]
    assert people[0] == f"/researchers/{SEED_PERSON}"
    assert page.find("section", **{"aria-labelledby": "people-h"})
    assert page.find("section", **{"aria-labelledby": "papers-h"})


def test_search_highlights_are_sanitised_marks(web):
    resp = web.get("/search?q=prompt+tuning&mode=keyword&tab=papers")
    body = resp.get_data(as_text=True)
    assert "<mark>" in body
    for tag in re.findall(r"</?([a-z][a-z0-9]*)[^>]*>", body[body.index('id="papers-h"'):body.index('class="facets"')]):
        assert tag in {"h2", "span", "p", "a", "ol", "li", "h3", "mark", "strong", "nav", "section", "div"}, tag


def test_safe_highlight_lets_only_marks_through():
    assert str(safe_highlight("a <em>b</em> &lt;script&gt;")) == "a <mark>b</mark> &lt;script&gt;"
    assert str(safe_highlight("<mark>x")) == "<mark>x</mark>"
    assert str(safe_highlight("</mark>y<img src=x>")) == "y&lt;img src=x&gt;"
    assert str(safe_highlight(None)) == ""


def test_facets_are_links_that_filter_both_lists(web):
    html = web.get("/search?q=language+models&mode=keyword").get_data(as_text=True)
    facet_links = [h for h in links_between(html, 'class="facets"', "</aside>") if "topic=" in h]
    assert facet_links
    query = parse_qs(urlparse(facet_links[0]).query)
    assert query["q"] == ["language models"] and query["mode"] == ["keyword"]
    filtered_html = web.get(facet_links[0]).get_data(as_text=True)
    assert f"Topic: {query['topic'][0]}" in Page(filtered_html).text
    remove = links_between(filtered_html, 'class="active-filters"', "</ul>")
    assert len(remove) == 1 and "topic" not in parse_qs(urlparse(remove[0]).query)
    assert parse_qs(urlparse(remove[0]).query)["q"] == ["language models"]
    year = get_page(web, "/search?q=language+models&mode=keyword&year=2022&venue=acl&tab=papers")
    assert "Year: 2022" in year.text and "Venue: acl" in year.text
    assert [h for h in year.links() if h.startswith("/works/")]


def test_topic_search_from_a_profile_link(web, sample_client):
    client, s = sample_client
    label = client.get(index=s.alias("researchers"), id=SEED_PERSON)["_source"]["topic_labels"][0]
    page = get_page(web, f"/search?topic={label}")
    assert f"Topic: {label}" in page.text
    assert [h for h in page.links() if h.startswith("/researchers/")]
    assert [h for h in page.links() if h.startswith("/works/")]


def test_hybrid_papers_page_through_new_works_with_next_and_previous_links(web):
    first = get_page(web, "/search?q=prompt+tuning&tab=papers")
    assert "Exact words only" in first.text
    nxt = [a["href"] for a in first.find("a", rel="next")]
    assert nxt and "page=2" in nxt[0]
    second = get_page(web, nxt[0])
    assert [a for a in second.find("a", rel="prev")]
    one = {h for h in first.links() if h.startswith("/works/")}
    two = {h for h in second.links() if h.startswith("/works/")}
    assert two and not (one & two)


def test_empty_results_suggest_topics(web):
    page = get_page(web, "/search?q=zzqxv+wvvk&mode=keyword")
    assert "No researcher matches" in page.text and "No paper matches" in page.text
    assert [h for h in page.links() if "topic=" in h]
    home = get_page(web, "/")
    assert home.find("form", role="search") and [h for h in home.links() if "topic=" in h]


def test_a_misspelt_name_gets_a_did_you_mean_for_the_person(web):
    page = get_page(web, "/search?q=Shengdng+Hu&mode=keyword")
    assert "Did you mean the researcher" in page.text


def test_the_search_box_is_a_typeahead_on_the_autocomplete_api(web):
    page = get_page(web, "/")
    combo = [a for t, a in page.tags if "data-typeahead" in a][0]
    assert combo["data-endpoint"] == "/api/researchers/autocomplete"
    assert page.find("ul", role="listbox")
    found = web.get("/api/researchers/autocomplete?q=Shengd").get_json()["results"]
    assert found[0]["id"] == SEED_PERSON


# ---- graph ------------------------------------------------------------------------------

def test_graph_slice_of_a_researcher_and_expanding_a_node(web):
    data = web.get(f"/api/graph/researchers/{SEED_PERSON}").get_json()
    assert data["center"] == f"r:{SEED_PERSON}"
    ids = {n["id"] for n in data["nodes"]}
    kinds = {n["kind"] for n in data["nodes"]}
    assert {"researcher", "work", "topic"} <= kinds
    assert f"w:{SEED_WORK}" in ids
    for e in data["edges"]:
        assert e["source"] in ids and e["target"] in ids
    for n in data["nodes"]:
        assert n["url"].startswith(("/researchers/", "/works/", "/search?")) and n["expand"].startswith("/api/graph/")
    topic = next(n for n in data["nodes"] if n["kind"] == "topic")
    more = web.get(topic["expand"]).get_json()
    assert more["center"] == topic["id"] and len(more["nodes"]) > 1
    work = web.get(f"/api/graph/works/{SEED_WORK}?limit=4").get_json()
    assert {e["kind"] for e in work["edges"]} >= {"authored", "similar"}
    assert web.get("/api/graph/works/nope").status_code == 404
    assert web.get("/api/graph/planets/x").status_code == 404
    assert web.get(f"/api/graph/researchers/{SEED_PERSON}?limit=0").status_code == 400


def test_explorer_lists_neighbours_without_javascript(web):
    page = get_page(web, f"/explore?node=w:{SEED_WORK}")
    assert f"/researchers/{SEED_PERSON}" in page.links()
    assert any(h.startswith("/explore?node=") for h in page.links())
    assert [a for t, a in page.tags if a.get("data-graph-src") == f"/api/graph/works/{SEED_WORK}"]
    get_page(web, "/explore?node=x:nothing", status=404)
    get_page(web, "/explore?node=r:no-such-person", status=404)


def test_static_assets_are_served(web):
    for path in ("/static/css/site.css", "/static/js/typeahead.js", "/static/js/graph.js",
                 "/static/js/fragments.js"):
        resp = web.get(path)
        assert resp.status_code == 200, path
        resp.close()
