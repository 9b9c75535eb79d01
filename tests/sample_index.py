"""The small real sample of the Anthology that integration, browser and reliability tests share.

`build_sample` runs the project's own indexer in-process on 300 papers of 2022.acl (incl.
2022.acl-long.158 by Shengding Hu) under a prefix derived from the session's test prefix that
does not start with it, so `clean_indexes` (which deletes `<session prefix>*` after a test)
cannot remove the sample halfway through the session. Existing aliases under that prefix are
reused. Importable as `sample_index` (tests/ is on the path through tests/conftest.py).
"""
from __future__ import annotations

from dataclasses import replace

SAMPLE_PAPERS = 300


def sample_prefix(settings) -> str:
    """"test-1a2b3c4d-" -> "test-sample-1a2b3c4d-"."""
    return settings.index_prefix.replace("test-", "test-sample-", 1)


def build_sample(client, settings):
    """Index the sample under sample_prefix(settings) unless it is already there."""
    from indexer.build import run_in_process
    from indexer.sources.base import Options

    sample = replace(settings, index_prefix=sample_prefix(settings))
    aliases = [sample.alias("works"), sample.alias("researchers")]
    if not all(client.indices.exists_alias(name=a) for a in aliases):
        report = run_in_process(sample, Options(sample=SAMPLE_PAPERS), None)
        assert report["works"]["indexed"] >= SAMPLE_PAPERS * 0.9, report["works"]
    client.indices.refresh(index=",".join(aliases))
    return sample


def drop_sample(client, sample) -> None:
    client.indices.delete(index=f"{sample.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)
