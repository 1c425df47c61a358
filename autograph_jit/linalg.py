"""`tf.linalg` namespace: matrix products, inverses, solves, factorizations, norms, band parts."""
from .ops.array_ops import expand_dims, eye, squeeze
from .ops.einsum_ops import einsum
from .ops.linalg_ops import (
    band_part, cholesky, det, diag, diag_part, eig, eigh, eigvals, eigvalsh, inv, logdet, matrix_transpose, norm,
    qr, set_diag, slogdet, solve, svd, triangular_solve)
from .ops.math_ops import matmul, tensordot
from .ops.math_ops import reduce_sum as _reduce_sum

adjoint = matrix_transpose


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """Multiplies matrix `a` by vector `b`, producing `a @ b` (batched over leading dims).

    >>> tf.linalg.matvec(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([1.0, 1.0])).numpy()
    array([3., 7.], dtype=float32)
    """
    t = transpose_a or adjoint_a
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=t), axis=-1)


def trace(x, name=None):
    """Computes the trace of a tensor: the sum of each inner-most matrix's diagonal.

    >>> float(tf.linalg.trace(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    5.0
    """
    return _reduce_sum(diag_part(x), axis=-1)


__all__ = ["adjoint", "band_part", "cholesky", "det", "diag", "diag_part", "eig", "eigh",
           "eigvals", "eigvalsh",
           "einsum", "eye", "inv", "matvec", "logdet", "matmul", "matrix_transpose", "norm", "qr",
           "set_diag", "slogdet", "solve", "svd", "tensordot", "trace", "triangular_solve"]
