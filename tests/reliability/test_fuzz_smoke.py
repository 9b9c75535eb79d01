"""A short schemathesis run against the API served by gunicorn on the indexed sample
(the full 2,000+ request run is bench/fuzz_api.py)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

SMOKE_REQUESTS = 300


def test_fuzzed_api_never_5xx_and_every_4xx_names_the_problem(served_sample):
    from bench.fuzz_api import fuzz

    out = fuzz(served_sample.base_url, requests_target=SMOKE_REQUESTS, max_seconds=240, log=lambda m: None)
    assert out["requests"] >= SMOKE_REQUESTS * 0.9, out
    assert out["server_errors"] == 0, out["statuses"]
    assert not out["failures"], "\n".join(f"[{f['kind']}] {f['operation']} {f.get('status')}: {f['problem'][:400]}\n"
                                          f"  {f.get('request')}" for f in out["failures"][:10])
    assert any(200 <= s < 300 for s in out["statuses"]) and any(400 <= s < 500 for s in out["statuses"])
