"""The ACL Anthology reader: text extraction, identity, ids, types and rejects."""
from __future__ import annotations

import datetime as dt
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.records import Reject
from indexer.sources.acl import AnthologySource, PersonIndex, anthology_id, clean_affiliation

pytestmark = pytest.mark.unit

REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "acl-anthology"

NAME_VARIANTS = """\
- canonical: {first: José I., last: Abreu}
  variants:
  - {first: Jose I., last: Abreu}
  - {first: José, last: Abreu}
- canonical: {first: Felicia, last: Körner}
  id: felicia-koerner
  orcid: 0000-0002-4086-5338
  variants:
  - {first: Felicia, last: Koerner}
- canonical: {first: Wei, last: Ai}
  id: wei-ai
- canonical: {first: Wei, last: Ai}
  id: wei-ai-umich
- canonical: {first: Caio, last: Corro}
  orcid: https://orcid.org/0000-0001-7443-4109
"""

VENUES = {
    "acl": "acronym: ACL\nis_toplevel: true\nname: Annual Meeting of the Association for Computational Linguistics\n",
    "tacl": "acronym: TACL\nis_toplevel: true\nname: Transactions of the ACL\ntype: journal\n",
    "findings": "acronym: Findings\nis_toplevel: true\nname: Findings of the ACL\n",
    "bionlp": "acronym: BioNLP\nname: Workshop on Biomedical NLP\n",
}


def make_source(root: Path, **kwargs) -> AnthologySource:
    (root / "xml").mkdir(parents=True, exist_ok=True)
    (root / "yaml" / "venues").mkdir(parents=True, exist_ok=True)
    (root / "yaml" / "name_variants.yaml").write_text(NAME_VARIANTS, encoding="utf-8")
    for venue, text in VENUES.items():
        (root / "yaml" / "venues" / f"{venue}.yaml").write_text(text, encoding="utf-8")
    return AnthologySource(root, **kwargs)


def write_collection(root: Path, name: str, body: str, collection_id: str | None = None) -> Path:
    cid = collection_id or name
    path = root / "xml" / f"{name}.xml"
    path.write_text(f"<?xml version='1.0' encoding='UTF-8'?>\n<collection id=\"{cid}\">\n"
                    f"{textwrap.dedent(body)}\n</collection>\n", encoding="utf-8")
    return path


def volume(papers: str, *, vid: str = "long", year: str = "2022", venue: str = "acl",
           vtype: str = "proceedings", booktitle: str = "Proceedings of the Meeting") -> str:
    return f"""
    <volume id="{vid}" type="{vtype}">
      <meta>
        <booktitle>{booktitle}</booktitle>
        <publisher>Association for Computational Linguistics</publisher>
        <address>Dublin, Ireland</address>
        <month>May</month>
        <year>{year}</year>
        <venue>{venue}</venue>
      </meta>
      <frontmatter><url hash="1">2022.acl-long.0</url><bibkey>front</bibkey></frontmatter>
      {papers}
    </volume>"""


def paper(num: int, *, title: str | None = "A Title", url: str | None = None,
          authors: str = "<author><first>Ada</first><last>Lovelace</last></author>",
          extra: str = "", cid: str = "2022.acl", vid: str = "long") -> str:
    title_el = f"<title>{title}</title>" if title is not None else ""
    url = f"{cid}-{vid}.{num}" if url is None else url
    url_el = f'<url hash="x">{url}</url>' if url else ""
    return f'<paper id="{num}">{title_el}{authors}{url_el}{extra}</paper>'


@pytest.fixture
def source(tmp_path: Path) -> AnthologySource:
    return make_source(tmp_path)


def read(source: AnthologySource, body: str, name: str = "2022.acl", cid: str | None = None):
    return source.read_collection(write_collection(source.data_dir, name, body, cid))


# ------------------------------------------------------------------ text and fields


