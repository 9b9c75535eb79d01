"""Fuzz the JSON API from its own OpenAPI description with schemathesis.

    python bench/fuzz_api.py [--requests 2000] [--prefix dev-] [--base http://127.0.0.1:8000]

Without --base it serves the app itself with `peerscope serve` (gunicorn) on a free port,
on the indexes of --prefix (the rate limit off, so that the fuzzer measures the API, not
the limiter). Cases come from /api/openapi.json: valid ones (positive) and ones that break
the schema (negative), for every operation, with random path ids and with real ones.
Stops after --requests requests (at least) or --max-seconds.

Every response is checked:
- no 5xx, ever (the engine is up, so not even 503);
- every 4xx is JSON {"error": {"code", "message"}} with both non-empty (it names the problem);
- every response check of schemathesis (`st run --checks all`): status codes, content types
  and headers the description declares, 2xx bodies valid against the response schemas,
  valid input accepted, invalid input rejected, undeclared methods answered 405 with Allow.
Prints counts per status and per operation and the failures; exits 1 on any failure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

if not __package__:  # run as `python bench/fuzz_api.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fuzz_hooks  # noqa: E402,F401 - the description's own string formats
from bench import harness  # noqa: E402


def _checks():
    """Every response check schemathesis has (as `st run --checks all`)."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return CHECKS.get_all()


def problem_of(status: int, content_type: str, body: bytes) -> str | None:
    """Why a response breaks our own contract; None when it keeps it."""
    if status >= 500:
        return f"server error {status}"
    if 400 <= status < 500:
        if "application/json" not in content_type:
            return f"{status} with content type {content_type!r}, not JSON"
        try:
            err = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            return f"{status} JSON without an error object: {body[:200]!r}"
        if not (isinstance(err.get("code"), str) and err["code"] and isinstance(err.get("message"), str)
                and err["message"].strip()):
            return f"{status} error without code and message: {err!r}"
    return None


def _header(resp, name: str) -> str:
    """One header of a schemathesis Response (its headers map lower-case names to lists)."""
    value = resp.headers.get(name) or resp.headers.get(name.title()) or ""
    return value[0] if isinstance(value, list) and value else str(value or "")


def real_ids(base: str) -> dict[str, list[str]]:
    import requests

    data = requests.get(base + "/api/works?mode=keyword&size=20", timeout=30).json()
    works = [w["id"] for w in data["results"]]
    people = list(dict.fromkeys(a["id"] for w in data["results"] for a in w.get("authors") or [] if a.get("id")))
    return {"work_id": works, "researcher_id": people[:20], "kind": ["researchers", "works", "topics"],
            "key": people[:10]}


