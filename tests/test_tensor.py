"""Eager tensors behave as TF2's: dtype inference, printing, dtype rules of operators, Python and
NumPy interop, immutability."""
import numpy as np
import pytest

import autograph_jit as tf

# -- dtype inference ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,dtype", [
    (1, tf.int32), (1.23, tf.float32), (True, tf.bool), ([1, 2, 3], tf.int32),
    ([1, 2.5], tf.float32), ([[1.0], [2.0]], tf.float32), ([True, False], tf.bool),
    (2 ** 40, tf.int64), ([1, 2 ** 40], tf.int64), (-2 ** 31, tf.int32), (2 ** 31, tf.int64)])
def test_constant_infers_tf_dtypes_from_python_values(value, dtype):
    assert tf.constant(value).dtype is dtype


@pytest.mark.parametrize("np_dtype", [np.float16, np.float32, np.float64, np.int8, np.int16,
                                      np.int32, np.int64, np.uint8, np.bool_])
def test_constant_keeps_numpy_dtype(np_dtype):
    arr = np.zeros((2, 3), np_dtype)
    t = tf.constant(arr)
    assert t.dtype == np_dtype
    assert t.shape == (2, 3)
    assert tf.constant(np_dtype(1)).dtype == np_dtype


def test_constant_of_numpy_float64_array_is_float64():
    assert tf.constant(np.array([1.0, 2.0])).dtype is tf.float64
    assert tf.constant(np.array(1)).dtype is tf.int64


def test_constant_with_explicit_dtype_converts():
    assert tf.constant(1, dtype=tf.float32).numpy() == np.float32(1.0)
    assert tf.constant([1, 2], dtype="float64").dtype is tf.float64
    assert tf.constant(np.array([1.7, -1.7]), dtype=tf.float32).dtype is tf.float32


def test_constant_refuses_float_value_for_int_dtype():
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)


def test_convert_to_tensor_refuses_float_value_for_int_dtype():
    with pytest.raises(TypeError):
        tf.convert_to_tensor(1.5, dtype=tf.int32)


def test_constant_casts_numpy_float_array_to_requested_int_dtype():
    t = tf.constant(np.array([1.7, -1.7]), dtype=tf.int32)
    assert t.dtype is tf.int32 and t.numpy().tolist() == [1, -1]


def test_constant_shape_argument_fills_and_reshapes():
    filled = tf.constant(7.0, shape=[2, 3])
    np.testing.assert_array_equal(filled.numpy(), np.full((2, 3), 7.0, np.float32))
    reshaped = tf.constant([1, 2, 3, 4], shape=[2, 2])
    np.testing.assert_array_equal(reshaped.numpy(), [[1, 2], [3, 4]])


def test_constant_shape_mismatch_raises_type_error():
    with pytest.raises(TypeError):
        tf.constant([1, 2, 3], shape=[2, 2])


def test_convert_to_tensor_with_conflicting_dtype_raises_value_error():
    with pytest.raises(ValueError):
        tf.convert_to_tensor(tf.constant(1.0), dtype=tf.int32)
    assert tf.convert_to_tensor(3).dtype is tf.int32
    assert tf.convert_to_tensor(3, dtype_hint=tf.float32).dtype is tf.float32


# -- printing ----------------------------------------------------------------------------------


def test_str_matches_tf():
    assert str(tf.constant([1.0, 2.0])) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert str(tf.constant(3)) == "tf.Tensor(3, shape=(), dtype=int32)"
    assert str(tf.constant([True, False])) == \
        "tf.Tensor([ True False], shape=(2,), dtype=bool)"
    assert str(tf.constant([[1, 2], [3, 4]])) == \
        "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"


