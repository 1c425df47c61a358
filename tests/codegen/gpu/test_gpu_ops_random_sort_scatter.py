"""backend='gpu' on the grid emulator against eager for the ops added to the GPU table: Philox
RNG (the same stream as eager: uniform floats and ints bit-equal, normals within float
tolerance), argsort/sort (stable, NaN order), the scatter-add gradients (gather, gather_nd,
mirror pads; duplicates accumulate), gather_nd, batched gathers, reduce_prod's gradient,
sliced writes and their gradients, static TensorArrays in loops and asserts. Odd sizes and
odd launch grids (conftest), every module through ptxas for sm_75/80/90."""
import numpy as np
import pytest

import autograph_jit as tf

from .conftest import assemble_all, run_both

RNG = np.random.default_rng(17)


def _gpu_and_eager(fn, *args):
    gpu = tf.function(fn, backend="gpu", strict=True)
    got = gpu(*args)
    want = fn(*args)
    assemble_all(gpu.get_concrete_function(*args)._gpu.last_plan())
    return got, want


def test_random_uniform_floats_and_ints_draw_eagers_stream_bit_for_bit(device):
    def draw():
        tf.random.set_seed(11)
        return (tf.random.uniform([5, 7]), tf.random.uniform([3], dtype=tf.float64),
                tf.random.uniform([9], minval=-4, maxval=11, dtype=tf.int32),
                tf.random.uniform([5], minval=2, maxval=9, dtype=tf.int64),
                tf.random.uniform([13], seed=7))
    got, want = _gpu_and_eager(draw)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_a_gpu_function_called_twice_continues_the_stream_like_eager(device):
    f = tf.function(lambda: tf.random.uniform([6]), backend="gpu", strict=True)
    tf.random.set_seed(4)
    got = [f().numpy(), f().numpy()]
    tf.random.set_seed(4)
    g = tf.function(lambda: tf.random.uniform([6]))
    want = [g().numpy(), g().numpy()]
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got[0], got[1])


def test_random_normal_truncated_normal_and_shuffle_follow_eagers_stream(device):
    def draw():
        tf.random.set_seed(5)
        return (tf.random.normal([5, 3]), tf.random.normal([7], dtype=tf.float64),
                tf.random.truncated_normal([101]),
                tf.random.shuffle(tf.reshape(tf.range(27), [9, 3])))
    got, want = _gpu_and_eager(draw)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-6)
    assert np.abs(np.asarray(got[2])).max() <= 2.0


def test_explain_lists_the_host_calls_that_reserve_random_counters(device):
    f = tf.function(lambda: tf.random.uniform([10], seed=3) + 1.0, backend="gpu", strict=True)
    f()
    text = str(f.get_concrete_function().explain())
    assert "host call between kernels: reserve 3 Philox counters of stream" in text


def test_random_uniform_int_with_empty_range_raises_like_eager(device):
    f = tf.function(lambda lo, hi: tf.random.uniform([4], minval=lo, maxval=hi, dtype=tf.int32),
                    backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval"):
        f(tf.constant(5), tf.constant(5))


def test_argsort_and_sort_are_stable_with_numpys_nan_order(device):
    x = RNG.integers(0, 4, size=(7, 9)).astype(np.float32)
    x[2, 3] = np.nan
    x[4, 0] = np.nan
    x[5, 5] = -0.0
    i = RNG.integers(-3, 3, size=(11,)).astype(np.int32)

    def f(a, b):
        return (tf.argsort(a, axis=1), tf.argsort(a, axis=0, direction="DESCENDING"),
                tf.sort(a, axis=1), tf.sort(b, direction="DESCENDING"), tf.argsort(b))
    run_both(f, x, i)


def test_gather_gradient_adds_duplicate_indices_in_order(device):
    p = RNG.normal(size=(7, 5)).astype(np.float32)
    idx = np.array([[1, 3, 1], [6, 1, 0]], np.int32)
    w = RNG.normal(size=(2, 3, 5)).astype(np.float32)

    def f(x, j):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.gather(x, j) * w) + tf.reduce_sum(
                tf.gather(x, j[:, :2] % 5, axis=1) ** 2)
        return tape.gradient(y, x)
    run_both(f, tf.constant(p), tf.constant(idx), rtol=1e-6)


