"""What a queued build carries: plain values, the owners' corrections as the name of their loader."""
from __future__ import annotations

import pkgutil

import pytest

from domain.corrections import no_corrections
from indexer.jobs import loader_name
from web.accounts.overrides import load_overrides

pytestmark = pytest.mark.unit


def test_a_queued_build_names_the_corrections_loader_and_the_worker_finds_it_again():
    name = loader_name(load_overrides)
    assert name == "web.accounts.overrides:load_overrides"
    assert pkgutil.resolve_name(name) is load_overrides


def test_a_build_without_corrections_carries_no_name():
    assert loader_name(no_corrections) is None


def test_a_loader_without_an_importable_name_is_refused_before_anything_is_queued():
    with pytest.raises(ValueError, match="module-level"):
        loader_name(lambda settings: no_corrections(settings))
