"""benchmarks/serving.py measures (in a tiny run against an in-process server): the row counts
requests, errors and latency percentiles. Nothing here asserts a speed."""
import os

from benchmarks import serving as bench
from autograph_jit.serving import ModelServer


def test_serving_benchmark_row_counts_requests_without_errors(tmp_path):
    base = str(tmp_path / "mlp")
    features = bench.save_mlp(base)
    assert os.path.isdir(os.path.join(base, "1"))
    with ModelServer("mlp", base, port=0, poll_seconds=0) as server:
        row = bench.measure(server.port, features, clients=2, seconds=0, requests=5)
    assert row["errors"] == 0 and row["requests"] == 10
    assert 0 < row["p50_ms"] <= row["p99_ms"]
