"""A Variable never takes a value of another shape: inside a tf.function whose input_signature
leaves a dim unknown, `assign` checks the actual value at run time and raises the eager error."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf

BACKENDS = ["cpu", "eager"]


def _eager_error(v, value):
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        v.assign(value)
    return info.value


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_of_a_wrong_run_time_shape_raises_as_eagerly(backend):
    v = tf.Variable(tf.zeros([3]))

    @tf.function(input_signature=[tf.TensorSpec([None])], backend=backend)
    def f(x):
        v.assign(x)
        return v.read_value()

    np.testing.assert_array_equal(f(tf.ones([3])).numpy(), [1, 1, 1])
    eager = _eager_error(v, tf.ones([100000]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (the assign runs on the interpreter)
        with pytest.raises(tf.errors.InvalidArgumentError) as traced:
            f(tf.fill([100000], 2.0))
    assert str(traced.value) == str(eager)
    assert "shape (100000,)" in str(traced.value) and "'Variable:0'" in str(traced.value)
    assert v.shape == (3,) and v.numpy().shape == (3,)
    np.testing.assert_array_equal(v.numpy(), [1, 1, 1])  # untouched by the failed call


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_checks_every_dim_of_a_rank_two_variable(backend):
    v = tf.Variable(tf.zeros([2, 3]))

    @tf.function(input_signature=[tf.TensorSpec([None, None])], backend=backend)
    def f(x):
        v.assign(x * 2.0)
        return v.read_value()

    np.testing.assert_array_equal(f(tf.ones([2, 3])).numpy(), np.full((2, 3), 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(tf.errors.InvalidArgumentError, match="of shape"):
            f(tf.ones([3, 2]))
    assert v.numpy().shape == (2, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_variable_declared_with_an_unknown_dim_takes_new_sizes(backend):
    v = tf.Variable(tf.zeros([3]), shape=tf.TensorShape([None]))

    @tf.function(input_signature=[tf.TensorSpec([None])], backend=backend)
    def f(x):
        v.assign(x)
        return v.read_value()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert f(tf.ones([5])).shape == (5,)
        assert f(tf.ones([2])).shape == (2,)
    assert v.numpy().shape == (2,)
