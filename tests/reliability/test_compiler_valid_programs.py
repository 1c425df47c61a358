"""Valid programs that used to fail to compile (issue 11, defect 6): the gradient of a matmul of a
tensor with itself, gradients through reductions of unknown rank (tf.squeeze of unknown dims),
TensorArray.stack() of elements of unknown rank, softmax over a zero-size axis."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (interpreter fallback notes)
        return fn(*args)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_gradient_of_matmul_of_a_tensor_with_itself_compiles_and_matches_eager(transpose_a,
                                                                             transpose_b):
    def grad(a):
        with tf.GradientTape() as t:
            t.watch(a)
            y = tf.reduce_sum(tf.matmul(a, a, transpose_a=transpose_a, transpose_b=transpose_b))
        return t.gradient(y, a)
    a = tf.constant(np.random.RandomState(0).rand(3, 3).astype(np.float32))
    np.testing.assert_allclose(tf.function(grad)(a).numpy(), grad(a).numpy(), rtol=1e-5)


def test_two_matmuls_meeting_in_one_add_fuse_without_breaking_the_graph():
    @tf.function
    def f(a, b):
        return tf.nn.relu(tf.matmul(a, b) + tf.matmul(b, a))
    a = tf.constant(np.random.RandomState(1).rand(4, 4).astype(np.float32))
    b = tf.constant(np.random.RandomState(2).rand(4, 4).astype(np.float32))
    want = np.maximum(a.numpy() @ b.numpy() + b.numpy() @ a.numpy(), 0)
    np.testing.assert_allclose(f(a, b).numpy(), want, rtol=1e-5)


@pytest.mark.parametrize("reduce", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max])
@pytest.mark.parametrize("axis", [None, -1, 0, [0, 1]])
@pytest.mark.parametrize("spec", [tf.TensorSpec(None), tf.TensorSpec([None, None, None])])
def test_gradient_through_squeeze_of_unknown_dims_matches_eager(reduce, axis, spec):
    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(reduce(tf.squeeze(x), axis=axis) ** 2)
        return t.gradient(y, x)
    x = tf.constant(np.random.RandomState(3).rand(1, 3, 4).astype(np.float32))
    got = _quiet(tf.function(grad, input_signature=[spec]), x)
    np.testing.assert_allclose(got.numpy(), grad(x).numpy(), rtol=1e-5)


def _stack_concat_in_loop(x):
    ta = tf.TensorArray(tf.float32, size=2)
    for i in tf.range(2):
        ta = ta.write(i, x)
    s = ta.stack()
    return tf.concat([s, s], axis=1)


def _stack_concat(x):
    ta = tf.TensorArray(tf.float32, size=2)
    ta = ta.write(0, x)
    ta = ta.write(1, x * 2.0)
    s = ta.stack()
    return tf.concat([s, s], axis=1)


@pytest.mark.parametrize("fn", [_stack_concat, _stack_concat_in_loop])
@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_stack_of_elements_of_unknown_rank_is_not_typed_rank_1(fn, backend):
    f = tf.function(fn, input_signature=[tf.TensorSpec(None)], backend=backend)
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    got = _quiet(f, x)
    assert got.shape == (2, 4, 3)
    np.testing.assert_array_equal(got.numpy(), fn(x).numpy())


@pytest.mark.parametrize("shape,axis", [([2, 0], -1), ([0, 3], 0), ([0, 3], -1),
                                        ([3, 0, 2], 1)])
@pytest.mark.parametrize("op", [tf.nn.softmax, tf.nn.log_softmax])
def test_softmax_over_a_zero_size_axis_is_empty_eagerly_compiled_and_in_gradients(shape, axis,
                                                                                 op):
    z = tf.zeros(shape)
    assert op(z, axis=axis).shape == tuple(shape)
    for backend in ("cpu", "eager"):
        got = tf.function(lambda x: op(x, axis=axis), backend=backend)(z)
        assert got.shape == tuple(shape)

    def grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(op(x, axis=axis))
        return t.gradient(y, x)
    assert grad(z).shape == tuple(shape)
    assert tf.function(grad)(z).shape == tuple(shape)
