"""Pure helpers of the benchmarks (no services)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load  # noqa: E402


@pytest.mark.unit
@pytest.mark.parametrize("header, expected", [
    ("app;dur=12.5", 12.5), ("db;dur=3, app;dur=7", 7.0), (None, None), ("", None), ("app;dur=x", None),
    ("app", None),
])
def test_server_timing_header_parsing(header, expected):
    assert load.server_ms(header) == expected
