"""Short schemathesis runs against the API served by gunicorn on the indexed sample (the full
2,000+ request run is bench/fuzz_api.py): its own loop with our contract, and the command line
with every check, from the description alone (plus bench/fuzz_hooks.py for its string formats)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SMOKE_REQUESTS = 300
ROOT = Path(__file__).resolve().parents[2]


def test_fuzzed_api_never_5xx_and_every_4xx_names_the_problem(served_sample):
    from bench.fuzz_api import fuzz

    out = fuzz(served_sample.base_url, requests_target=SMOKE_REQUESTS, max_seconds=240, log=lambda m: None)
    assert out["requests"] >= SMOKE_REQUESTS * 0.9, out
    assert out["server_errors"] == 0, out["statuses"]
    assert not out["failures"], "\n".join(f"[{f['kind']}] {f['operation']} {f.get('status')}: {f['problem'][:400]}\n"
                                          f"  {f.get('request')}" for f in out["failures"][:10])
    assert any(200 <= s < 300 for s in out["statuses"]) and any(400 <= s < 500 for s in out["statuses"])


def test_schemathesis_with_every_check_finds_nothing(served_sample, tmp_path):
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(ROOT / "bench" / "fuzz_hooks.py"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "st"), "run", served_sample.base_url + "/api/openapi.json",
         "--checks", "all", "--max-examples", "15", "--workers", "1", "--request-timeout", "30", "--no-color"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout and "failure" not in proc.stdout.split("SUMMARY")[-1].lower()
