"""Behaviour of indexing (`t[...]`, `v[...]`), sliced variable assignment and the slicing/gather
ops beyond what the NumPy-reference specs check: TF's error types and messages, type rules on
partially known shapes, and higher-order gradients through the gradient-helper ops."""
import os
import subprocess
import sys

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ir.types import TensorType
from autograph_jit.ops import slicing
from autograph_jit.errors import InvalidArgumentError

T55 = np.array([[8, 0, 1, 2, 1], [8, 8, 5, 0, 0], [3, 4, 6, 4, 2], [1, 6, 7, 0, 1],
                [4, 3, 8, 5, 4]], np.int32)


def _t():
    return tf.constant(T55)


# -- indexing values (example 05) ----------------------------------------------------------------


def test_example_05_rows_elements_and_strided_slices():
    t = _t()
    np.testing.assert_array_equal(t[0].numpy(), [8, 0, 1, 2, 1])
    np.testing.assert_array_equal(t[-1].numpy(), [4, 3, 8, 5, 4])
    assert t[1, 3].numpy() == 0 and t[1][3].numpy() == 0
    np.testing.assert_array_equal(t[1:4, :].numpy(), T55[1:4])
    np.testing.assert_array_equal(tf.slice(t, [1, 0], [3, 5]).numpy(), T55[1:4])
    np.testing.assert_array_equal(t[1:4, :4:2].numpy(), [[8, 5], [3, 6], [1, 7]])
    assert (t[1:4, :4:2].shape, t[-1].shape, t[1, 3].shape) == ((3, 2), (5,), ())
    assert t[1, 3].dtype is tf.int32


def test_example_05_sliced_variable_assign():
    x = tf.Variable([[1, 2], [3, 4]], dtype=tf.float32)
    x[1, :].assign(tf.constant([0.0, 0.0]))
    np.testing.assert_array_equal(x.numpy(), [[1, 2], [0, 0]])


def test_example_05_ellipsis_str():
    a = tf.constant(np.arange(27).reshape(3, 3, 3), dtype=tf.int32)
    assert str(a[..., 1]) == ("tf.Tensor(\n[[ 1  4  7]\n [10 13 16]\n [19 22 25]], "
                              "shape=(3, 3), dtype=int32)")


def test_example_05_program_output_matches_expected():
    check = "/work/shared/examples/check.py"
    if not os.path.exists(check):
        pytest.skip("example corpus not present")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([sys.executable, check, "05"], cwd=root, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_newaxis_negative_steps_and_scalar_tensor_indices():
    t = _t()
    assert t[:, None].shape == (5, 1, 5)
    assert t[tf.newaxis, ..., None].shape == (1, 5, 5, 1)
    np.testing.assert_array_equal(t[::-2, ::-1].numpy(), T55[::-2, ::-1])
    np.testing.assert_array_equal(t[tf.constant(2)].numpy(), T55[2])
    np.testing.assert_array_equal(t[tf.constant(1, tf.int64):tf.constant(3)].numpy(), T55[1:3])
    np.testing.assert_array_equal(t[np.int64(-2), 1:].numpy(), T55[-2, 1:])


def test_out_of_range_slice_bounds_clamp_like_python():
    t = _t()
    assert t[7:].shape == (0, 5)
    np.testing.assert_array_equal(t[-100:100, 3].numpy(), T55[:, 3])


def test_bool_tensor_key_is_boolean_mask():
    t = tf.constant([1, 2, 3, 4])
    np.testing.assert_array_equal(t[t > 2].numpy(), [3, 4])
    np.testing.assert_array_equal(t[np.array([True, False, True, False])].numpy(), [1, 3])


# -- indexing errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("key,msg", [
    (5, "slice index 5 of dimension 0 out of bounds."),
    (-6, "slice index -6 of dimension 0 out of bounds."),
    ((1, 7), "slice index 7 of dimension 1 out of bounds."),
    ((1, 2, 3), "Index out of range using input dim 2; input has only 2 dims"),
])
def test_out_of_range_index_raises_invalid_argument(key, msg):
    with pytest.raises(InvalidArgumentError, match=msg.replace(".", r"\.")):
        _t()[key]


def test_index_into_scalar_raises_invalid_argument():
    with pytest.raises(InvalidArgumentError, match="input has only 0 dims"):
        tf.constant(3.0)[0]


def test_zero_step_raises_invalid_argument():
    with pytest.raises(InvalidArgumentError, match="must be non-zero"):
        _t()[::0]


