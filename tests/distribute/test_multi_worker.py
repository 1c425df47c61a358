"""MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1 (TF_CONFIG): training
equals single-process training on the full batch, Keras fit equals single-process fit, a dead
or stalled peer fails the other worker within the timeout. Workers run tests/distribute/
worker.py, write their results to a file and exit by themselves; each wait here is bounded."""
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np

import autograph_jit as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).with_name("worker.py")


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run_workers(tmp_path, scenario, timeout=20, wait_for=(0, 1), extra_env=None):
    """Start two workers of `scenario`; wait (bounded) for those in `wait_for`, kill the rest;
    return their result dicts."""
    addresses = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(os.environ, PYTHONPATH=str(ROOT), DIST_TEST_TIMEOUT=str(timeout),
                   TF_CONFIG=json.dumps({"cluster": {"worker": addresses},
                                         "task": {"type": "worker", "index": index}}),
                   **(extra_env or {}))
        procs.append(subprocess.Popen(
            [sys.executable, str(WORKER), scenario, str(tmp_path / f"{index}.json")], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    try:
        for index in wait_for:
            procs[index].wait(timeout=timeout * 4 + 60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)
    results = []
    for index in wait_for:
        path = tmp_path / f"{index}.json"
        assert path.exists(), procs[index].stdout.read().decode()[-3000:]
        results.append(json.loads(path.read_text()))
    return results


def _ok(result):
    assert "error" not in result, result.get("traceback")
    return result


def test_mean_reduced_training_on_two_workers_equals_full_batch_training(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "custom_loop"))
    sys.path.insert(0, str(WORKER.parent))
    try:
        from worker import data
    finally:
        sys.path.pop(0)
    x, y = data()
    # the chief's initial value was mirrored to worker 1 (which made a different one)
    w = np.random.RandomState(100).randn(3, 1)
    assert np.array_equal(np.array(r1["w0"]), w) and np.array_equal(np.array(r0["w0"]), w)
    b = np.zeros(1)
    losses = []
    for _ in range(3):   # the same steps in one process on the full (global) batches
        for start in range(0, 24, 8):
            bx, by = x[start:start + 8], y[start:start + 8]
            err = bx @ w + b - by
            losses.append(float(np.mean(err ** 2)))
            gw = 2 * bx.T @ err / len(bx)
            gb = 2 * err.sum(0) / len(bx)
            w, b = w - 0.1 * gw, b - 0.1 * gb
    for r in (r0, r1):
        np.testing.assert_allclose(r["w"], w, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(r["b"], b, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(r["losses"], losses, rtol=1e-6, atol=1e-6)
    assert r0["w"] == r1["w"]   # bit-identical replicas


def _single_process_fit(init, x, y):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4, "tanh"),
                                 tf.keras.layers.Dense(1)])
    model.compile(tf.keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    model.set_weights([np.array(v, np.float32) for v in init])
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return model.get_weights(), history.history


def test_keras_fit_on_two_workers_equals_single_process_fit(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "keras_fit"))
    sys.path.insert(0, str(WORKER.parent))
    try:
        from worker import data
    finally:
        sys.path.pop(0)
    x, y = data(n=40)
    assert r0["init"] == r1["init"]   # the model's variables were mirrored from the chief
    weights, history = _single_process_fit(r0["init"], x.astype("float32"), y.astype("float32"))
    for r in (r0, r1):
        for got, want in zip(r["weights"], weights):
            np.testing.assert_allclose(np.array(got), want, rtol=1e-5, atol=1e-6)
        for key in ("loss", "mae"):
            np.testing.assert_allclose(r["history"][key], history[key], rtol=1e-5)
    assert r0["weights"] == r1["weights"]


def test_keras_fit_with_shuffle_keeps_two_workers_identical(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "keras_fit", extra_env={"DIST_SHUFFLE": "1"}))
    assert r0["weights"] == r1["weights"]
    assert r0["weights"] != r0["init"]


def test_collectives_reduce_gather_and_shard_across_two_workers(tmp_path):
    r0, r1 = map(_ok, run_workers(tmp_path, "collectives"))
    for r in (r0, r1):
        assert r["replicas"] == 2
        assert r["sum"] == [10.0, 12.0, 14.0] and r["mean"] == [5.0, 6.0, 7.0]
        # worker 0 has 1 row of 0s, worker 1 two rows of 1s: MEAN over axis 0 is global
        np.testing.assert_allclose(r["mean_axis0"], [2 / 3, 2 / 3])
        assert r["sum_axis0"] == [2.0, 2.0]
        assert r["gather"] == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
        assert r["int_sum"] == 3
        assert r["nested"] == {"a": [3.0, 6.0], "b": [1, 2]}
    assert (r0["replica_id"], r1["replica_id"]) == (0, 1)
    assert r0["unbatched"] == [0, 2, 4, 6, 8] and r1["unbatched"] == [1, 3, 5, 7, 9]
    assert r0["from_function"] == [[0, 2], [4, 6]] and r1["from_function"] == [[1, 3], [5, 7]]


def test_killed_worker_makes_the_other_fail_within_the_timeout(tmp_path):
    (r0,) = run_workers(tmp_path, "die", timeout=10, wait_for=(0,))
    assert r0["error"] == "UnavailableError", r0
    assert "worker 1 (127.0.0.1:" in r0["message"]
    assert r0["seconds"] < 10


def test_worker_killed_during_keras_fit_fails_the_compiled_step_of_the_other(tmp_path):
    (r0,) = run_workers(tmp_path, "die_in_fit", timeout=10, wait_for=(0,))
    assert r0["error"] == "UnavailableError", r0
    assert "worker 1 (127.0.0.1:" in r0["message"] and "gradient all-reduce" in r0["message"]
    assert r0["seconds"] < 10


def test_stalled_worker_raises_deadline_exceeded_naming_it(tmp_path):
    (r0,) = run_workers(tmp_path, "stall", timeout=2, wait_for=(0,))
    assert r0["error"] == "DeadlineExceededError", r0
    assert "worker 1 (127.0.0.1:" in r0["message"]
    assert 1.5 <= r0["seconds"] < 10
