"""Integration fixtures: the shared real sample (see tests/sample_index.py), indexed once per session."""
from __future__ import annotations

import pytest

from sample_index import build_sample, drop_sample


@pytest.fixture(scope="session")
def indexed_sample(client, settings):
    """Settings for a real indexed sample (works and researchers aliases under its own prefix)."""
    sample = build_sample(client, settings)
    yield sample
    drop_sample(client, sample)