@pytest.mark.parametrize("key", [[1, 2], (0, [1, 2]), 1.5, (np.array([True, False]), 0),
                                 tf.constant([1, 2])])
def test_list_float_and_vector_indices_raise_type_error_with_hint(key):
    with pytest.raises(TypeError, match="tf.gather"):
        _t()[key]


def test_two_ellipses_raise_value_error():
    with pytest.raises(ValueError, match="Multiple ellipses"):
        _t()[..., ...]


# -- type rules on partially known shapes --------------------------------------------------------


def _infer(x_shape, key_spec, dyn_types=()):
    return slicing._ss_infer([TensorType(tf.float32, x_shape)] + list(dyn_types), spec=key_spec)


def test_strided_slice_type_rule_with_unknown_dims_and_rank():
    spec, _ = slicing._normalize_key((slice(1, 3), 0, None))
    assert _infer([None, 4, 2], spec).shape.as_list() == [None, 1, 2]
    assert _infer([5, 4, 2], spec).shape.as_list() == [2, 1, 2]
    assert _infer(None, spec).shape.rank is None
    dyn_spec = (("index", ("arg", 0)), ("slice", ("arg", 0), None, None))
    out = _infer([5, 4], dyn_spec, [TensorType(tf.int32, [])])
    assert out.shape.as_list() == [None]


def test_where_indices_and_boolean_mask_have_unknown_leading_dim():
    from autograph_jit.ops import gather_ops
    ty = gather_ops._where_indices_infer([TensorType(tf.bool, [3, 4])])
    assert ty.dtype is tf.int64 and ty.shape.as_list() == [None, 2]


# -- gradients -----------------------------------------------------------------------------------


def test_getitem_gradient_scatters_into_zeros():
    x = tf.constant(np.arange(12.0).reshape(3, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x[1:, ::-2] * 2.0)
    g = tape.gradient(y, x).numpy()
    want = np.zeros((3, 4))
    want[1:, ::-2] = 2.0
    np.testing.assert_array_equal(g, want)


def test_second_order_gradient_through_strided_slice_grad():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x[1:] ** 3)
        g = inner.gradient(y, x)
        z = tf.reduce_sum(g * g)
    # g = [0, 3x1^2, 3x2^2]; dz/dx = 2 g * 6x on the slice
    np.testing.assert_allclose(outer.gradient(z, x).numpy(), [0.0, 2 * 12 * 12, 2 * 27 * 18])


def test_second_order_gradient_through_gather_grad():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.gather(x, [2, 2, 0]) ** 2)
        z = tf.reduce_sum(inner.gradient(y, x) ** 2)
    # dy/dx = [2x0, 0, 4x2]; z = 4x0^2 + 16x2^2
    np.testing.assert_allclose(outer.gradient(z, x).numpy(), [8.0, 0.0, 96.0])


def test_variable_slice_read_is_differentiable():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[:, 1] * 3.0)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[0, 3], [0, 3]])


# -- sliced variable assignment ------------------------------------------------------------------


def test_sliced_assign_broadcasts_python_values_and_returns_variable():
    v = tf.Variable(np.zeros((3, 4), np.float32))
    out = v[::2, 1:3].assign(5)
    assert out is v
    want = np.zeros((3, 4), np.float32)
    want[::2, 1:3] = 5
    np.testing.assert_array_equal(v.numpy(), want)
    v[-1].assign([1, 2, 3, 4])
    np.testing.assert_array_equal(v.numpy()[-1], [1, 2, 3, 4])


def test_sliced_assign_with_tensor_index_and_earlier_reads_unchanged():
    v = tf.Variable([1, 2, 3])
    before = v.read_value()
    v[tf.constant(1)].assign(9)
    np.testing.assert_array_equal(v.numpy(), [1, 9, 3])
    np.testing.assert_array_equal(before.numpy(), [1, 2, 3])


def test_sliced_assign_shape_and_dtype_mismatch_raise():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InvalidArgumentError, match="sliced l-value shape"):
        v[1, :].assign(tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(InvalidArgumentError, match="int32"):
        v[1, :].assign(tf.constant([1, 2]))
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])


def test_slice_of_plain_tensor_has_no_assign():
    assert not hasattr(_t()[1], "assign")


def test_strided_slice_update_is_pure():
    x = tf.constant([1, 2, 3, 4])
    y = slicing.strided_slice_update(x, slice(1, 3), 0)
    np.testing.assert_array_equal(y.numpy(), [1, 0, 0, 4])
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3, 4])


# -- gather, split, slice, pad, ... errors -------------------------------------------------------


