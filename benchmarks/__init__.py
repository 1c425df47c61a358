"""Benchmarks: autograph_jit eager vs graph (and peer frameworks when installed), side by side.

One module a workload, each with `run(settings, peers, **sizes) -> list[Row]` and a `main()` so
`python -m benchmarks.<name>` runs it alone; `python -m benchmarks` runs them all into one table.
Speed is only ever measured here, never asserted in tests (tests/test_benchmarks_smoke.py checks
that every workload produces numbers and that graph results equal eager ones).
"""
