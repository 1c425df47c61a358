"""Column reductions (codegen/llvm/k_reduce.py, `_emit_columns`): reductions over outer axes with
the innermost axis kept accumulate whole rows into a block of column accumulators. They must
match NumPy (float32 sums accumulate in float64) for every op, layout, block remainder, keepdims,
fused prologue and broadcast operand, and other layouts must keep the strided path."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm import k_reduce


def cpu(fn):
    return tf.function(fn, backend="cpu", autograph=False)


def _data(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


_OPS = {"sum": (tf.reduce_sum, np.sum), "mean": (tf.reduce_mean, np.mean),
        "max": (tf.reduce_max, np.max), "min": (tf.reduce_min, np.min),
        "prod": (tf.reduce_prod, np.prod)}


@pytest.mark.parametrize("op", sorted(_OPS))
@pytest.mark.parametrize("shape,axis", [((37, 784), 0), ((3, 9, 1030), 1), ((4, 5, 16), (0, 1)),
                                        ((6, 7, 8, 9), (0, 2)), ((2, 3, 600), 0)])
def test_column_reduction_matches_numpy_for_every_op_and_layout(op, shape, axis):
    tf_op, np_op = _OPS[op]
    x = _data(shape) * (0.5 if op == "prod" else 1.0)
    got = cpu(lambda t: tf_op(t, axis=axis))(tf.constant(x)).numpy()
    want = np_op(x.astype(np.float64), axis=axis).astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_column_sum_keepdims_and_integer_inputs_match_numpy():
    x = _data((50, 3, 70), np.int32)
    got = cpu(lambda t: tf.reduce_sum(t, axis=0, keepdims=True))(tf.constant(x)).numpy()
    np.testing.assert_array_equal(got, x.sum(axis=0, keepdims=True))
    got = cpu(lambda t: tf.reduce_max(t, axis=[0, 1]))(tf.constant(x)).numpy()
    np.testing.assert_array_equal(got, x.max(axis=(0, 1)))


def test_fused_prologue_with_broadcast_row_matches_eager():
    x, w = _data((200, 33)), _data((33,), seed=1)
    f = cpu(lambda a, b: tf.reduce_sum(tf.square(a - b) * 0.5, axis=0))
    got = f(tf.constant(x), tf.constant(w)).numpy()
    want = (0.5 * np.square(x.astype(np.float64) - w)).sum(axis=0)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_column_max_propagates_nan_like_numpy():
    x = _data((20, 16))
    x[3, 5] = np.nan
    got = cpu(lambda t: tf.reduce_max(t, axis=0))(tf.constant(x)).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(x.max(axis=0)))


def test_column_sum_of_float32_is_as_accurate_as_a_float64_sum():
    x = (_data((4000, 24)) + np.float32(1000.0)).astype(np.float32)
    got = cpu(lambda t: tf.reduce_sum(t, axis=0))(tf.constant(x)).numpy()
    want = x.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-7)


def test_only_reductions_keeping_a_contiguous_innermost_axis_take_the_column_path():
    ok = k_reduce._columns_ok
    assert ok("reduce_sum", (1000, 784), (0,), (784,), [(1,), (1,)], (1000,))
    assert not ok("reduce_sum", (1000, 784), (1,), (1000,), [(1,), (784,)], (784,))
    assert not ok("reduce_sum", (784, 1000), (0,), (1000,), [(1,), (784,)], (784,))  # transposed
    assert not ok("reduce_any", (10, 64), (0,), (64,), [(1,), (1,)], (10,))
    assert not ok("reduce_sum", (10, 4), (0,), (4,), [(1,), (1,)], (10,))   # too narrow


def test_transposed_input_reduction_still_matches_numpy():
    x = _data((64, 40))
    got = cpu(lambda t: tf.reduce_sum(tf.transpose(t), axis=0))(tf.constant(x)).numpy()
    np.testing.assert_allclose(got, x.astype(np.float64).sum(axis=1), rtol=2e-6, atol=1e-6)


def test_bias_gradient_sum_is_lowered_as_a_column_block_loop():
    f = cpu(lambda t: tf.reduce_sum(t, axis=0))
    x = tf.constant(_data((30, 784)))
    f(x)
    text = f.get_concrete_function(x).llvm_ir()
    assert "blk.body" in text and "col.body" in text
