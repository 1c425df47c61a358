"""tf.TensorArray: TF's API eagerly and in traced functions, as a tf.while_loop loop variable,
under tf.cond, with run-time index checks, and under GradientTape."""
import numpy as np
import pytest

import autograph_jit as tf


def test_write_read_stack_size_eagerly():
    ta = tf.TensorArray(tf.float32, size=3)
    for i in range(3):
        ta = ta.write(i, tf.constant([float(i), 1.0]))
    assert ta.size().numpy() == 3
    np.testing.assert_array_equal(ta.stack().numpy(), [[0, 1], [1, 1], [2, 1]])
    np.testing.assert_array_equal(ta.read(1).numpy(), [1, 1])
    assert ta.element_shape == tf.TensorShape([2])


def test_dynamic_size_grows_on_write_past_the_end():
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    for i in range(5):
        ta = ta.write(i, i * i)
    np.testing.assert_array_equal(ta.stack().numpy(), [0, 1, 4, 9, 16])


def test_write_past_the_end_of_a_fixed_size_array_raises():
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not resizeable and its size is 2"):
        ta.write(2, 1.0)


def test_read_out_of_range_raises_in_a_function_too():
    @tf.function
    def f(i):
        ta = tf.TensorArray(tf.float32, size=2).write(0, 1.0).write(1, 2.0)
        return ta.read(i)
    assert f(tf.constant(1)).numpy() == 2.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        f(tf.constant(5))


def test_element_shape_mismatch_raises():
    ta = tf.TensorArray(tf.float32, size=2).write(0, [1.0, 2.0])
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="shape"):
        ta.write(1, [1.0, 2.0, 3.0])


def test_discarded_write_result_is_not_lost():
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=2)
        ta.write(0, x)
        ta.write(1, x * 2)
        return ta.stack()
    np.testing.assert_array_equal(f(tf.constant(3.0)).numpy(), [3.0, 6.0])


def test_tensor_array_as_while_loop_variable_matches_eager():
    def fn(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        _, ta = tf.while_loop(lambda i, ta: i < n,
                              lambda i, ta: (i + 1, ta.write(i, tf.fill([2], tf.cast(i, tf.float32)))),
                              [0, ta])
        return ta.stack()
    eager = fn(tf.constant(4))
    traced = tf.function(fn)
    np.testing.assert_array_equal(traced(tf.constant(4)).numpy(), eager.numpy())
    np.testing.assert_array_equal(traced(tf.constant(2)).numpy(), [[0, 0], [1, 1]])
    assert traced.experimental_get_tracing_count() == 1


def test_tensor_array_returned_from_cond_branches():
    @tf.function
    def f(flag):
        ta = tf.TensorArray(tf.float32, size=1)
        ta = tf.cond(flag, lambda: ta.write(0, 1.0), lambda: ta.write(0, -1.0))
        return ta.stack()
    assert f(tf.constant(True)).numpy().tolist() == [1.0]
    assert f(tf.constant(False)).numpy().tolist() == [-1.0]


def test_unstack_gather_concat():
    ta = tf.TensorArray(tf.float32, size=3).unstack(tf.constant([[1.0, 2.0], [3.0, 4.0],
                                                                 [5.0, 6.0]]))
    np.testing.assert_array_equal(ta.gather([2, 0]).numpy(), [[5, 6], [1, 2]])
    np.testing.assert_array_equal(ta.concat().numpy(), [1, 2, 3, 4, 5, 6])


def test_gradient_flows_through_writes_and_reads():
    x = tf.Variable([1.0, 2.0])

    def loss():
        ta = tf.TensorArray(tf.float32, size=2)
        ta = ta.write(0, x * x).write(1, 3.0 * x)
        return tf.reduce_sum(ta.stack()) + tf.reduce_sum(ta.read(0))

    with tf.GradientTape() as tape:
        eager = loss()
    g_eager = tape.gradient(eager, x)

    @tf.function
    def traced():
        with tf.GradientTape() as tape:
            y = loss()
        return tape.gradient(y, x)
    np.testing.assert_allclose(g_eager.numpy(), [7.0, 11.0])
    np.testing.assert_allclose(traced().numpy(), [7.0, 11.0])


def test_appends_write_in_place_and_never_change_earlier_buffers():
    from autograph_jit.ops.tensor_array import _write_kernel
    buf = np.zeros((0, 3), np.float32)
    versions = []
    for i in range(40):
        buf = _write_kernel(buf, i, np.full(3, float(i), np.float32), True)
        versions.append(buf)
    assert len({id(v.base) for v in versions[8:]}) <= 3  # doubling: a few buffers, not 32 copies
    for i, v in enumerate(versions):
        np.testing.assert_array_equal(v, np.repeat(np.arange(i + 1.0), 3).reshape(i + 1, 3))


def test_two_histories_appending_to_one_buffer_stay_independent():
    from autograph_jit.ops.tensor_array import _write_kernel
    buf = np.zeros((0,), np.int32)
    for i in range(5):
        buf = _write_kernel(buf, i, np.int32(i), True)
    left = _write_kernel(buf, 5, np.int32(100), True)
    right = _write_kernel(buf, 5, np.int32(-100), True)
    assert left.tolist() == [0, 1, 2, 3, 4, 100] and right.tolist() == [0, 1, 2, 3, 4, -100]
    assert buf.tolist() == [0, 1, 2, 3, 4]


def test_fixed_size_array_without_element_shape_in_a_nested_loop_is_native():
    # its placeholder buffer enters the inner loop already shaped as the first write makes it,
    # so the outer loop's body keeps static shapes (no interpreter fallback under strict=True)
    def run(n):
        out = tf.zeros([])
        for i in tf.range(n):
            ta = tf.TensorArray(tf.float32, size=4)
            for j in tf.range(4):
                ta = ta.write(j, tf.fill([2, 3], tf.cast(i * j + 1, tf.float32)))
            weights = tf.range(4, dtype=tf.float32)[None, :, None]
            out += tf.reduce_sum(tf.transpose(ta.stack(), [1, 0, 2]) * weights)
        return out
    n = tf.constant(3)
    assert tf.function(run, strict=True)(n).numpy() == run(n).numpy() == 360.0
