"""A preprint listed on several days: one work from its first listing day, the other listings
counted as repeated (read = indexed + rejected + merged + repeated), in a build's spool and in
the reconciliation it prints."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer import spool
from indexer.sources.arxiv import ArxivSource
from indexer.sources.base import FileTask
from indexer.stages import Rejects, load_corpus
from tests.unit.test_arxiv_source import MHC, write_day

pytestmark = pytest.mark.unit


def _paper(aid: str, title: str) -> dict:
    return {**MHC, "id": aid, "title": title, "abs": f"https://arxiv.org/abs/{aid}"}


def _spool(tmp_path, days: dict[str, list[dict]]):
    folder = tmp_path / "spool"
    source = ArxivSource(tmp_path)
    stats = []
    for day, lines in days.items():
        result = source.read_file(FileTask(write_day(tmp_path, day, lines), source="arxiv"))
        s = {"source": result.source_file, "read": result.read, "accepted": len(result.records),
             "rejected": len(result.rejects), "repeated": result.repeated, "skipped_by_year": 0}
        spool.write_file_result(folder, result.source_file, result.records, [r.to_dict() for r in result.rejects], s)
        stats.append(s)
    return folder, stats


def test_a_preprint_listed_on_two_days_is_one_work_from_its_first_day_and_one_repeated_listing(tmp_path):
    a, b, c = _paper("2512.00001", "First"), _paper("2512.00002", "Second"), _paper("2512.00003", "Third")
    folder, stats = _spool(tmp_path, {"2026-01-03": [b, c, c], "2026-01-02": [a, b]})
    rejects = Rejects(folder)
    records = load_corpus(folder, rejects)
    assert sorted(r["id"] for r in records) == ["arxiv:2512.00001", "arxiv:2512.00002", "arxiv:2512.00003"]
    assert next(r for r in records if r["arxiv_id"] == "2512.00002")["listed"] == "2026-01-02"
    within = sum(s["repeated"] for s in stats)
    assert (within, rejects.repeated, rejects.count("work")) == (1, 1, 0)
    read = sum(s["read"] for s in stats)
    assert read == len(records) + rejects.count("work") + within + rejects.repeated == 5


def test_the_reconciliation_counts_repeated_listings():
    from indexer.cli import print_reconciliation

    report = {"works": {"read": 5, "indexed": 2, "rejected": 1, "merged": 1, "repeated": 1},
              "researchers": {"read": 3, "indexed": 3, "rejected": 0}}
    out = CliRunner().invoke(_echo(print_reconciliation, report)).output
    assert "works: read 5 = indexed 2 + rejected 1 + merged into their published version 1 + repeated listings 1" in out
    assert "MISMATCH" not in out
    report["works"]["repeated"] = 0
    assert "MISMATCH" in CliRunner().invoke(_echo(print_reconciliation, report)).output


def _echo(fn, report):
    import click

    @click.command()
    def cmd():
        fn(report)
    return cmd
