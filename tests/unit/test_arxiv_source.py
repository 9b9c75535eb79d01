"""The arXiv listings reader: fields, TeX, names, rejects and counts, planning; properties."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.sources.arxiv import (ArxivSource, author_names, clean_name, id_date, parse_id,
                                   provisional_id, split_name)
from indexer.sources.base import FileTask, Options
from indexer.sources.tex import tex_to_text

pytestmark = pytest.mark.unit

REAL_LISTINGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "arxiv-listings"

MHC = {"id": "2512.24880", "categories": ["cs.CL", "cs.AI", "cs.LG", "I.2.7"],
       "pdf": "https://arxiv.org/pdf/2512.24880", "abs": "https://arxiv.org/abs/2512.24880",
       "authors": ["Zhenda Xie", "Shengding Hu", "Wenfeng Liang"],
       "title": "mHC: Manifold-Constrained\n  Hyper-Connections", "comment": "Accepted to NAACL 2026",
       "summary": "Residual streams with $\\ell_1$ constraints \\textit{restore} the identity mapping\nat 10\\% cost."}


def write_day(folder: Path, day: str, lines: list) -> Path:
    path = folder / f"{day}.jsonl"
    with path.open("wb") as fh:
        for line in lines:
            fh.write(line if isinstance(line, bytes) else (json.dumps(line) + "\n").encode())
            if isinstance(line, bytes):
                fh.write(b"\n")
    return path


def read(lines: list, day: str = "2026-01-02"):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_day(Path(tmp), day, lines)
        return ArxivSource(tmp).read_file(FileTask(path, source="arxiv"))


def test_a_listing_line_becomes_a_preprint_record():
    result = read([MHC])
    assert result.read == 1 and not result.rejects and result.repeated == 0
    r = result.records[0]
    assert r["id"] == "arxiv:2512.24880" and r["arxiv_id"] == "2512.24880"
    assert (r["year"], r["month"], r["listed"]) == (2025, "December", "2026-01-02")
    assert r["type"] == "preprint" and r["venue_names"] == ["arXiv"] and r["venue_ids"] == ["arxiv"]
    assert r["url"] == "https://arxiv.org/abs/2512.24880"
    assert r["doi"] == "10.48550/arXiv.2512.24880"
    assert r["title"] == "mHC: Manifold-Constrained Hyper-Connections"
    assert r["abstract"] == "Residual streams with ℓ₁ constraints restore the identity mapping at 10% cost."
    assert r["categories"] == ["cs.CL", "cs.AI", "cs.LG"]  # the ACM class is not an arXiv category
    assert r["category_labels"] == ["Computation and Language", "Artificial Intelligence", "Machine Learning"]
    assert r["volume_id"] == "cs.CL" and r["comment"] == "Accepted to NAACL 2026"
    hu = r["authors"][1]
    assert hu == {"id": "arxiv-name:shengding-hu", "name": "Shengding Hu", "first": "Shengding", "last": "Hu",
                  "as_written": "Shengding Hu", "orcid": None, "affiliation": None}


def test_rejects_carry_their_reason_and_the_counts_add_up():
    lines = [b"{not json", b"[1, 2]", {"title": "No id"}, {"id": "nonsense", "title": "Bad id"},
             {"id": "2501.00001", "title": "  ", "authors": []},
             {"id": "2501.00002", "title": "Authors as a string", "authors": "A. B."},
             {"id": "2501.00003v2", "title": "Fine", "authors": ["Ada Lovelace"]},
             {"id": "2501.00003", "title": "Fine again", "authors": ["Ada Lovelace"]}]
    result = read(lines)
    reasons = [r.reason for r in result.rejects]
    assert len(reasons) == 6 and all(reasons)
    assert "malformed line" in reasons[0] and "not an object" in reasons[1]
    assert "no id" in reasons[2] and "not an arXiv id" in reasons[3]
    assert "no title" in reasons[4] and "not a list of names" in reasons[5]
    assert [r["id"] for r in result.records] == ["arxiv:2501.00003"]  # v2 suffix dropped, kept once
    assert result.repeated == 1
    assert result.read == len(result.records) + len(result.rejects) + result.repeated == 8


def test_ids_and_dates():
    assert parse_id("2512.24880v3") == "2512.24880"
    assert parse_id("https://arxiv.org/abs/2505.14577") == "2505.14577"
    assert parse_id("hep-th/9901001") == "hep-th/9901001"
    assert parse_id("25.1") is None and parse_id(None) is None
    assert id_date("2512.24880") == (2025, 12) and id_date("hep-th/9901001") == (1999, 1)


@pytest.mark.parametrize("tex, text", [
    ("GSBAK$^K$: $top$-$K$ Geometric", "GSBAKᴷ: top-K Geometric"),
    ("M$^2$CD: A", "M²CD: A"),
    ("$\\textit{Agents Under Siege}$: Breaking", "Agents Under Siege: Breaking"),
    ("LLM$\\times$MapReduce", "LLM×MapReduce"),
    ("360$^\\circ$ Scenes", "360° Scenes"),
    ("CH$_{4}$ point sources", "CH₄ point sources"),
    ("by 10\\% over \\cite{x} with \\href{https://a.b}{our code}", "by 10% over with our code"),
    ("Readability $\\ne$ Learnability", "Readability ≠ Learnability"),
    ("snake_case stays, costs \\$5", "snake_case stays, costs $5"),
    ("two\nlines", "two lines"),
])
def test_tex_is_made_readable(tex, text):
    assert tex_to_text(tex) == text


@pytest.mark.parametrize("raw, name, first, last", [
    ("Nguy\\~ên Văn", "Nguyễn Văn", "Nguyễn", "Văn"),
    ('Rapha"el Metz', "Raphaël Metz", "Raphaël", "Metz"),
    ("Eric~Granger", "Eric Granger", "Eric", "Granger"),
    ('Zhaoqin "Richie" Li', "Zhaoqin Li", "Zhaoqin", "Li"),
    ("Yi-Fan Zhang†", "Yi-Fan Zhang", "Yi-Fan", "Zhang"),
    ("Anton van den Hengel", "Anton van den Hengel", "Anton", "van den Hengel"),
    ("Roberto M. Cesar Jr.", "Roberto M. Cesar Jr.", "Roberto M.", "Cesar Jr."),
    ("James O' Neill", "James O'Neill", "James", "O'Neill"),
    ("NVIDIA", "NVIDIA", "", "NVIDIA"),
])
def test_author_names_are_cleaned_and_split(raw, name, first, last):
    assert clean_name(raw) == name
    assert split_name(name) == (first, last)


def test_author_lists_drop_separators_and_split_joined_slots():
    assert author_names(["NVIDIA", ":", "Ada Lovelace; Alan Turing", ""]) == ["NVIDIA", "Ada Lovelace", "Alan Turing"]
    assert author_names("Ada") is None
    assert provisional_id("Jörg Tiedemann") == "arxiv-name:jorg-tiedemann"


def test_planning_takes_whole_days_oldest_first_and_owns_listing_files_only():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for day, n in (("2026-01-01", 3), ("2026-01-02", 2), ("2026-01-05", 4)):
            write_day(folder, day, [{**MHC, "id": f"2601.{i:05d}"} for i in range(n)])
        (folder / "notes.txt").write_text("x")
        source = ArxivSource(folder)
        assert [t.path.name for t in source.plan(Options())] == ["2026-01-01.jsonl", "2026-01-02.jsonl",
                                                                  "2026-01-05.jsonl"]
        sample = source.plan(Options(sample=5))
        assert [(t.path.name, t.limit, t.source) for t in sample] == [("2026-01-01.jsonl", None, "arxiv"),
                                                                      ("2026-01-02.jsonl", None, "arxiv")]
        assert [(t.path.name, t.limit) for t in source.plan(Options(sample=4))] == [("2026-01-01.jsonl", None),
                                                                                     ("2026-01-02.jsonl", 1)]
        assert [t.path.name for t in source.plan(Options(files=("2026-01-02.jsonl", "2022.acl.xml")))] == \
            ["2026-01-02.jsonl"]
        with pytest.raises(FileNotFoundError):
            source.plan(Options(files=("2026-02-30.jsonl",)))
        assert source.owns(Path("2026-01-02.jsonl")) and not source.owns(Path("2022.acl.xml"))
        assert source.known_variants() == {}


def test_a_file_read_again_gives_the_same_records():
    with tempfile.TemporaryDirectory() as tmp:
        path = write_day(Path(tmp), "2026-01-02", [MHC])
        source = ArxivSource(tmp)
        first = source.read_file(FileTask(path, source="arxiv"))
        again = source.read_file(FileTask(path, source="arxiv"))
        assert first.records == again.records and again.repeated == 0


@pytest.mark.skipif(not REAL_LISTINGS.is_dir(), reason="shared arXiv listings not present")
def test_a_real_listing_day_reads_without_rejects():
    path = REAL_LISTINGS / "2025-12-31.jsonl"
    if not path.exists():
        path = sorted(REAL_LISTINGS.glob("*.jsonl"))[-1]
    result = ArxivSource(REAL_LISTINGS).read_file(FileTask(path, source="arxiv"))
    assert result.records and not result.rejects
    assert result.read == len(result.records) + result.repeated


# ------------------------------------------------------------------ properties

_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4),
                            max_leaves=12)
_lines = st.lists(
    st.one_of(
        st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")),
        st.fixed_dictionaries({}, optional={
            "id": st.one_of(st.text(max_size=20), st.sampled_from(["2501.00001", "2501.00001v2", "hep-th/9901001",
                                                                   "3012.00001"]), _json_values),
            "title": st.one_of(st.text(max_size=60), _json_values),
            "authors": st.one_of(st.lists(st.text(max_size=30), max_size=5), _json_values),
            "summary": st.one_of(st.text(max_size=200), _json_values),
            "categories": st.one_of(st.lists(st.text(max_size=10), max_size=4), _json_values),
            "comment": st.one_of(st.text(max_size=40), _json_values),
        }),
    ),
    max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines)
def test_reading_never_raises_and_every_line_is_accounted_for(lines):
    result = read(lines)
    nonblank = sum(1 for line in lines if (line.strip() if isinstance(line, bytes) else True))
    assert result.read == nonblank
    assert result.read == len(result.records) + len(result.rejects) + result.repeated
    assert all(r.reason and r.entity == "work" for r in result.rejects)
    assert len({r["id"] for r in result.records}) == len(result.records)
    for r in result.records:
        assert r["title"].strip() and r["id"].startswith("arxiv:") and r["type"] == "preprint"
        assert all(a["id"].startswith("arxiv-name:") and a["name"] for a in r["authors"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_tex_to_text_is_total_and_leaves_no_dollars_or_line_breaks(text):
    out = tex_to_text(text)
    assert "\n" not in out and out == out.strip()
    assert "$" not in out or "\\$" in text
