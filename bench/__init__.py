"""Benchmarks and reliability checks, each a script: `python bench/<name>.py --help`.

The reliability checks are also functions that tests/reliability calls: `harness` (the served
app, a private Redis, an RQ worker, the second OpenSearch node), `load` (load generation,
Server-Timing parsing, the atomic-switch report), `fuzz_api`, `faults` and `reindex_under_load`.
"""