def test_gather_nd_and_its_gradient_with_repeated_tuples(device):
    p = RNG.normal(size=(5, 4, 3)).astype(np.float32)
    idx = np.array([[1, 3], [1, 3], [4, 0], [0, 2]], np.int64)

    def f(x, j):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.gather_nd(x, j)
            z = tf.reduce_sum(y * y)
        return y, tape.gradient(z, x)
    run_both(f, tf.constant(p), tf.constant(idx))


def test_gather_nd_out_of_bounds_raises_invalid_argument(device):
    f = tf.function(lambda x, j: tf.gather_nd(x, j), backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into param shape"):
        f(np.ones((3, 2), np.float32), np.array([[1, 1], [3, 0]], np.int32))


def test_mirror_pads_and_their_gradient(device):
    x = RNG.normal(size=(5, 4)).astype(np.float32)

    def f(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.pad(a, [[2, 1], [1, 3]], mode="REFLECT")
            z = tf.pad(a, [[1, 2], [3, 0]], mode="SYMMETRIC")
            loss = tf.reduce_sum(y * y) + tf.reduce_sum(z * 3.0)
        return y, z, tape.gradient(loss, a)
    run_both(f, tf.constant(x))


def test_reduce_prod_gradient_and_strided_slice_gradient(device):
    x = RNG.normal(size=(7, 5)).astype(np.float32)

    def f(a):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(a)
            p = tf.reduce_sum(tf.reduce_prod(a, axis=1))
            s = tf.reduce_sum(a[1:6:2, ::-2] * 3.0)
        return tape.gradient(p, a), tape.gradient(s, a)
    run_both(f, tf.constant(x))


def test_variable_slice_assignment_with_run_time_index(device):
    v = tf.Variable(np.zeros((6, 3), np.float32))

    @tf.function(backend="gpu", strict=True)
    def put(i, row):
        v[i].assign(row)
        return v.read_value()
    put(tf.constant(4), tf.constant([1.0, 2.0, 3.0]))
    out = put(tf.constant(-1), tf.constant([7.0, 8.0, 9.0])).numpy()
    want = np.zeros((6, 3), np.float32)
    want[4] = [1, 2, 3]
    want[5] = [7, 8, 9]
    np.testing.assert_array_equal(out, want)
    assemble_all(put.get_concrete_function(tf.constant(0), tf.constant([0.0] * 3))
                 ._gpu.last_plan())


def test_static_tensor_array_written_in_a_loop_and_read(device):
    x = RNG.normal(size=(7, 5)).astype(np.float32)

    def f(p):
        arr = tf.TensorArray(tf.float32, size=7, element_shape=[5])
        for i in tf.range(7):
            arr = arr.write(i, tf.gather(p, i) * 2.0 + 1.0)
        return arr.stack(), arr.read(3)
    run_both(f, tf.constant(x))


def test_tensor_array_read_past_the_end_raises(device):
    def f(p, i):
        arr = tf.TensorArray(tf.float32, size=3, element_shape=[2])
        arr = arr.write(0, p)
        return arr.read(i)
    g = tf.function(f, backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        g(tf.constant([1.0, 2.0]), tf.constant(5))


def test_assert_passes_on_the_gpu_and_a_failing_one_raises_eagers_error(device):
    def f(a):
        tf.debugging.assert_non_negative(a)
        return a * 2.0
    run_both(f, np.arange(5, dtype=np.float32))
    g = tf.function(f, backend="gpu", strict=True)
    with pytest.raises(tf.errors.InvalidArgumentError):
        g(np.array([1.0, -1.0, 2.0], np.float32))


def test_indexing_with_a_run_time_index_in_a_loop_and_its_bounds_check(device):
    x = RNG.normal(size=(6, 4, 3)).astype(np.float32)

    def f(p, j):
        acc = tf.zeros([3])
        for i in tf.range(6):
            acc = acc + p[i, 1] * tf.cast(i, tf.float32)
        return acc, p[j], p[-1, j]
    run_both(f, tf.constant(x), tf.constant(-2))
    g = tf.function(lambda p, j: p[j], backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        g(tf.constant(x), tf.constant(6))