def test_reads_a_paper_with_markup_and_volume_metadata(source):
    title = "<fixed-case>A</fixed-case>dap<fixed-case>L</fixed-case>e<fixed-case>R</fixed-case>:\n   Speeding up <i>Inference</i>"
    abstract = ("<abstract>We use <tex-math>x^2</tex-math> and <b>bold</b>   ideas; code at "
                "<url>https://github.com/x/y</url>. This abstract is long enough to count.</abstract>")
    extra = f"{abstract}<pages>1-15</pages><bibkey>lovelace-2022-adapler</bibkey><doi>10.18653/v1/2022.acl-long.1</doi>"
    result = read(source, volume(paper(1, title=title, extra=extra)))
    assert result.rejects == [] and result.papers_seen == 1
    (rec,) = result.records
    assert rec["id"] == "2022.acl-long.1"
    assert rec["title"] == "AdapLeR: Speeding up Inference"
    assert rec["abstract"].startswith("We use x^2 and bold ideas; code at https://github.com/x/y.")
    assert rec["year"] == 2022 and rec["month"] == "May"
    assert rec["url"] == "https://aclanthology.org/2022.acl-long.1/"
    assert rec["venue_ids"] == ["acl"]
    assert rec["venue_names"] == ["Annual Meeting of the Association for Computational Linguistics"]
    assert rec["type"] == "long paper"
    assert (rec["doi"], rec["pages"], rec["bibkey"]) == ("10.18653/v1/2022.acl-long.1", "1-15",
                                                         "lovelace-2022-adapler")
    assert rec["collection_id"] == "2022.acl" and rec["volume_id"] == "long"
    assert rec["hidden"] is False


def test_frontmatter_is_not_a_paper(source):
    result = read(source, volume(""))
    assert result.papers_seen == 0 and result.records == [] and result.rejects == []


def test_comments_inside_titles_are_ignored(source):
    result = read(source, volume(paper(1, title="Deep <!-- note --> Learning<?pi x?>")))
    assert result.records[0]["title"] == "Deep Learning"


def test_removed_and_retracted_papers_are_hidden(source):
    body = volume(paper(1, extra='<removed date="2021-10-05">dup</removed>')
                  + paper(2, extra='<retracted date="2021-10-05"/>') + paper(3))
    assert [r["hidden"] for r in read(source, body).records] == [True, True, False]


# ------------------------------------------------------------------ rejects


def test_broken_xml_is_one_reject_for_the_file(source):
    path = source.data_dir / "xml" / "broken.xml"
    path.write_text("<collection id='x'><volume><paper>", encoding="utf-8")
    result = source.read_collection(path)
    assert result.records == []
    assert result.rejects == [Reject("collection", "broken.xml", None, result.rejects[0].reason)]
    assert result.rejects[0].reason.startswith("unreadable XML")


def test_missing_file_and_wrong_root_are_rejects(source):
    missing = source.read_collection(source.data_dir / "xml" / "nope.xml")
    assert missing.rejects[0].entity == "collection"
    path = source.data_dir / "xml" / "other.xml"
    path.write_text("<html><p>hello</p></html>", encoding="utf-8")
    assert "root element" in source.read_collection(path).rejects[0].reason


def test_paper_without_title_is_rejected(source):
    result = read(source, volume(paper(1, title=None) + paper(2, title="   ") + paper(3)))
    assert [r["id"] for r in result.records] == ["2022.acl-long.3"]
    reasons = {r.record_id: r.reason for r in result.rejects}
    assert "title" in reasons["2022.acl-long.1"] and "Missing data" in reasons["2022.acl-long.1"]
    assert "title" in reasons["2022.acl-long.2"]


@pytest.mark.parametrize("year, ok", [
    ("1899", False), ("1900", True), (str(dt.date.today().year + 1), True),
    (str(dt.date.today().year + 2), False), ("20x2", False), ("", False),
])
def test_impossible_years_are_rejected(source, year, ok):
    result = read(source, volume(paper(1), year=year))
    assert bool(result.records) is ok
    if not ok:
        (reject,) = result.rejects
        assert reject.entity == "work" and reject.record_id == "2022.acl-long.1"
        assert "year" in reject.reason


def test_missing_url_is_rejected_unless_allowed(tmp_path):
    strict = make_source(tmp_path)
    result = read(strict, volume(paper(7, url="")))
    assert result.records == [] and result.rejects[0].record_id is None
    assert result.rejects[0].reason.startswith("missing <url>")
    lenient = AnthologySource(tmp_path, require_url=False)
    assert [r["id"] for r in read(lenient, volume(paper(7, url=""))).records] == ["2022.acl-long.7"]


def test_duplicate_ids_across_the_corpus_are_rejected(source):
    first = read(source, volume(paper(1) + paper(1, title="Same id, same file")))
    second = read(source, volume(paper(1, title="Same id, other file")), name="copy", cid="2022.acl")
    assert len(first.records) == 1
    assert [r.reason for r in first.rejects] == [
        "duplicate paper id 2022.acl-long.1 (first seen in 2022.acl.xml)"]
    assert second.records == [] and second.rejects[0].record_id == "2022.acl-long.1"
    assert source.seen_ids == {"2022.acl-long.1": "2022.acl.xml"}


def test_author_without_any_name_rejects_the_paper(source):
    result = read(source, volume(paper(1, authors="<author><first> </first></author>")))
    assert result.records == [] and "authors.0" in result.rejects[0].reason


# ------------------------------------------------------------------ identity