def fuzz(base: str, *, requests_target: int = 2000, max_seconds: float = 1800, log=print) -> dict:
    """Run the fuzzer against the app at `base`; returns counts and failures."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(base + "/api/openapi.json", timeout=30)
    operations = [r.ok() for r in schema.get_all_operations()]
    ids = real_ids(base)
    session = requests.Session()
    checks = _checks()
    statuses: Counter = Counter()
    per_op: dict[str, Counter] = defaultdict(Counter)
    failures: list[dict] = []
    seen_failures: set[tuple] = set()
    sent = [0]
    t0 = time.monotonic()
    deadline = t0 + max_seconds

    def record(op_label: str, mode: str, case, resp, problem: str | None, check_failure: str | None) -> None:
        statuses[resp.status_code] += 1
        per_op[op_label][resp.status_code] += 1
        for kind, text in (("contract", problem), ("schemathesis", check_failure)):
            if text:
                key = (op_label, kind, text.split("\n")[0][:120], resp.status_code)
                if key in seen_failures:
                    continue
                seen_failures.add(key)
                failures.append({"operation": op_label, "mode": mode, "kind": kind, "status": resp.status_code,
                                 "problem": text[:600], "request": f"{resp.request.method} {resp.request.url}"[:400],
                                 "body": (resp.text or "")[:300]})

    def strategies(op):
        path_names = [p.name for p in op.path_parameters]
        out = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            out.append((mode.value, op.as_strategy(generation_mode=mode)))
            if path_names and all(n in ids for n in path_names):
                fixed = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in path_names})
                out.append((f"{mode.value}+real-ids", fixed.flatmap(
                    lambda params, mode=mode: op.as_strategy(generation_mode=mode, path_parameters=params))))
        return out

    def call(case, label: str, mode: str) -> None:
        if time.monotonic() >= deadline:
            return
        try:
            resp = case.call(base_url=base, session=session, timeout=30)
        except requests.RequestException as exc:
            failures.append({"operation": label, "mode": mode, "kind": "transport",
                             "problem": f"no answer: {exc}"[:300]})
            sent[0] += 1
            return
        sent[0] += 1
        problem = problem_of(resp.status_code, _header(resp, "content-type"), resp.content)
        check_failure = None
        try:
            # a 413/414 refuses an oversized request before validation: a rejection, though not one
            # of the statuses negative_data_rejection expects (a valid request must never get one)
            chosen = checks if resp.status_code not in (413, 414) else \
                [c for c in checks if getattr(c, "__name__", "") != "negative_data_rejection"]
            case.validate_response(resp, checks=chosen)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis raises a FailureGroup
            check_failure = str(exc).strip()
        record(label, mode, case, resp, problem, check_failure)

    plan = [(op, name, strat) for op in operations for name, strat in strategies(op)]
    per_round = max(10, requests_target // max(1, len(plan)) + 1)
    rounds = 0
    unsatisfiable: set[tuple[str, str]] = set()
    while sent[0] < requests_target and time.monotonic() < deadline and rounds < 20:
        rounds += 1
        for op, mode, strategy in plan:
            if time.monotonic() >= deadline:
                break
            label = f"{op.method.upper()} {op.path}"

            @settings(max_examples=per_round, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck), derandomize=False)
            @given(case=strategy)
            def one(case):
                call(case, label, mode)

            try:
                one()
            except Unsatisfiable:  # e.g. a negative case with every parameter fixed: nothing to break
                unsatisfiable.add((label, mode))
        plan = [p for p in plan if (f"{p[0].method.upper()} {p[0].path}", p[1]) not in unsatisfiable]
        log(f"round {rounds}: {sent[0]} requests, {len(failures)} distinct failures, "
            f"{time.monotonic() - t0:.0f} s")
    return {
        "requests": sent[0],
        "seconds": round(time.monotonic() - t0, 1),
        "operations": len(operations),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "per_operation": {k: dict(sorted(v.items())) for k, v in sorted(per_op.items())},
        "failures": failures,
        "not_generated": sorted(f"{a} ({b})" for a, b in unsatisfiable),
    }


def _on_fresh_sample(papers: int, run) -> dict:
    import uuid
    from dataclasses import replace

    from peerscope.config import load_settings
    from search import lifecycle
    from search.client import make_client

    prefix = f"rel-fuzz-{uuid.uuid4().hex[:6]}-"
    settings = replace(load_settings(), index_prefix=prefix)
    env = harness.app_env(prefix, None)
    env.pop("PEERSCOPE_REDIS_URL", None)
    try:
        harness.peerscope(["index", "--sample", str(papers)], env, timeout=900)
        with harness.served(env, workers=2) as web:
            return {"prefix": prefix, **run(web.base_url)}
    finally:
        lifecycle.drop_prefix(make_client(settings, timeout=60), settings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", help="an app already served (default: serve one here)")
    ap.add_argument("--prefix", default="dev-", help="index prefix to serve when --base is not given")
    ap.add_argument("--sample", type=int, default=None,
                    help="index this many papers into a fresh prefix first (dropped afterwards) and serve that")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--max-seconds", type=float, default=1800)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    def run(base: str) -> dict:
        return fuzz(base, requests_target=args.requests, max_seconds=args.max_seconds,
                    log=lambda m: print(m, file=sys.stderr, flush=True))

    if args.base:
        out = run(args.base)
    elif args.sample:
        out = _on_fresh_sample(args.sample, run)
    else:
        with harness.served(harness.app_env(args.prefix, None), workers=2) as web:
            out = run(web.base_url)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['requests']} requests in {out['seconds']} s over {out['operations']} operations; "
              f"statuses {out['statuses']}; 5xx: {out['server_errors']}; failures: {len(out['failures'])}")
        for f in out["failures"][:30]:
            print(f"- [{f['kind']}] {f['operation']} ({f['mode']}) {f.get('status', '')}: "
                  f"{f['problem'][:300]}\n    {f.get('request', '')}")
    return 1 if out["failures"] or out["server_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
