"""`tf.linalg` namespace."""
from .ops.math_ops import matmul, tensordot  # noqa: F401
from .ops.array_ops import eye, transpose
from .ops import math_ops as m


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    rank = a.shape.rank
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return transpose(a, perm)


def trace(x, name=None):
    x = m.to_tensor(x)
    mask = eye(x.shape[-2], x.shape[-1], dtype=x.dtype)
    return m.reduce_sum(m.multiply(x, mask), axis=[-2, -1])
