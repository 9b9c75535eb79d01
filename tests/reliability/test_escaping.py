"""Every page escapes data and input: crafted papers whose title, abstract, author, affiliation,
venue and topics carry <script>, quotes and markup are indexed into a test prefix through the
real reader, aggregation and bulk writer; then every page that shows them, and every page that
echoes a query, must contain the text only as escaped text."""
from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
BREAK_ATTR = '"><svg onload=alert(2)>'
SINGLE = "' onmouseover='alert(3)"
PAYLOADS = [SCRIPT, IMG, BREAK_ATTR, SINGLE, "<b>bold</b>", "</textarea></title><i>"]
# what must never appear in HTML: any of these means a payload became markup
RAW = [re.compile(p, re.I) for p in (r"<script>alert", r"<img src=x", r"<svg onload", r"<b>bold</b>",
                                     r"</textarea></title><i>", r"' onmouseover='alert")]


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def crafted_collection(root: Path) -> Path:
    title = f"Attention {SCRIPT} is &quot;all&quot; {IMG} you need"
    abstract = f"We show {BREAK_ATTR} and {SINGLE} and <b>bold</b> things, long enough to count as an abstract here."
    xml = f"""\
    <?xml version='1.0' encoding='UTF-8'?>
    <collection id="2099.evil">
      <volume id="long" type="proceedings">
        <meta>
          <booktitle>{_xml("Proceedings of " + SCRIPT)}</booktitle>
          <publisher>{_xml(BREAK_ATTR)}</publisher>
          <address>{_xml(IMG)}</address>
          <month>May</month>
          <year>2022</year>
          <venue>evil</venue>
        </meta>
        <paper id="1">
          <title>{_xml(title)}</title>
          <author><first>{_xml("Eve " + SCRIPT)}</first><last>{_xml("O'Brien" + BREAK_ATTR)}</last>
            <affiliation>{_xml(IMG + " University")}</affiliation></author>
          <author><first>Mallory</first><last>{_xml("<b>bold</b>")}</last></author>
          <abstract>{_xml(abstract)}</abstract>
          <url hash="x">2099.evil-long.1</url>
          <bibkey>{_xml("evil" + SINGLE)}</bibkey>
        </paper>
        <paper id="2">
          <title>{_xml("Second </textarea></title><i> paper " + SINGLE)}</title>
          <author><first>{_xml("Eve " + SCRIPT)}</first><last>{_xml("O'Brien" + BREAK_ATTR)}</last></author>
          <abstract>{_xml("Another abstract with " + SCRIPT + " inside it, long enough to be kept as one.")}</abstract>
          <url hash="y">2099.evil-long.2</url>
        </paper>
      </volume>
    </collection>
    """
    (root / "xml").mkdir(parents=True)
    (root / "yaml" / "venues").mkdir(parents=True)
    (root / "yaml" / "venues" / "evil.yaml").write_text(
        f"acronym: EVIL\nname: {_yaml(SCRIPT + ' Venue')}\n", encoding="utf-8")
    path = root / "xml" / "2099.evil.xml"
    path.write_text(textwrap.dedent(xml), encoding="utf-8")
    return path


