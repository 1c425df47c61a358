"""Server-side batching: TF Serving's parameters file, merging concurrent requests, padding to
allowed batch sizes and to a common length, queue limits (503) and oversize tasks (400)."""
import threading

import numpy as np
import pytest

from autograph_jit import errors
from autograph_jit.serving import BatchingParameters, BatchScheduler, parse_batching_parameters
from autograph_jit.serving.batching_config import load_batching_parameters

from .conftest import W

PARAMS_FILE = """
# TF Serving's batching_parameters.txt
max_batch_size { value: 8 }
batch_timeout_micros { value: 20000 }
num_batch_threads { value: 2 }
max_enqueued_batches { value: 100 }
allowed_batch_sizes: 4
allowed_batch_sizes: 8
pad_variable_length_inputs: true
"""


def test_parameters_file_in_tf_servings_text_format_parses(tmp_path):
    path = tmp_path / "batching.txt"
    path.write_text(PARAMS_FILE)
    p = load_batching_parameters(str(path))
    assert (p.max_batch_size, p.batch_timeout_micros, p.num_batch_threads,
            p.max_enqueued_batches, p.allowed_batch_sizes, p.pad_variable_length_inputs) == \
        (8, 20000, 2, 100, (4, 8), True)
    assert parse_batching_parameters("") == BatchingParameters()


@pytest.mark.parametrize("text, words", [
    ("max_batch_size { value: 8 } allowed_batch_sizes: 4", "must equal max_batch_size"),
    ("max_batch_size { value: 8 } allowed_batch_sizes: 8 allowed_batch_sizes: 4",
     "strictly increasing"),
    ("max_batch_sise { value: 8 }", "unknown field 'max_batch_sise'"),
    ("max_batch_size { value: big }", "not a valid"),
    ("max_batch_size { value: 0 }", "must be >= 1"),
    ("max_batch_size 8", "expected ':' or '{'"),
    ("max_batch_size { 8 }", "value: ..."),
])
def test_bad_parameters_raise_invalid_argument_naming_the_field(text, words):
    with pytest.raises(errors.InvalidArgumentError, match=None) as e:
        parse_batching_parameters(text)
    assert words in str(e.value)


def _concurrently(n, fn):
    results, threads = [None] * n, []
    barrier = threading.Barrier(n)

    def work(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - returned for the assertion
            results[i] = e

    for i in range(n):
        threads.append(threading.Thread(target=work, args=(i,)))
        threads[-1].start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_requests_are_merged_padded_and_split_back():
    seen = []

    def run(inputs):
        seen.append(inputs["x"].shape[0])
        return {"y": inputs["x"] * 2}

    s = BatchScheduler(BatchingParameters(max_batch_size=8, batch_timeout_micros=200_000,
                                          allowed_batch_sizes=(4, 8)))
    try:
        out = _concurrently(6, lambda i: s.submit("k", run, {"x": np.full((1, 2), i)}))
    finally:
        s.stop()
    for i, o in enumerate(out):
        np.testing.assert_array_equal(o["y"], np.full((1, 2), 2 * i))
    assert sum(seen) >= 6 and len(seen) < 6          # fewer runs than requests
    assert set(seen) <= {4, 8}                       # padded to allowed sizes


def test_pad_variable_length_inputs_pads_other_dimensions_with_zeros():
    def run(inputs):
        return {"y": inputs["x"].sum(axis=1), "width": np.full(len(inputs["x"]),
                                                               inputs["x"].shape[1])}

    s = BatchScheduler(BatchingParameters(max_batch_size=4, batch_timeout_micros=200_000,
                                          pad_variable_length_inputs=True))
    try:
        out = _concurrently(2, lambda i: s.submit("k", run, {"x": np.ones((1, 2 + i))}))
    finally:
        s.stop()
    assert [float(o["y"][0]) for o in out] == [2.0, 3.0]


def test_requests_of_different_shapes_without_padding_fail_with_the_fix():
    from autograph_jit.serving.batching import _Task
    s = BatchScheduler(BatchingParameters(max_batch_size=4))
    try:
        tasks = [_Task({"x": np.ones((1, 2))}, 1), _Task({"x": np.ones((1, 3))}, 1)]
        with pytest.raises(errors.InvalidArgumentError, match="pad_variable_length_inputs"):
            s._run(lambda d: {"y": d["x"]}, tasks)
    finally:
        s.stop()


def test_task_larger_than_max_batch_size_is_invalid_argument():
    s = BatchScheduler(BatchingParameters(max_batch_size=2))
    try:
        with pytest.raises(errors.InvalidArgumentError, match="larger than maximum"):
            s.submit("k", lambda d: d, {"x": np.ones((3, 1))})
    finally:
        s.stop()


def test_full_queue_is_unavailable_and_recovers():
    release = threading.Event()

    def slow(inputs):
        release.wait(30)
        return {"y": inputs["x"]}

    s = BatchScheduler(BatchingParameters(max_batch_size=1, max_enqueued_batches=1,
                                          num_batch_threads=1))
    try:
        first = threading.Thread(target=s.submit, args=("k", slow, {"x": np.ones((1,))}))
        first.start()
        # wait until the first task is running, then fill the queue's one slot
        for _ in range(1000):
            if not s._queues.get("k"):
                break
            threading.Event().wait(0.01)
        second = threading.Thread(target=s.submit, args=("k", slow, {"x": np.ones((1,))}))
        second.start()
        for _ in range(1000):
            if s._sizes.get("k"):
                break
            threading.Event().wait(0.01)
        with pytest.raises(errors.UnavailableError, match="queue .* is full"):
            s.submit("k", slow, {"x": np.ones((1,))})
        release.set()
        first.join(30)
        second.join(30)
        assert s.submit("k", slow, {"x": np.ones((1,))})["y"].shape == (1,)
    finally:
        release.set()
        s.stop()


def test_server_with_batching_answers_concurrent_clients_correctly(serve):
    from .conftest import Client
    server = serve("linear", batching=BatchingParameters(max_batch_size=8,
                                                         batch_timeout_micros=50_000,
                                                         num_batch_threads=2))

    def one(i):
        c = Client(server.port)
        try:
            return c.post("/v1/models/linear:predict", {"instances": [[i, 1.0, 0.0]]})
        finally:
            c.close()

    out = _concurrently(6, one)
    for i, (code, doc) in enumerate(out):
        assert code == 200
        np.testing.assert_allclose(doc["predictions"], np.array([[i, 1, 0]], np.float32) @ W)
    assert server.scheduler.batches_run < 6


def test_server_queue_full_is_503(serve, client, monkeypatch):
    server = serve("linear", batching=BatchingParameters(max_batch_size=1,
                                                         max_enqueued_batches=1))
    monkeypatch.setattr(server.scheduler, "_sizes", _AlwaysFull())
    code, doc = client(server).post("/v1/models/linear:predict", {"instances": [[1, 2, 3]]})
    assert code == 503 and "queue" in doc["error"]


class _AlwaysFull(dict):
    def get(self, key, default=None):
        return 10 ** 9