def author(first: str, last: str, attrs: str = "", inner: str = "") -> str:
    return f"<author{attrs}><first>{first}</first><last>{last}</last>{inner}</author>"


def test_an_author_id_comes_from_the_explicit_id_the_variant_entry_or_the_name(source):
    authors = "".join([
        author("Shengding", "Hu"),  # plain slug
        author("Yang", "Liu", ' id="yang-liu-ict"'),  # explicit id wins
        author("Jose I.", "Abreu"),  # variant -> canonical entry without id -> slug of canonical
        author("Felicia", "Koerner"),  # variant -> explicit yaml id, orcid from yaml
        author("Wei", "Ai"),  # homonyms in yaml: ambiguous -> plain slug
        author("Anders", "Søgaard"),  # ø folded like the Anthology does
        author("Caio", "Corro"),  # yaml orcid given as a URL
    ])
    (rec,) = read(source, volume(paper(1, authors=authors))).records
    got = [(a["id"], a["name"], a["as_written"], a["orcid"]) for a in rec["authors"]]
    assert got == [
        ("shengding-hu", "Shengding Hu", "Shengding Hu", None),
        ("yang-liu-ict", "Yang Liu", "Yang Liu", None),
        ("jose-i-abreu", "José I. Abreu", "Jose I. Abreu", None),
        ("felicia-koerner", "Felicia Körner", "Felicia Koerner", "0000-0002-4086-5338"),
        ("wei-ai", "Wei Ai", "Wei Ai", None),
        ("anders-sogaard", "Anders Søgaard", "Anders Søgaard", None),
        ("caio-corro", "Caio Corro", "Caio Corro", "0000-0001-7443-4109"),
    ]


def test_author_orcid_affiliation_and_script_variants(source):
    authors = author("Simon", "Mille", ' orcid="0000-0002-8852-2764"',
                     "<affiliation> Universitat\n Pompeu Fabra </affiliation>")
    authors += author("Shan", "Wang", "", '<variant script="hani"><first>珊</first><last>王</last></variant>')
    authors += "<author><first>国江</first><last>周</last></author>"
    (rec,) = read(source, volume(paper(1, authors=authors))).records
    mille, wang, zhou = rec["authors"]
    assert mille["orcid"] == "0000-0002-8852-2764"
    assert mille["affiliation"] == "Universitat Pompeu Fabra"
    assert (wang["id"], wang["name"], wang["affiliation"]) == ("shan-wang", "Shan Wang", None)
    assert zhou["id"] == "国江-周"  # no Latin letters to fold: keep the script


def test_person_index_tolerates_odd_entries_and_keeps_homonyms_apart():
    index = PersonIndex([
        "junk", {"canonical": "x"}, {"canonical": {"first": "Yes", "last": 1}},
        {"canonical": {"first": "Wei", "last": "Ai"}, "id": "wei-ai", "orcid": "0000-0001-2345-6789"},
        {"canonical": {"first": "Wei", "last": "Ai"}, "id": "wei-ai-umich"},
    ])
    assert index.resolve("Yes", "1", None)[0] == "yes-1"
    pid, person = index.resolve("Wei", "Ai", None)  # ambiguous: the plain slug, which has an entry
    assert pid == "wei-ai" and person.orcid == "0000-0001-2345-6789"
    assert index.resolve("Wei", "Ai", "wei-ai-umich")[0] == "wei-ai-umich"


@pytest.mark.parametrize("text, cleaned", [
    ("Tsinghua University, Tsinghua University", "Tsinghua University"),
    ("University of California, San Diego, University of California, San Diego",
     "University of California, San Diego"),
    (" Dept. of CS,\n MIT ", "Dept. of CS, MIT"), ("  ", None), (None, None),
])
def test_affiliations_lose_repeats_and_extra_whitespace(text, cleaned):
    assert clean_affiliation(text) == cleaned


# ------------------------------------------------------------------ ids and types


@pytest.mark.parametrize("cid, vid, pid, expected", [
    ("2022.acl", "long", "158", "2022.acl-long.158"), ("P05", "1", "1", "P05-1001"),
    ("W09", "1", "1", "W09-0101"), ("W11", "46", "2", "W11-4602"),
    ("D19", "51", "2", "D19-5102"), ("D19", "1", "12", "D19-1012"), ("C69", "1", "3", "C69-0103"),
])
def test_anthology_ids_in_the_new_and_the_old_scheme(cid, vid, pid, expected):
    assert anthology_id(cid, vid, pid) == expected