def test_gather_out_of_range_index_raises_tf_message():
    with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = 7 is not in \[0, 5\)"):
        tf.gather(tf.range(5), [7])
    with pytest.raises(InvalidArgumentError, match=r"indices\[1,0\] = -1 is not in \[0, 3\)"):
        tf.gather(tf.constant([1.0, 2.0, 3.0]), [[0, 1], [-1, 2]])


def test_gather_nd_out_of_range_raises():
    with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = \[3, 0\] does not index"):
        tf.gather_nd(tf.zeros([3, 3]), [[0, 0], [3, 0]])


def test_gather_float_indices_raise():
    with pytest.raises(InvalidArgumentError, match="int32 or int64"):
        tf.gather(tf.range(5), tf.constant([1.0]))


def test_split_uneven_count_raises():
    with pytest.raises(InvalidArgumentError, match="evenly divide the split dimension"):
        tf.split(tf.zeros([5, 2]), 3)


def test_split_sizes_not_adding_up_raise():
    with pytest.raises(InvalidArgumentError, match="Determined shape must either match"):
        tf.split(tf.zeros([5]), [2, 2])
    with pytest.raises(InvalidArgumentError, match="Only one dimensions can have a value of -1"):
        tf.split(tf.zeros([5]), [-1, -1, 2])


def test_split_with_minus_one_size():
    a, b, c = tf.split(tf.range(7), [2, -1, 1])
    assert [a.shape[0], b.shape[0], c.shape[0]] == [2, 4, 1]


def test_slice_size_too_large_raises():
    with pytest.raises(InvalidArgumentError, match=r"Expected size\[0\] in \[0, 4\]"):
        tf.slice(tf.zeros([5]), [1], [7])


def test_pad_bad_mode_and_reflect_too_wide_raise():
    with pytest.raises(ValueError, match="mode"):
        tf.pad(tf.zeros([3]), [[1, 1]], mode="WRAP")
    with pytest.raises(InvalidArgumentError, match="no greater than the dimension size"):
        tf.pad(tf.zeros([3]), [[3, 0]], mode="REFLECT")


def test_tile_and_broadcast_to_errors():
    with pytest.raises(InvalidArgumentError, match="multiples argument to be a vector of length 2"):
        tf.tile(tf.zeros([2, 3]), [2])
    with pytest.raises(InvalidArgumentError, match="Incompatible shapes|Unable to broadcast"):
        tf.broadcast_to(tf.zeros([3]), [2, 4])


def test_one_hot_defaults_float32_and_all_off_rows():
    out = tf.one_hot([0, -1, 5], 3)
    assert out.dtype is tf.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 0], [0, 0, 0]])


def test_boolean_mask_errors():
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(tf.zeros([3]), True)
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(tf.zeros([3]), [True, False])


def test_where_one_argument_returns_int64_coordinates():
    out = tf.where(tf.constant([[True, False], [False, True]]))
    assert out.dtype is tf.int64
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [1, 1]])


def test_sort_descending_and_bad_direction():
    np.testing.assert_array_equal(tf.sort([3, 1, 2], direction="DESCENDING").numpy(), [3, 2, 1])
    np.testing.assert_array_equal(tf.argsort([3, 1, 2]).numpy(), [1, 2, 0])
    with pytest.raises(ValueError, match="direction"):
        tf.sort([1, 2], direction="UP")


def test_newaxis_is_none():
    assert tf.newaxis is None


# -- inside tf.function --------------------------------------------------------------------------


def test_symbolic_index_traces_as_run_time_input_and_matches_eager():
    @tf.function(autograph=False)
    def f(x, i):
        return x[i], x[1:i, ::-1]

    x = tf.constant(np.arange(12.0).reshape(4, 3))
    cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float64), tf.TensorSpec([], tf.int32))
    assert "strided_slice %x, %i" in str(cf.graph)
    row, block = f(x, tf.constant(3))
    np.testing.assert_array_equal(row.numpy(), x.numpy()[3])
    np.testing.assert_array_equal(block.numpy(), x.numpy()[1:3, ::-1])
    with pytest.raises(InvalidArgumentError, match="slice index 4 of dimension 0"):
        f(x, tf.constant(4))


def test_sliced_variable_assign_inside_function():
    v = tf.Variable(np.zeros((3, 2), np.float32))

    @tf.function(autograph=False)
    def g(j):
        v[j, :].assign([1.0, 2.0])
        return v[j]

    np.testing.assert_array_equal(g(tf.constant(2)).numpy(), [1, 2])
    np.testing.assert_array_equal(v.numpy(), [[0, 0], [0, 0], [1, 2]])