def _yaml(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def crafted(client, settings, tmp_path_factory):
    """Settings of a prefix holding the crafted works and their researchers."""
    from indexer.aggregate import Aggregator, work_document
    from indexer.sources.acl import AnthologySource
    from indexer.write import bulk_index
    from search import lifecycle

    root = tmp_path_factory.mktemp("evil-data")
    path = crafted_collection(root)
    result = AnthologySource(root).read_collection(path)
    assert not result.rejects and len(result.records) == 2, result.rejects
    evil = replace(settings, index_prefix=settings.index_prefix.replace("test-", "test-evil-", 1))
    rng = np.random.default_rng(0)

    def vector():
        v = rng.normal(size=evil.embedding_dims)
        return (v / np.linalg.norm(v)).tolist()

    labels = [f"<i>{SCRIPT}</i> topic", f"Topic {BREAK_ATTR}"]
    works = []
    aggregator = Aggregator()
    for record in result.records:
        aggregator.add(record)
        doc = work_document(record)
        doc.update(topics=["evil-topic", "attr-topic"], topic_labels=labels, embedding=vector())
        works.append(doc)
    people = []
    for doc in aggregator.researchers():
        doc.update(topics=["evil-topic"], topic_labels=labels[:1], embedding=vector())
        people.append(doc)
    rejects = []
    with lifecycle.building(client, evil, ("works", "researchers")) as new:
        assert bulk_index(client, new["works"], works, on_reject=lambda *a: rejects.append(a)) == 2
        assert bulk_index(client, new["researchers"], people, on_reject=lambda *a: rejects.append(a)) == len(people)
    assert not rejects
    yield {"settings": evil, "works": [w["id"] for w in works], "people": [p["id"] for p in people],
           "names": [p["name"] for p in people]}
    lifecycle.drop_prefix(client, evil)


@pytest.fixture(scope="module")
def web(crafted):
    from web import create_app

    app = create_app(crafted["settings"], embed=lambda text: [0.05] * crafted["settings"].embedding_dims)
    return app.test_client()


class Tags(HTMLParser):
    """Start tags and attributes of a page, as a browser would build them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_no_active_content(html: str, where: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        handlers = [a for a in attrs if a.startswith("on")]
        assert not handlers, f"event handler {handlers} on <{tag}> in {where}"
        assert tag not in ("svg", "iframe", "object", "embed", "base"), f"<{tag}> in {where}"
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), f"inline or foreign script in {where}: {attrs}"
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), f"{name} in {where}"


def assert_escaped(resp, must_show: list[str] = ()) -> str:
    html = resp.get_data(as_text=True)
    assert resp.mimetype == "text/html", resp.mimetype
    assert_no_active_content(html, resp.request.path)
    for pattern in RAW:
        match = pattern.search(html)
        assert match is None, f"unescaped {match.group(0)!r} in {resp.request.path}: ...{html[max(0, match.start() - 200):match.end() + 100]}..."
    for text in must_show:
        assert text in html, f"{text!r} not shown on {resp.request.path}"
    return html


def pages_for(crafted) -> list[str]:
    from urllib.parse import quote

    w1, w2 = crafted["works"]
    eve = next(p for p, n in zip(crafted["people"], crafted["names"]) if n.startswith("Eve"))
    return [
        f"/works/{w1}", f"/works/{w2}",
        f"/researchers/{quote(eve)}", f"/researchers/{quote(eve)}/works",
        f"/researchers/{quote(eve)}/recommended", f"/researchers/{quote(eve)}/recommended?fragment=1",
        f"/explore?node=r:{quote(eve)}", f"/explore?node=w:{w1}",
        "/search?q=attention&mode=keyword", "/search?q=attention&mode=keyword&tab=papers",
        "/search?q=eve&tab=people", "/search?q=attention", "/search?topic=" + quote(f"<i>{SCRIPT}</i> topic"),
        "/", "/explore",
    ]


def test_crafted_data_is_escaped_on_every_page(web, crafted):
    shown_somewhere = set()
    for url in pages_for(crafted):
        resp = web.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        html = assert_escaped(resp)
        for marker in ("&lt;script&gt;alert(", "&lt;img src=x", "&lt;svg onload", "&lt;b&gt;bold&lt;/b&gt;"):
            if marker in html:
                shown_somewhere.add(marker)
    # the crafted text is shown (escaped), not dropped
    assert shown_somewhere == {"&lt;script&gt;alert(", "&lt;img src=x", "&lt;svg onload", "&lt;b&gt;bold&lt;/b&gt;"}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_queries_and_arguments_are_escaped(web, crafted, payload):
    from urllib.parse import quote, urlencode

    urls = [
        "/search?" + urlencode({"q": payload}),
        "/search?" + urlencode({"q": payload, "tab": "people", "mode": "keyword"}),
        "/search?" + urlencode({"q": "attention", "topic": payload, "affiliation": payload, "venue": payload,
                                "mode": payload, "tab": payload, "page": payload, "year": payload}),
        "/explore?" + urlencode({"node": payload}),
        "/explore?" + urlencode({"node": "r:" + payload}),
        "/researchers/" + quote(payload, safe=""),
        "/works/" + quote(payload, safe=""),
        "/researchers/" + quote(payload, safe="") + "/works?page=" + quote(payload),
        "/no-such-page/" + quote(payload, safe="") + "?" + urlencode({"q": payload}),
    ]
    for url in urls:
        resp = web.get(url)
        assert resp.status_code in (200, 400, 404), (url, resp.status_code)
        assert_escaped(resp)


def test_highlights_keep_only_mark(web, crafted):
    html = assert_escaped(web.get("/search?q=attention+script&mode=keyword&tab=papers"))
    assert "<mark>" in html  # highlights survive as the only markup from the engine


def test_api_answers_json_never_html(web, crafted):
    from urllib.parse import urlencode

    w1 = crafted["works"][0]
    for url in (f"/api/works/{w1}", "/api/works?" + urlencode({"q": SCRIPT, "mode": "keyword"}),
                "/api/researchers?" + urlencode({"q": SCRIPT}), "/api/works/" + "%3Cscript%3E"):
        resp = web.get(url)
        assert resp.mimetype == "application/json", (url, resp.mimetype)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_exports_do_not_break_out(web, crafted):
    w1 = crafted["works"][0]
    bib = web.get(f"/works/{w1}.bib")
    assert bib.status_code == 200 and bib.mimetype == "application/x-bibtex"
    assert 'filename="' in bib.headers["Content-Disposition"] and '"' not in bib.headers["Content-Disposition"].split('filename="', 1)[1][:-1]
