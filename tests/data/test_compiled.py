"""tf.data with the compiler: map functions run compiled (and fused with batch when row-wise),
and `for x in dataset` inside tf.function is one graph loop equal to eager iteration."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.data.transforms import MapDataset

D = tf.data.Dataset


def _map_of(ds):
    while not isinstance(ds, MapDataset):
        ds = ds._input
    return ds


def test_cast_scale_map_is_fused_with_batch_and_equals_per_element():
    x = np.random.default_rng(0).integers(0, 256, (300, 7), dtype=np.uint8)
    ds = D.from_tensor_slices(x).map(lambda v: tf.cast(v, tf.float32) / 255).batch(128)
    assert _map_of(ds)._fn.is_rowwise()
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(128, 7), (128, 7), (44, 7)]
    want = x.astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(np.concatenate(batches), want)
    # the same map without fusion (element by element, then stacked) gives the same bits
    rows = np.stack([r for r in D.from_tensor_slices(x).map(
        lambda v: tf.cast(v, tf.float32) / 255).as_numpy_iterator()])
    np.testing.assert_array_equal(rows, want)


def test_fusion_keeps_passthrough_labels_and_drop_remainder():
    x = np.arange(20, dtype=np.int32).reshape(10, 2)
    y = np.arange(10)
    ds = D.from_tensor_slices((x, y)).map(lambda a, b: (a * 2 + 1, b)).batch(4, True)
    assert _map_of(ds)._fn.is_rowwise()
    got = [(a.numpy(), b.numpy()) for a, b in ds]
    assert len(got) == 2
    np.testing.assert_array_equal(got[1][0], x[4:8] * 2 + 1)
    np.testing.assert_array_equal(got[1][1], y[4:8])


@pytest.mark.parametrize("fn", [
    lambda v: tf.reduce_sum(v),                # a reduction over the row
    lambda v: v - tf.reduce_mean(v),           # broadcast of a per-row value
    lambda v: tf.transpose(v),                 # not elementwise
    lambda v: v + tf.random.uniform([3]),      # an effect (RNG)
    lambda v: (v, tf.constant([1.0, 2.0, 3.0])),  # a constant output would not gain a batch dim
])
def test_non_rowwise_maps_are_not_fused_and_still_correct(fn):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    ds = D.from_tensor_slices(x).map(fn).batch(2)
    assert not _map_of(ds)._fn.is_rowwise()
    assert len(list(ds)) == 2


def test_row_dependent_broadcast_is_not_fused():
    # row (3,) + a (3,)-shaped constant is elementwise per row but not batchable as is
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    c = tf.constant([10.0, 20.0, 30.0])
    ds = D.from_tensor_slices(x).map(lambda v: v + c).batch(2)
    assert not _map_of(ds)._fn.is_rowwise()
    np.testing.assert_array_equal(next(iter(ds)).numpy(), x + np.array([10, 20, 30]))


def _loop_sum(ds):
    total = tf.constant(0.0)
    count = tf.constant(0, tf.int64)
    for x, y in ds:
        total += tf.reduce_sum(x)
        count += tf.reduce_sum(y)
    return total, count


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_for_over_dataset_in_tf_function_equals_eager_and_traces_once(backend):
    x = np.arange(24, dtype=np.float32).reshape(12, 2)
    ds = D.from_tensor_slices((x, np.arange(12))).map(lambda a, b: (a * 2.0, b)).batch(5)
    f = tf.function(_loop_sum, backend=backend)
    want = _loop_sum(ds)
    got = f(ds)
    assert float(got[0]) == float(want[0]) and int(got[1]) == int(want[1])
    f(ds)
    assert f.experimental_get_tracing_count() == 1
    cf = f.get_concrete_function(ds)
    ops = {n.op.name for n in cf.graph.nodes}
    assert "while_loop" in ops and "dataset_elements" in ops


def test_for_over_shuffled_dataset_sees_a_new_order_each_call():
    ds = D.range(20).shuffle(20, seed=3)

    @tf.function
    def first_elements():
        out = tf.TensorArray(tf.int64, size=0, dynamic_size=True)
        i = 0
        for x in ds:
            out = out.write(i, x)
            i += 1
        return out.stack()
    a = first_elements().numpy()
    b = first_elements().numpy()
    assert sorted(a.tolist()) == list(range(20)) and a.tolist() != b.tolist()


def test_enumerate_dataset_in_tf_function():
    @tf.function
    def f():
        s = tf.constant(0, tf.int64)
        for i, x in enumerate(D.range(5)):
            s += x * x + tf.cast(i, tf.int64) * 0
        return s
    assert int(f()) == 30
    ops = {n.op.name for n in f.get_concrete_function().graph.nodes}
    assert {"while_loop", "dataset_elements"} <= ops  # one graph loop, not unrolled


def test_for_over_string_dataset_in_tf_function_runs_as_a_reported_host_graph():
    ds = D.from_tensor_slices(["a", "bb", "ccc"])

    @tf.function
    def f():
        n = 0
        for x in ds:
            n += tf.strings.length(x)
        return n
    assert int(f()) == 6
    assert "tf.string values" in f.get_concrete_function().explain()


def test_for_over_infinite_dataset_in_tf_function_is_a_clear_error():
    @tf.function
    def f():
        s = tf.constant(0, tf.int64)
        for x in D.range(3).repeat():
            s += x
        return s
    with pytest.raises(ValueError, match="infinite"):
        f()


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_next_of_an_outside_iterator_inside_tf_function_advances_per_call(backend):
    it = iter(D.from_tensor_slices(np.arange(6, dtype=np.float32).reshape(3, 2)))

    @tf.function(backend=backend)
    def step(iterator):
        return tf.reduce_sum(next(iterator)) * 2.0
    assert [float(step(it)) for _ in range(3)] == [2.0, 10.0, 18.0]
    assert step.experimental_get_tracing_count() == 1
    with pytest.raises(tf.errors.OutOfRangeError):
        step(it)


def test_iterator_made_inside_tf_function_is_a_clear_error():
    ds = D.range(3)

    @tf.function
    def f():
        return next(iter(ds))
    with pytest.raises(TypeError, match="outside the function"):
        f()


def test_zip_of_datasets_and_enumerate_run_eagerly_when_autograph_runs_eagerly():
    def f(ds):
        s = 0
        for i, x in enumerate(ds):
            s += int(x) * i
        return s
    converted = tf.autograph.to_graph(f)
    assert converted(D.range(4)) == 0 + 1 + 4 + 9
