"""`tf.math` namespace: thin re-exports of ops/math_ops.py (plus a few composites TF has here)."""
from .ops.math_ops import (  # noqa: F401
    abs, add, add_n, argmax, argmin, cast, ceil, cos, cumsum, divide, divide_no_nan, equal, erf,
    exp, expm1, floor, floordiv, floormod, greater, greater_equal, is_finite, is_inf, is_nan, less,
    less_equal, log, log1p, log_sigmoid, logical_and, logical_not, logical_or, logical_xor,
    maximum, minimum, mod, multiply, negative, not_equal, pow, reciprocal, reduce_all, reduce_any,
    reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_std, reduce_sum,
    reduce_variance, round, rsqrt, sigmoid, sign, sin, sqrt, square, squared_difference, subtract,
    tanh, truediv)
from .ops.complex_ops import angle, conj, imag, real  # noqa: F401
from .ops import math_ops as m, nn_ops


def count_nonzero(input, axis=None, keepdims=False, dtype="int64", name=None):  # noqa: A002
    """Computes the number of nonzero elements across dimensions of a tensor.

    Args:
      input: a tensor. axis: dimensions to reduce (None: all). keepdims: keep reduced dims.
      dtype: the output dtype (int64 by default, as TF).

    >>> int(tf.math.count_nonzero(tf.constant([0, 1, 2, 0])))
    2
    """
    x = m.to_tensor(input)
    zero = m.zeros_like_(x)
    return m.reduce_sum(m.cast(m.not_equal(x, zero), dtype), axis=axis, keepdims=keepdims)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """Computes the Euclidean norm of elements across dimensions of a tensor.

    >>> float(tf.math.reduce_euclidean_norm(tf.constant([3.0, 4.0])))
    5.0
    """
    return m.sqrt(m.reduce_sum(m.square(input_tensor), axis=axis, keepdims=keepdims))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """Normalizes along `axis` using an L2 norm: `x / sqrt(max(sum(x**2), epsilon))`.

    >>> tf.math.l2_normalize(tf.constant([3.0, 4.0])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = m.to_tensor(x)
    sq = m.reduce_sum(m.square(x), axis=axis, keepdims=True)
    return m.multiply(x, m.rsqrt(m.maximum(sq, epsilon)))


def softplus(features, name=None):
    """Computes elementwise softplus: `log(exp(features) + 1)`.

    >>> round(float(tf.math.softplus(tf.constant(0.0))), 4)
    0.6931
    """
    return nn_ops.softplus(features)