def test_repr_matches_tf():
    assert repr(tf.constant(1.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=1.0>"
    assert repr(tf.constant(5)) == "<tf.Tensor: shape=(), dtype=int32, numpy=5>"
    assert repr(tf.constant([1.0, 2.0])) == \
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    assert repr(tf.constant([[1, 2], [3, 4]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
        "array([[1, 2],\n       [3, 4]], dtype=int32)>")


def test_print_uses_str(capsys):
    print(tf.constant([1.0, 2.0]))
    assert capsys.readouterr().out == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)\n"


def test_format_of_scalar_tensor_uses_the_value():
    assert f"{tf.constant(2.5):.2f}" == "2.50"


# -- operator dtype rules ----------------------------------------------------------------------


def test_int32_plus_float32_tensors_raises_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.add(tf.constant([1.0], tf.float32), tf.constant([1.0], tf.float64))


def test_python_int_takes_float_tensor_dtype():
    x = tf.constant([1.0, 2.0])
    assert (x + 1).dtype is tf.float32
    assert (1 + x).dtype is tf.float32
    assert (x * 2).numpy().tolist() == [2.0, 4.0]


def test_python_float_with_int_tensor_raises_type_error():
    with pytest.raises(TypeError):
        tf.constant(1) + 2.5
    with pytest.raises(TypeError):
        2.5 * tf.constant([1, 2])


def test_int_tensor_true_division_gives_float64():
    q = tf.constant([3, 4]) / 2
    assert q.dtype is tf.float64
    np.testing.assert_array_equal(q.numpy(), [1.5, 2.0])
    assert (tf.constant(3, tf.int64) / tf.constant(2, tf.int64)).dtype is tf.float64
    assert (tf.constant(3, tf.int16) / tf.constant(2, tf.int16)).dtype is tf.float32


@pytest.mark.xfail(strict=True, reason="TF's truediv checks dtypes in Python first: TypeError "
                   "'`x` and `y` must have the same dtype, got tf.int32 != tf.float32'; "
                   "math_ops.truediv raises InvalidArgumentError")
def test_true_division_of_mismatched_tensors_raises_type_error():
    with pytest.raises(TypeError):
        tf.constant(1) / tf.constant(2.0)
    with pytest.raises(TypeError):
        tf.constant(1.0) / tf.constant(2.0, tf.float64)


def test_floor_division_and_mod_follow_python_signs():
    a = tf.constant([7, -7])
    assert (a // 2).numpy().tolist() == [3, -4]
    assert (a % 3).numpy().tolist() == [1, 2]
    assert (a // 2).dtype is tf.int32


def test_integer_division_by_zero_raises_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1) // tf.constant(0)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.floormod(tf.constant([1, 2]), tf.constant([1, 0]))


def test_integer_to_negative_power_raises_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pow(tf.constant(2), tf.constant(-1))


def test_incompatible_broadcast_raises_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])


def test_operators_cover_arithmetic_and_matmul():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert (-x).numpy().tolist() == [[-1.0, -2.0], [-3.0, -4.0]]
    assert abs(-x).numpy().tolist() == x.numpy().tolist()
    assert (x @ x).numpy().tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert (x ** 2).numpy().tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert (2 - x).numpy().tolist() == [[1.0, 0.0], [-1.0, -2.0]]
    assert (1 / x).dtype is tf.float32


def test_comparisons_are_elementwise_bool_tensors():
    x = tf.constant([1, 2, 3])
    eq = x == 2
    assert isinstance(eq, tf.Tensor) and eq.dtype is tf.bool
    assert eq.numpy().tolist() == [False, True, False]
    assert (x != 2).numpy().tolist() == [True, False, True]
    assert (x < 2).numpy().tolist() == [True, False, False]
    assert (x >= 2).numpy().tolist() == [False, True, True]
    assert (x == None) is False  # noqa: E711
    assert ((x > 1) & (x < 3)).numpy().tolist() == [False, True, False]
    assert (~(x > 1)).numpy().tolist() == [True, False, False]


# -- Python conversion -------------------------------------------------------------------------


def test_bool_int_float_of_scalars_are_eager_values():
    assert bool(tf.constant(True)) is True
    assert bool(tf.constant(0.0)) is False
    assert int(tf.constant(7)) == 7
    assert float(tf.constant(2.5)) == 2.5
    assert [10, 20, 30][tf.constant(1)] == 20  # __index__ for integer scalars


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(ValueError):
        bool(tf.constant([1, 2]))


def test_len_and_iteration_walk_the_first_axis():
    x = tf.constant([[1, 2], [3, 4], [5, 6]])
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, tf.Tensor) for r in rows)
    assert rows[2].numpy().tolist() == [5, 6]
    with pytest.raises(TypeError):
        len(tf.constant(1))
    with pytest.raises(TypeError):
        iter(tf.constant(1))


def test_tensors_are_unhashable_but_ref_is_a_key():
    x = tf.constant(1.0)
    with pytest.raises(TypeError, match="ref"):
        hash(x)
    with pytest.raises(TypeError):
        {x: 1}
    table = {x.ref(): "x"}
    assert table[x.ref()] == "x"
    assert x.ref().deref() is x
    assert tf.constant(1.0).ref() not in table  # identity, not value


def test_numpy_returns_scalars_and_copies():
    s = tf.constant(1.5)
    assert isinstance(s.numpy(), np.float32)
    x = tf.constant([1.0, 2.0])
    arr = x.numpy()
    assert isinstance(arr, np.ndarray)
    arr[0] = 100.0
    assert x.numpy()[0] == 1.0  # tensors are immutable


def test_tensor_metadata():
    x = tf.constant(np.zeros((2, 3, 4), np.float32))
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dtype is tf.float32
    assert tf.is_tensor(x) and not tf.is_tensor(np.zeros(2))
    assert "CPU" in x.device


# -- NumPy interop -----------------------------------------------------------------------------


def test_numpy_functions_accept_tensors():
    x = tf.constant([0.0, 1.0])
    out = np.exp(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [1.0, np.e], rtol=1e-6)
    assert np.asarray(x).dtype == np.float32
    assert np.sum(tf.constant([1, 2, 3])) == 6


def test_ndarray_plus_tensor_gives_tensor():
    x = tf.constant([1.0, 2.0])
    out = np.array([10.0, 20.0], np.float32) + x
    assert isinstance(out, tf.Tensor)
    assert out.dtype is tf.float32
    assert out.numpy().tolist() == [11.0, 22.0]
    out = x * np.array([2.0, 3.0], np.float32)
    assert isinstance(out, tf.Tensor) and out.numpy().tolist() == [2.0, 6.0]


def test_tensor_in_numpy_array_constructor():
    arr = np.array(tf.constant([[1, 2]]))
    assert arr.shape == (1, 2) and arr.dtype == np.int32


def test_one_hot_takes_the_dtype_of_python_on_off_values_as_tf():
    # TF 2.x: on_value=5, off_value=0 give int32; a float on_value gives float32
    assert tf.one_hot([0, 2], 3, on_value=5, off_value=0).dtype == tf.int32
    assert tf.one_hot([0, 2], 3, on_value=5, off_value=0).numpy().tolist() == [[5, 0, 0],
                                                                                [0, 0, 5]]
    assert tf.one_hot([0, 2], 3, on_value=5.0).dtype == tf.float32
    assert tf.one_hot([1], 2).dtype == tf.float32
