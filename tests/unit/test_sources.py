"""The source interface: what a build plans and reads, with the Anthology as its source (and, at the
end, the arXiv listings beside it)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.acl import AnthologySource
from indexer.sources.base import FileTask, Options
from peerscope.config import Settings

pytestmark = pytest.mark.unit


def _paper(cid: str, num: int, year: int) -> str:
    return (f'<paper id="{num}"><title>Paper {num} of {cid}</title>'
            f'<author><first>Ada</first><last>Lovelace</last></author><url>{cid}-long.{num}</url></paper>')


def _collection(root: Path, cid: str, year: int, papers: int, extra: str = "") -> None:
    body = "".join(_paper(cid, n, year) for n in range(1, papers + 1))
    (root / "xml" / f"{cid}.xml").write_text(
        f'<collection id="{cid}"><volume id="long"><meta><booktitle>B</booktitle><year>{year}</year>'
        f'</meta>{body}{extra}</volume></collection>', encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "xml").mkdir()
    (tmp_path / "yaml").mkdir()
    (tmp_path / "yaml" / "name_variants.yaml").write_text(
        "- canonical: {first: Ada, last: Lovelace}\n  id: ada\n  variants:\n  - {first: A., last: Lovelace}\n",
        encoding="utf-8")
    _collection(tmp_path, "2022.acl", 2022, 3)
    _collection(tmp_path, "2021.ws", 2021, 2)
    _collection(tmp_path, "2023.acl", 2023, 4, extra="<paper id='9'><title>No url</title></paper>")
    return tmp_path


@pytest.fixture
def settings(data: Path) -> Settings:
    """The Anthology folder above and no listings: the Anthology is the one source present."""
    return replace(Settings(), data_dir=data, arxiv_dir=data / "no-listings")


def test_a_build_reads_the_sources_present(settings):
    (source,) = available_sources(settings)
    assert source.name == "acl" and isinstance(source, AnthologySource)
    assert available_sources(settings, ["acl"])[0].name == "acl"


def test_without_any_source_data_the_build_says_what_is_missing(tmp_path):
    empty = replace(Settings(), data_dir=tmp_path, arxiv_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="no xml/ folder in .*PEERSCOPE_DATA_DIR.*PEERSCOPE_ARXIV_DIR"):
        available_sources(empty)
    with pytest.raises(ValueError, match="unknown sources nope"):
        available_sources(empty, ["nope"])


def test_a_sample_takes_whole_collections_newest_main_conference_first(settings):
    tasks = plan_files(available_sources(settings), Options(sample=5))
    assert [(t.path.name, t.limit, t.source) for t in tasks] == [("2022.acl.xml", None, "acl"),
                                                                  ("2023.acl.xml", 2, "acl")]
    assert len(plan_files(available_sources(settings), Options())) == 3
    # named files and a sample: the first papers of the named files, in their order
    named = Options(files=("2023.acl.xml", "2022.acl.xml"), sample=7)
    assert [(t.path.name, t.limit) for t in plan_files(available_sources(settings), named)] == \
        [("2023.acl.xml", None), ("2022.acl.xml", 2)]


def test_named_files_go_to_the_source_that_owns_them(settings):
    sources = available_sources(settings)
    assert [t.path.name for t in plan_files(sources, Options(files=("2021.ws.xml",)))] == ["2021.ws.xml"]
    with pytest.raises(FileNotFoundError, match="no source reads these files: notes.txt"):
        plan_files(sources, Options(files=("notes.txt",)))
    with pytest.raises(FileNotFoundError, match="collection files not found"):
        plan_files(sources, Options(files=("1999.none.xml",)))


def test_read_file_counts_every_paper_seen_and_reads_each_file_on_its_own(settings, data):
    (source,) = available_sources(settings)
    task = FileTask(data / "xml" / "2023.acl.xml")
    result = source.read_file(task)
    assert result.source_file == "2023.acl.xml" and len(result.records) == 4 and len(result.rejects) == 1
    assert result.read == len(result.records) + len(result.rejects) + result.repeated == 5
    assert len(source.read_file(task).records) == 4  # the same file again is no duplicate of itself


def test_known_variants_come_from_the_source(settings):
    (source,) = available_sources(settings)
    assert source.known_variants() == {"ada": ("Ada Lovelace", "A. Lovelace")}


def test_listings_beside_the_anthology_make_a_second_source_and_a_setting_chooses(settings, tmp_path):
    listings = tmp_path / "listings"
    listings.mkdir()
    (listings / "2025-03-18.jsonl").write_text(
        '{"id": "2503.00001", "title": "A preprint", "authors": ["Ada Lovelace"], "summary": "S.", '
        '"categories": ["cs.CL"], "abs": "https://arxiv.org/abs/2503.00001"}\n', encoding="utf-8")
    both = replace(settings, arxiv_dir=listings)
    assert [s.name for s in available_sources(both)] == ["acl", "arxiv"]
    assert [s.name for s in available_sources(replace(both, sources=("arxiv",)))] == ["arxiv"]
    with pytest.raises(ValueError, match="unknown sources"):
        available_sources(replace(both, sources=("crossref",)))
