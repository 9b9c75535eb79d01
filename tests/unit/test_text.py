"""The text a work is embedded from (domain.text)."""
from __future__ import annotations

import pytest

from domain.text import work_text

pytestmark = pytest.mark.unit


def test_whitespace_is_collapsed_and_a_missing_abstract_leaves_the_title():
    assert work_text("  Neural   MT ", None) == "Neural MT"


def test_title_and_abstract_are_joined_by_a_period_unless_the_title_ends_a_sentence():
    assert work_text("Neural MT", "We translate.\n Well.") == "Neural MT. We translate. Well."
    assert work_text("Why translate?", "Because.") == "Why translate? Because."


def test_a_missing_title_leaves_the_abstract():
    assert work_text(None, "Only an abstract.") == "Only an abstract."
