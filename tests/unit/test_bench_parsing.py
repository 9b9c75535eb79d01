"""Pure helpers of the benchmarks (no services)."""
import pytest

from bench.load import server_ms


@pytest.mark.unit
@pytest.mark.parametrize("header, expected", [
    ("app;dur=12.5", 12.5), ("db;dur=3, app;dur=7", 7.0), (None, None), ("", None), ("app;dur=x", None),
    ("app", None),
])
def test_server_ms_is_the_app_duration_of_a_server_timing_header(header, expected):
    assert server_ms(header) == expected
