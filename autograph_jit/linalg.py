"""`tf.linalg` namespace: matrix products, inverses, solves, factorizations, norms, band parts."""
from .ops.array_ops import eye, transpose
from .ops.einsum_ops import einsum
from .ops.linalg_ops import (
    band_part, cholesky, det, diag, diag_part, eigh, eigvalsh, inv, logdet, norm, qr, set_diag,
    slogdet, solve, svd, triangular_solve)
from .ops.math_ops import matmul, tensordot
from .ops.math_ops import reduce_sum as _reduce_sum

def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transposes the last two dimensions of a tensor.

    >>> tf.linalg.matrix_transpose(tf.ones([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """
    rank = a.shape.rank
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return transpose(a, perm)


adjoint = matrix_transpose


def trace(x, name=None):
    """Computes the trace of a tensor: the sum of each inner-most matrix's diagonal.

    >>> float(tf.linalg.trace(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    5.0
    """
    return _reduce_sum(diag_part(x), axis=-1)


__all__ = ["adjoint", "band_part", "cholesky", "det", "diag", "diag_part", "eigh", "eigvalsh",
           "einsum", "eye", "inv", "logdet", "matmul", "matrix_transpose", "norm", "qr",
           "set_diag", "slogdet", "solve", "svd", "tensordot", "trace", "triangular_solve"]