def test_papers_hosted_elsewhere_get_the_derived_id(source):
    pdf = "http://www.lrec-conf.org/proceedings/lrec2014/pdf/1_Paper.pdf"
    body = volume(paper(3, url=pdf, cid="L14", vid="1"), vid="1", venue="lrec")
    (rec,) = read(source, body, name="L14").records
    assert rec["id"] == "L14-1003" and rec["url"] == pdf


@pytest.mark.parametrize("cid, vid, venue, vtype, booktitle, expected", [
    ("2022.tacl", "1", "tacl", "journal", "TACL, Volume 10", "journal article"),
    ("2022.findings", "acl", "findings", "proceedings", "Findings of ACL 2022", "findings"),
    ("2022.acl", "srw", "acl", "proceedings", "Proceedings: Student Research Workshop", "student research workshop"),
    ("2022.acl", "short", "acl", "proceedings", "Proceedings (Volume 2: Short Papers)", "short paper"),
    ("2022.acl", "demo", "acl", "proceedings", "Proceedings: System Demonstrations", "demo"),
    ("2022.acl", "tutorials", "acl", "proceedings", "Tutorial Abstracts", "tutorial"),
    ("2022.bionlp", "1", "bionlp", "proceedings", "Proceedings of the 21st BioNLP", "workshop paper"),
    ("W09", "1", "acl", "proceedings", "Proceedings of something", "workshop paper"),
    ("P05", "1", "acl", "proceedings", "Proceedings of the 43rd Annual Meeting", "proceedings paper"),
])
def test_the_work_type_comes_from_the_volume(source, cid, vid, venue, vtype, booktitle, expected):
    body = volume(paper(1, cid=cid, vid=vid, url="x-1"), vid=vid, venue=venue, vtype=vtype,
                  booktitle=booktitle)
    (rec,) = read(source, body, name=cid).records
    assert rec["type"] == expected


# ------------------------------------------------------------------ robustness


XMLISH = st.lists(st.sampled_from([
    "<collection id='2022.x'>", "</collection>", "<volume id='1'>", "</volume>", "<meta>",
    "</meta>", "<year>", "</year>", "2022", "1492", "<paper id='1'>", "<paper>", "</paper>",
    "<title>", "</title>", "<url>", "</url>", "2022.x-1.1", "<author>", "</author>", "<first>",
    "</first>", "<last>", "</last>", "Hu", "&amp;", "&bogus;", "<!-- c -->", "<![CDATA[x]]>",
    "<fixed-case>A</fixed-case>", "\x00", "é", "<", ">", "'", '"', " ",
]), max_size=40).map("".join)


def _check_never_raises(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = AnthologySource(tmp)
        path = Path(tmp) / "fuzz.xml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        result = source.read_collection(path)
        assert all(isinstance(r, Reject) and r.reason for r in result.rejects)
        work_rejects = [r for r in result.rejects if r.entity == "work"]
        if not any(r.entity == "collection" for r in result.rejects):
            assert result.papers_seen == len(result.records) + len(work_rejects)
        for record in result.records:
            assert record["title"] and 1900 <= record["year"] <= dt.date.today().year + 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(XMLISH)
def test_xmlish_fragments_never_crash_the_reader(text):
    _check_never_raises(text)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_never_crashes_the_reader(data):
    _check_never_raises(data)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=100, deadline=None)
@given(title=st.one_of(st.none(), _text), year=st.one_of(st.integers(-5, 3000).map(str), _text),
       first=_text, last=_text)
def test_arbitrary_field_values_are_accepted_or_rejected_with_a_reason(title, year, first, last):
    from xml.sax.saxutils import escape

    title_el = "" if title is None else f"<title>{escape(title)}</title>"
    xml = (f"<collection id='2022.x'><volume id='1'><meta><year>{escape(year)}</year></meta>"
           f"<paper id='1'>{title_el}<author><first>{escape(first)}</first><last>{escape(last)}"
           f"</last></author><url>2022.x-1.1</url></paper></volume></collection>")
    _check_never_raises(xml)


# ------------------------------------------------------------------ the real corpus


@pytest.mark.skipif(not (REAL_DATA / "xml" / "2022.acl.xml").is_file(), reason="shared data absent")
def test_real_2022_acl_reads_without_rejects_and_credits_shengding_hu():
    source = AnthologySource(REAL_DATA)
    result = source.read_collection(REAL_DATA / "xml" / "2022.acl.xml")
    assert result.papers_seen == len(result.records) > 700 and result.rejects == []
    hers = [r for r in result.records if "shengding-hu" in {a["id"] for a in r["authors"]}]
    assert "2022.acl-long.158" in {r["id"] for r in hers}
    slot = next(a for a in hers[0]["authors"] if a["id"] == "shengding-hu")
    assert slot["name"] == "Shengding Hu"
