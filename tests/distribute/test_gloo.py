"""The gloo collectives (torch.distributed, the optional `[gloo]` extra) between two workers on
127.0.0.1: the same results as shared memory, and a killed worker still fails the other fast.
Skipped where torch is not installed."""
import pytest

pytest.importorskip("torch.distributed")

from .test_multi_worker import _ok, run_workers

GLOO = {"AUTOGRAPH_JIT_COLLECTIVE": "gloo"}


def test_gloo_collectives_reduce_and_gather_like_shared_memory(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "collectives", extra_env=GLOO))
    for r in (r0, r1):
        assert r["sum"] == [10.0, 12.0, 14.0] and r["mean"] == [5.0, 6.0, 7.0]
        assert r["gather"] == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
        assert r["nested"] == {"a": [3.0, 6.0], "b": [1, 2]}


def test_gloo_keras_fit_keeps_two_workers_identical(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "keras_fit", extra_env=GLOO))
    assert r0["init"] == r1["init"] and r0["weights"] == r1["weights"]


def test_gloo_killed_worker_makes_the_other_fail_within_the_timeout(tmp_path):
    (r0,) = run_workers(tmp_path, "die", timeout=10, wait_for=(0,), extra_env=GLOO)
    assert r0["error"] in ("UnavailableError", "DeadlineExceededError"), r0
    assert "worker 1 (127.0.0.1:" in r0["message"]
    assert r0["seconds"] < 15
