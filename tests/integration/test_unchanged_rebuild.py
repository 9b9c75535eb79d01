"""A rebuild reads only the files whose bytes changed since the live build (indexer/build.py,
the fingerprints kept with the spool), and with nothing changed builds nothing: against the
real engine, on a private copy of three small Anthology files."""
from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FILES = ("2024.rfp.xml", "1985.tmi.xml", "2023.inqbnb.xml")
ADDED = "2020.autosimtrans.xml"


@pytest.fixture()
def corpus(settings, tmp_path, client):
    data = tmp_path / "acl-anthology"
    (data / "xml").mkdir(parents=True)
    shutil.copytree(settings.data_dir / "yaml", data / "yaml")
    for name in FILES:
        shutil.copy(settings.data_dir / "xml" / name, data / "xml" / name)
    own = replace(settings, index_prefix=f"test-rebuild-{uuid.uuid4().hex[:8]}-", data_dir=data,
                  arxiv_dir=tmp_path / "no-arxiv", sources=("acl",), state_dir=tmp_path / "state")
    yield own
    client.indices.delete(index=f"{own.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


def _build(settings, **options):
    from indexer.build import run_in_process
    from indexer.sources.base import Options

    return run_in_process(settings, Options(**options), None)


def _live(client, settings) -> dict:
    from search import lifecycle

    return {n: lifecycle.indexes_behind(client, settings.alias(n)) for n in ("works", "researchers")}


def test_an_unchanged_corpus_builds_nothing_and_a_changed_file_is_read_alone(client, corpus, settings):
    first = _build(corpus)
    assert not first.get("unchanged") and first["files"]["read"] == 3
    live = _live(client, corpus)

    again = _build(corpus)
    assert again["unchanged"] and again["files"]["read"] == 0
    assert _live(client, corpus) == live  # no index made, none swapped
    assert {k: again[k] for k in ("works", "researchers")} == {k: first[k] for k in ("works", "researchers")}
    assert again["written"]["works"] == {"new or changed": 0, "unchanged": first["works"]["indexed"], "removed": 0}

    # a copy of the same bytes (another mtime): still nothing to do, decided by sha1
    xml = Path(corpus.data_dir) / "xml"
    for name in FILES:
        data = (xml / name).read_bytes()
        (xml / name).unlink()
        (xml / name).write_bytes(data)
    assert _build(corpus)["unchanged"]

    # one file changed: only it is read; the others' spooled records are taken as they are
    changed = xml / FILES[0]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("<title>", "<title>Revised: ", 1), encoding="utf-8")
    third = _build(corpus)
    assert not third.get("unchanged")
    assert third["files"] == {"read": 1, "unchanged (records taken from the live build)": 2}
    assert third["works"]["indexed"] == first["works"]["indexed"]
    assert third["written"]["works"]["new or changed"] >= 1
    assert _live(client, corpus) != live
    hits = client.search(index=corpus.alias("works"), body={"query": {"match_phrase": {"title": "Revised"}}})
    assert hits["hits"]["total"]["value"] == 1

    # --fresh reads every file again; a file added is read, the others are not
    assert _build(corpus, fresh=True)["files"]["read"] == 3
    shutil.copy(settings.data_dir / "xml" / ADDED, xml / ADDED)
    added = _build(corpus)
    assert added["files"] == {"read": 1, "unchanged (records taken from the live build)": 3}
