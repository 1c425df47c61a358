"""Linear-algebra OpDefs (`tf.linalg`): inverse, determinant, solves, factorizations, band parts.

Each op works on the last two dimensions and batches over the leading ones, like TF. Kernels are
NumPy's LAPACK wrappers; gradients are the standard matrix-calculus results (Giles, "An extended
collection of matrix derivative results", 2008; Murray, "Differentiation of the Cholesky
decomposition", 2016), written with public ops so they trace and nest like every other VJP.
None of these ops has a native lowering: inside a compiled function they run on the host and
`explain()` lists them.
"""
import numpy as np

from .. import dtypes

from ..errors import InvalidArgumentError
from ..ir.types import TensorType
from ..tensor import Tensor
from ..tensor_shape import TensorShape
from . import type_rules as tr
from ._args import to_tensor
from .opdef import apply, defop
from .array_ops import expand_dims, eye, squeeze, transpose, zeros_like
from .math_ops import (abs as _abs, add, divide, log, matmul, multiply, negative, not_equal,
                       pow as _pow, reduce_max, reduce_sum, sqrt, square, subtract, where)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transposes the last two dimensions of a tensor (for real dtypes, its adjoint).

    >>> tf.linalg.matrix_transpose(tf.ones([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """
    a = to_tensor(a)
    rank = a.shape.rank
    return transpose(a, list(range(rank - 2)) + [rank - 1, rank - 2])


def _matrix_type(op_name, t, square=False, what="input"):
    tr.check_dtype(op_name, t, (tr.FLOATS[1], tr.FLOATS[2]), what)
    if t.shape.rank is not None and t.shape.rank < 2:
        raise InvalidArgumentError(
            f"{op_name}: {what} must have rank >= 2 (a matrix or a batch of matrices), got shape "
            f"{t.shape}. Fix: reshape a vector to [n, 1] or [1, n]. [Op:{op_name}]", op_name)
    if square and t.shape.rank is not None:
        m, n = t.shape[-2], t.shape[-1]
        if m is not None and n is not None and m != n:
            raise InvalidArgumentError(
                f"{op_name}: {what} must be a square matrix (or a batch of them), got shape "
                f"{t.shape}. [Op:{op_name}]", op_name)
    return t


def _run_lapack(op_name, fn, *arrays):
    """Call a NumPy linalg routine, turning LinAlgError into TF's InvalidArgumentError."""
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError as e:
        raise InvalidArgumentError(f"{op_name}: {e} [Op:{op_name}]", op_name) from None


def _same_type(op_name, square=True):
    def infer(in_types):
        return _matrix_type(op_name, in_types[0], square=square)
    return infer


# ----------------------------------------------------------------------------------------------
# inverse, determinant, solve
# ----------------------------------------------------------------------------------------------


def _inv_kernel(a, adjoint):
    if adjoint:
        a = np.swapaxes(a, -1, -2)
    return _run_lapack("matrix_inverse", np.linalg.inv, a).astype(a.dtype, copy=False)


def _inv_vjp(c, g):
    inv = c.outputs[0]
    ga = negative(matmul(matmul(inv, g, transpose_a=True), inv, transpose_b=True))
    return (matrix_transpose(ga) if c.attrs["adjoint"] else ga,)


_inverse = defop("matrix_inverse", lambda t, adjoint: _matrix_type("matrix_inverse", t[0], True),
                 _inv_kernel, vjp=_inv_vjp, host=True, doc="Inverse of square matrices.")


def inv(input, adjoint=False, name=None):  # noqa: A002 (TF's argument name)
    """Computes the inverse of one or more square invertible matrices.

    Args:
      input: a float32/float64 tensor of shape `[..., M, M]`.
      adjoint: invert the adjoint (transpose) instead.

    >>> tf.linalg.inv(tf.constant([[2.0, 0.0], [0.0, 4.0]])).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    return apply(_inverse, to_tensor(input), adjoint=bool(adjoint))


def _det_infer(in_types):
    t = _matrix_type("matrix_determinant", in_types[0], square=True)
    return TensorType(t.dtype, t.shape[:-2] if t.shape.rank is not None else TensorShape(None))


def _det_vjp(c, g):
    a, = c.inputs
    d = c.outputs[0]
    scale = expand_dims(expand_dims(multiply(g, d), -1), -1)
    return (multiply(scale, matrix_transpose(inv(a))),)


_det = defop("matrix_determinant", _det_infer,
             lambda a: _run_lapack("matrix_determinant", np.linalg.det, a).astype(a.dtype),
             vjp=_det_vjp, host=True, doc="Determinant of square matrices.")


def det(input, name=None):  # noqa: A002 (TF's argument name)
    """Computes the determinant of one or more square matrices.

    >>> float(tf.linalg.det(tf.constant([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    """
    return apply(_det, to_tensor(input))


def _slogdet_infer(in_types):
    t = _det_infer(in_types)
    return (t, t)


def _slogdet_kernel(a):
    sign, logdet = _run_lapack("log_matrix_determinant", np.linalg.slogdet, a)
    return sign.astype(a.dtype), logdet.astype(a.dtype)


def _slogdet_vjp(c, g_sign, g_logdet):
    if g_logdet is None:
        return (None,)
    a, = c.inputs
    return (expand_dims(expand_dims(g_logdet, -1), -1) * matrix_transpose(inv(a)),)


_slogdet = defop("log_matrix_determinant", _slogdet_infer, _slogdet_kernel, vjp=_slogdet_vjp,
                 num_outputs=2, host=True, doc="Sign and log of the absolute determinant.")


def slogdet(input, name=None):  # noqa: A002 (TF's argument name)
    """Computes the sign and the log of the absolute value of the determinant.

    Returns `(sign, log_abs_determinant)`.

    >>> sign, logdet = tf.linalg.slogdet(tf.constant([[2.0, 0.0], [0.0, 3.0]]))
    >>> float(sign), round(float(logdet), 4)
    (1.0, 1.7918)
    """
    return apply(_slogdet, to_tensor(input))


def logdet(matrix, name=None):
    """Log of the determinant of a Hermitian positive definite matrix (via its Cholesky factor).

    >>> round(float(tf.linalg.logdet(tf.constant([[4.0, 0.0], [0.0, 9.0]]))), 4)
    3.5835
    """
    chol = cholesky(matrix)
    return multiply(2.0, reduce_sum(log(diag_part(chol)), axis=-1))


def _solve_infer(in_types, adjoint):
    a = _matrix_type("matrix_solve", in_types[0], square=True, what="matrix")
    b = _matrix_type("matrix_solve", in_types[1], what="rhs")
    tr.same_dtype("matrix_solve", in_types)
    if a.shape.rank is not None and b.shape.rank is not None:
        if a.shape[-1] is not None and b.shape[-2] is not None and a.shape[-1] != b.shape[-2]:
            raise InvalidArgumentError(
                f"matrix_solve: input matrix and rhs are incompatible: {a.shape} and {b.shape} "
                "(the rhs needs as many rows as the matrix). [Op:matrix_solve]", "matrix_solve")
    return b


def _solve_kernel(a, b, adjoint):
    if adjoint:
        a = np.swapaxes(a, -1, -2)
    return _run_lapack("matrix_solve", np.linalg.solve, a, b).astype(b.dtype, copy=False)


def _solve_vjp(c, g):
    a, _ = c.inputs
    x = c.outputs[0]
    adjoint = c.attrs["adjoint"]
    gb = solve(a, g, adjoint=not adjoint)
    ga = negative(matmul(x, gb, transpose_b=True) if adjoint else matmul(gb, x, transpose_b=True))
    return ga, gb


_solve = defop("matrix_solve", _solve_infer, _solve_kernel, vjp=_solve_vjp, host=True,
               doc="Solve a @ x = b for x.")


def solve(matrix, rhs, adjoint=False, name=None):
    """Solves systems of linear equations `matrix @ output = rhs`.

    Args:
      matrix: `[..., M, M]` float tensor.
      rhs: `[..., M, K]` tensor of the same dtype.
      adjoint: solve with the transpose of `matrix` instead.

    >>> tf.linalg.solve(tf.constant([[2.0, 0.0], [0.0, 4.0]]), tf.constant([[2.0], [2.0]])).numpy()
    array([[1. ],
           [0.5]], dtype=float32)
    """
    return apply(_solve, to_tensor(matrix), to_tensor(rhs), adjoint=bool(adjoint))


def _tri_solve_kernel(a, b, lower, adjoint):
    from scipy.linalg import solve_triangular
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(batch + b.shape[-2:], b.dtype)
    for idx in np.ndindex(*batch):
        try:
            out[idx] = solve_triangular(a[idx], b[idx], lower=lower, trans=1 if adjoint else 0)
        except np.linalg.LinAlgError as e:
            raise InvalidArgumentError(f"matrix_triangular_solve: {e} "
                                       "[Op:matrix_triangular_solve]",
                                       "matrix_triangular_solve") from None
    return out


def _tri_solve_vjp(c, g):
    a, _ = c.inputs
    x = c.outputs[0]
    lower, adjoint = c.attrs["lower"], c.attrs["adjoint"]
    gb = triangular_solve(a, g, lower=lower, adjoint=not adjoint)
    ga = negative(matmul(x, gb, transpose_b=True) if adjoint else matmul(gb, x, transpose_b=True))
    ga = band_part(ga, -1, 0) if lower else band_part(ga, 0, -1)
    return ga, gb


_tri_solve = defop(
    "matrix_triangular_solve",
    lambda t, lower, adjoint: _solve_infer(t, False), _tri_solve_kernel, vjp=_tri_solve_vjp,
    host=True, doc="Solve a triangular system.")


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves systems of linear equations with upper or lower triangular matrices.

    Only the `lower` (or upper) triangle of `matrix` is read.

    >>> a = tf.constant([[2.0, 0.0], [1.0, 1.0]])
    >>> tf.linalg.triangular_solve(a, tf.constant([[2.0], [3.0]])).numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    return apply(_tri_solve, to_tensor(matrix), to_tensor(rhs), lower=bool(lower),
                 adjoint=bool(adjoint))


# ----------------------------------------------------------------------------------------------
# band part, diag
# ----------------------------------------------------------------------------------------------


def _band_mask(m, n, lower, upper):
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    return ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))


def _band_infer(in_types, num_lower, num_upper):
    t = in_types[0]
    tr.check_dtype("matrix_band_part", t, tr.ALL)
    if t.shape.rank is not None and t.shape.rank < 2:
        raise InvalidArgumentError(f"matrix_band_part: input must be at least rank 2, got shape "
                                   f"{t.shape} [Op:MatrixBandPart]", "matrix_band_part")
    return t


def _band_kernel(x, num_lower, num_upper):
    mask = _band_mask(x.shape[-2], x.shape[-1], num_lower, num_upper)
    return np.where(mask, x, np.zeros((), x.dtype))


_band = defop("matrix_band_part", _band_infer, _band_kernel,
              vjp=lambda c, g: (band_part(g, c.attrs["num_lower"], c.attrs["num_upper"]),),
              doc="Keep a band of diagonals, zero the rest.")


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002 (TF's argument name)
    """Copies a tensor, setting everything outside a central band in each matrix to zero.

    Args:
      num_lower: number of subdiagonals to keep (negative: the whole lower triangle).
      num_upper: number of superdiagonals to keep (negative: the whole upper triangle).

    >>> tf.linalg.band_part(tf.ones([3, 3]), 0, -1).numpy()   # upper triangle
    array([[1., 1., 1.],
           [0., 1., 1.],
           [0., 0., 1.]], dtype=float32)
    """
    return apply(_band, to_tensor(input), num_lower=int(num_lower), num_upper=int(num_upper))


def _diag_part_infer(in_types):
    t = in_types[0]
    if t.shape.rank is not None and t.shape.rank < 2:
        raise InvalidArgumentError(f"matrix_diag_part: input must be at least rank 2, got shape "
                                   f"{t.shape} [Op:MatrixDiagPart]", "matrix_diag_part")
    if t.shape.rank is None:
        return t
    m, n = t.shape[-2], t.shape[-1]
    k = None if m is None or n is None else min(m, n)
    return TensorType(t.dtype, t.shape[:-2].concatenate([k]))


_diag_part = defop("matrix_diag_part", _diag_part_infer,
                   lambda x: np.ascontiguousarray(np.diagonal(x, axis1=-2, axis2=-1)),
                   vjp=lambda c, g: (_embed_diag(g, c.inputs[0]),),
                   doc="The main diagonal of each matrix.")


def diag_part(input, name=None):  # noqa: A002 (TF's argument name)
    """Returns the batched diagonal part of a batched tensor.

    >>> tf.linalg.diag_part(tf.constant([[1, 2], [3, 4]])).numpy()
    array([1, 4], dtype=int32)
    """
    return apply(_diag_part, to_tensor(input))


def _diag_infer(in_types):
    t = in_types[0]
    if t.shape.rank == 0:
        raise InvalidArgumentError("matrix_diag: input must be at least rank 1, got a scalar "
                                   "[Op:MatrixDiag]", "matrix_diag")
    if t.shape.rank is None:
        return t
    return TensorType(t.dtype, t.shape.concatenate([t.shape[-1]]))


def _diag_kernel(d):
    n = d.shape[-1]
    out = np.zeros(d.shape + (n,), d.dtype)
    idx = np.arange(n)
    out[..., idx, idx] = d
    return out


_diag = defop("matrix_diag", _diag_infer, _diag_kernel,
              vjp=lambda c, g: (diag_part(g),), doc="Square matrices with the given diagonals.")


def diag(diagonal, name=None):
    """Returns a batched diagonal tensor with the given batched diagonal values.

    >>> tf.linalg.diag(tf.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    return apply(_diag, to_tensor(diagonal))


def _embed_kernel(d, like):
    out = np.zeros(like.shape, d.dtype)
    k = min(like.shape[-2], like.shape[-1])
    idx = np.arange(k)
    out[..., idx, idx] = d
    return out


_embed = defop("matrix_set_diag_zeros",
               lambda t: TensorType(t[0].dtype, t[1].shape), _embed_kernel,
               vjp=lambda c, g: (diag_part(g), None), differentiable=(0,),
               doc="A zero matrix shaped like input 1 with input 0 on its diagonal.")


def _embed_diag(d, like):
    return apply(_embed, d, like)


def set_diag(input, diagonal, name=None):  # noqa: A002 (TF's argument name)
    """Returns a batched matrix tensor with new batched diagonal values.

    >>> tf.linalg.set_diag(tf.zeros([2, 2]), tf.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    x = to_tensor(input)
    if isinstance(diagonal, Tensor) and diagonal.dtype is not x.dtype:
        raise InvalidArgumentError(
            f"matrix_set_diag: the diagonal has dtype {diagonal.dtype.name} but the input is "
            f"{x.dtype.name}. Fix: tf.cast the diagonal to tf.{x.dtype.name}. [Op:MatrixSetDiag]",
            "matrix_set_diag")
    d = to_tensor(diagonal, dtype=x.dtype)  # Python values take the input's dtype
    return add(subtract(x, _embed_diag(diag_part(x), x)), _embed_diag(d, x))


# ----------------------------------------------------------------------------------------------
# factorizations
# ----------------------------------------------------------------------------------------------


def _cholesky_vjp(c, g):
    chol = c.outputs[0]
    n = chol.shape[-1]
    l_inv = triangular_solve(chol, eye(n, batch_shape=chol.shape[:-2].as_list(),
                                       dtype=chol.dtype), lower=True)
    middle = matmul(chol, g, transpose_a=True)
    middle = set_diag(middle, multiply(0.5, diag_part(middle)))
    middle = band_part(middle, -1, 0)
    ga = matmul(matmul(l_inv, middle, transpose_a=True), l_inv)
    return (multiply(0.5, ga + matrix_transpose(ga)),)


def _cholesky_kernel(a):
    try:
        return np.linalg.cholesky(a).astype(a.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(
            "Cholesky decomposition was not successful. The input might not be valid: it must be "
            "symmetric positive definite. [Op:Cholesky]", "cholesky") from None


_cholesky = defop("cholesky", _same_type("cholesky"), _cholesky_kernel, vjp=_cholesky_vjp, host=True,
                  doc="Lower Cholesky factor of symmetric positive definite matrices.")


def cholesky(input, name=None):  # noqa: A002 (TF's argument name)
    """Computes the Cholesky decomposition of one or more square matrices.

    Returns the lower-triangular `L` with `input = L @ L^T`; only the lower triangle is read.

    >>> tf.linalg.cholesky(tf.constant([[4.0, 2.0], [2.0, 2.0]])).numpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    return apply(_cholesky, to_tensor(input))


def _eigh_infer(in_types):
    t = _matrix_type("self_adjoint_eig", in_types[0], square=True)
    e_shape = t.shape[:-1] if t.shape.rank is not None else TensorShape(None)
    return TensorType(t.dtype, e_shape), t


def _eigh_kernel(a):
    e, v = _run_lapack("self_adjoint_eig", np.linalg.eigh, a)
    return e.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)


def _eigh_vjp(c, ge, gv):
    e, v = c.outputs
    inner = diag(ge) if ge is not None else None
    if gv is not None:
        diff = subtract(expand_dims(e, -2), expand_dims(e, -1))  # e_j - e_i
        off = not_equal(diff, 0.0)
        f = where(off, divide(1.0, where(off, diff, 1.0)), zeros_like(diff))
        f = set_diag(f, zeros_like(e))
        term = multiply(f, matmul(v, gv, transpose_a=True))
        inner = term if inner is None else inner + term
    ga = matmul(v, matmul(inner, v, transpose_b=True))
    # NumPy's eigh reads the lower triangle only: fold the gradient onto it.
    ga = band_part(ga + matrix_transpose(ga), -1, 0)
    return (set_diag(ga, multiply(0.5, diag_part(ga))),)


_eigh = defop("self_adjoint_eig", _eigh_infer, _eigh_kernel, vjp=_eigh_vjp, num_outputs=2, host=True,
              doc="Eigen-decomposition of symmetric matrices (lower triangle read).")


def eigh(tensor, name=None):
    """Computes the eigen decomposition of a batch of self-adjoint matrices.

    Returns `(e, v)`: eigenvalues in ascending order and eigenvectors as columns. Only the lower
    triangle of `tensor` is read.

    >>> e, v = tf.linalg.eigh(tf.constant([[2.0, 0.0], [0.0, 1.0]]))
    >>> e.numpy()
    array([1., 2.], dtype=float32)
    """
    return apply(_eigh, to_tensor(tensor))


def _eig_infer(in_types):
    t = _matrix_type("eig", in_types[0], square=True)
    out = dtypes.complex64 if t.dtype.name == "float32" else dtypes.complex128
    e_shape = t.shape[:-1] if t.shape.rank is not None else TensorShape(None)
    return TensorType(out, e_shape), TensorType(out, t.shape)


def _eig_kernel(a):
    e, v = _run_lapack("eig", np.linalg.eig, a)
    out = np.complex64 if a.dtype == np.float32 else np.complex128
    return e.astype(out), v.astype(out)


_eig = defop("eig", _eig_infer, _eig_kernel, num_outputs=2, differentiable=False,
             doc="Eigen-decomposition of general (non-symmetric) matrices: complex results.")


def eig(tensor, name=None):
    """Computes the eigen decomposition of a batch of matrices.

    The eigenvalues of a real non-symmetric matrix may be complex, so both results are complex
    (complex64 for float32 input, complex128 for float64), in LAPACK's order, as TF. No
    gradient (TF's needs complex gradients).

    Returns:
      `(e, v)`: eigenvalues and the eigenvectors as columns.

    >>> e, v = tf.linalg.eig(tf.constant([[0.0, -1.0], [1.0, 0.0]]))
    >>> e.numpy()
    array([0.+1.j, 0.-1.j], dtype=complex64)
    """
    return apply(_eig, to_tensor(tensor))


def eigvals(tensor, name=None):
    """Computes the eigenvalues of one or more matrices (complex, as `eig`'s first result).

    >>> tf.linalg.eigvals(tf.constant([[2.0, 0.0], [0.0, 3.0]])).numpy()
    array([2.+0.j, 3.+0.j], dtype=complex64)
    """
    return eig(tensor)[0]


def eigvalsh(tensor, name=None):
    """The eigenvalues of self-adjoint matrices, ascending.

    >>> tf.linalg.eigvalsh(tf.constant([[2.0, 0.0], [0.0, 1.0]])).numpy()
    array([1., 2.], dtype=float32)
    """
    return eigh(tensor)[0]


def _qr_infer(in_types, full_matrices):
    t = _matrix_type("qr", in_types[0])
    if t.shape.rank is None:
        return t, t
    m, n = t.shape[-2], t.shape[-1]
    batch = t.shape[:-2]
    if full_matrices:
        return TensorType(t.dtype, batch.concatenate([m, m])), \
            TensorType(t.dtype, batch.concatenate([m, n]))
    k = None if m is None or n is None else min(m, n)
    return TensorType(t.dtype, batch.concatenate([m, k])), \
        TensorType(t.dtype, batch.concatenate([k, n]))


def _qr_kernel(a, full_matrices):
    q, r = _run_lapack("qr", np.linalg.qr, a, "complete" if full_matrices else "reduced")
    return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)


def _qr_vjp(c, gq, gr):
    a, = c.inputs
    q, r = c.outputs
    m, n = a.shape[-2], a.shape[-1]
    if m is None or n is None or (c.attrs["full_matrices"] and m != n) or m < n:
        raise InvalidArgumentError(
            "QR gradient is only defined here (as in TF) for full_matrices=False or square input, "
            f"with at least as many rows as columns; got shape {a.shape}. [Op:qr]", "qr")
    gq = zeros_like(q) if gq is None else gq
    gr = zeros_like(r) if gr is None else gr
    qdq = matmul(q, gq, transpose_a=True)
    rdr = matmul(r, gr, transpose_b=True)
    tril = band_part(subtract(qdq, matrix_transpose(qdq)) + subtract(rdr, matrix_transpose(rdr)), -1, 0)

    def tri_solve_right(x, rr):  # x @ inv(rr)^T... computed as (inv(rr) @ x^T)^T with rr upper
        return matrix_transpose(triangular_solve(rr, matrix_transpose(x), lower=False, adjoint=False))

    grad_a = matmul(q, gr + tri_solve_right(tril, r))
    grad_b = tri_solve_right(gq - matmul(q, qdq), r)
    return (grad_a + grad_b,)


_qr = defop("qr", _qr_infer, _qr_kernel, vjp=_qr_vjp, num_outputs=2, host=True,
            doc="QR decomposition.")


def qr(input, full_matrices=False, name=None):  # noqa: A002 (TF's argument name)
    """Computes the QR decompositions of one or more matrices.

    Returns `(q, r)` with `input = q @ r`, `q` orthonormal columns and `r` upper triangular.

    >>> q, r = tf.linalg.qr(tf.constant([[3.0, 1.0], [4.0, 2.0]]))
    >>> r.shape
    TensorShape([2, 2])
    """
    return apply(_qr, to_tensor(input), full_matrices=bool(full_matrices))


def _svd_infer(in_types, full_matrices, compute_uv):
    t = _matrix_type("svd", in_types[0])
    if t.shape.rank is None:
        return t, t, t
    m, n = t.shape[-2], t.shape[-1]
    batch = t.shape[:-2]
    k = None if m is None or n is None else min(m, n)
    s = TensorType(t.dtype, batch.concatenate([k]))
    um, vn = (m, n) if full_matrices else (k, k)
    return (s, TensorType(t.dtype, batch.concatenate([m, um])),
            TensorType(t.dtype, batch.concatenate([n, vn])))


def _svd_kernel(a, full_matrices, compute_uv):
    u, s, vh = _run_lapack("svd", np.linalg.svd, a, full_matrices)
    return (s.astype(a.dtype, copy=False), u.astype(a.dtype, copy=False),
            np.ascontiguousarray(np.swapaxes(vh, -1, -2)).astype(a.dtype, copy=False))


def _svd_vjp(c, gs, gu, gv):
    a, = c.inputs
    s, u, v = c.outputs
    m, n = a.shape[-2], a.shape[-1]
    if not c.attrs["compute_uv"]:
        gu = gv = None
    if gu is None and gv is None:
        return (matmul(multiply(u, expand_dims(gs, -2)), v, transpose_b=True),)
    if c.attrs["full_matrices"] and m != n:
        raise InvalidArgumentError(
            "SVD gradient with full_matrices=True needs a square input, as in TF; got shape "
            f"{a.shape}. Use full_matrices=False. [Op:svd]", "svd")
    if m < n:  # differentiate the transposed problem: a^T = v s u^T
        gu, gv = gv, gu
        u, v = v, u
    gs = zeros_like(s) if gs is None else gs
    gu = zeros_like(u) if gu is None else gu
    gv = zeros_like(v) if gv is None else gv
    s2 = square(s)
    diff = subtract(expand_dims(s2, -2), expand_dims(s2, -1))  # s_j^2 - s_i^2
    off = not_equal(diff, 0.0)
    f = where(off, divide(1.0, where(off, diff, 1.0)), zeros_like(diff))
    s_row = expand_dims(s, -2)
    utgu = matmul(u, gu, transpose_a=True)
    vtgv = matmul(v, gv, transpose_a=True)
    j = multiply(f, subtract(utgu, matrix_transpose(utgu)))
    k = multiply(f, subtract(vtgv, matrix_transpose(vtgv)))
    core = multiply(j, s_row) + diag(gs) + multiply(matrix_transpose(s_row), k)
    ga = matmul(matmul(u, core), v, transpose_b=True)
    inv_s = expand_dims(divide(1.0, s), -2)
    rows = u.shape[-2]
    proj_u = subtract(eye(rows, dtype=a.dtype), matmul(u, u, transpose_b=True))
    ga = ga + matmul(matmul(proj_u, multiply(gu, inv_s)), v, transpose_b=True)
    cols = v.shape[-2]
    proj_v = subtract(eye(cols, dtype=a.dtype), matmul(v, v, transpose_b=True))
    ga = ga + matmul(multiply(u, inv_s), matmul(gv, proj_v, transpose_a=True))
    return (matrix_transpose(ga) if m < n else ga,)


_svd = defop("svd", _svd_infer, _svd_kernel, vjp=_svd_vjp, num_outputs=3, host=True,
             doc="Singular value decomposition.")


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Computes the singular value decompositions of one or more matrices.

    Returns `s` alone when `compute_uv=False`, else `(s, u, v)` with
    `tensor = u @ diag(s) @ transpose(v)` (note: `v`, not `v^T`, as in TF).

    >>> tf.linalg.svd(tf.constant([[3.0, 0.0], [0.0, 4.0]]), compute_uv=False).numpy()
    array([4., 3.], dtype=float32)
    """
    outs = apply(_svd, to_tensor(tensor), full_matrices=bool(full_matrices),
                 compute_uv=bool(compute_uv))
    return outs if compute_uv else outs[0]


# ----------------------------------------------------------------------------------------------
# norms (composite)
# ----------------------------------------------------------------------------------------------


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """Computes the norm of vectors, matrices, and tensors.

    Args:
      ord: 'euclidean', 'fro', 1, 2, np.inf or a positive real (vector norms); for matrix norms
        (`axis` a pair) 'fro', 'euclidean', 1, np.inf (2 is the largest singular value).
      axis: None (whole tensor as a vector), an int, or a pair of ints (matrix norm).
      keepdims: keep the reduced dimensions with length 1.

    >>> float(tf.norm(tf.constant([3.0, 4.0])))
    5.0
    """
    x = to_tensor(tensor)
    keep = bool(keepdims)
    is_matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if axis is not None and not is_matrix and not isinstance(axis, int):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got "
                         f"{axis!r}")
    if ord in ("euclidean", "fro") or (ord == 2 and not is_matrix):
        if ord == "fro" and not is_matrix and axis is not None:
            raise ValueError("'ord' must be a supported vector norm, got 'fro' for a vector "
                             "axis. Fix: use ord='euclidean'.")
        return sqrt(reduce_sum(square(x), axis=axis, keepdims=keep))
    if is_matrix:
        a0, a1 = (ax % x.shape.rank for ax in axis)
        if ord == 1:
            out = reduce_max(reduce_sum(_abs(x), axis=a0, keepdims=True), axis=a1, keepdims=True)
        elif ord == np.inf:
            out = reduce_max(reduce_sum(_abs(x), axis=a1, keepdims=True), axis=a0, keepdims=True)
        elif ord == 2:
            perm = [d for d in range(x.shape.rank) if d not in (a0, a1)] + [a0, a1]
            smax = reduce_max(svd(transpose(x, perm), compute_uv=False), axis=-1)
            out = expand_dims(expand_dims(smax, -1), -1)
            inv = np.argsort(perm)
            out = transpose(out, list(inv))
        else:
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, "
                             f"np.inf], got {ord!r}")
        if not keep:
            out = squeeze(out, axis=sorted((a0, a1)))
        return out
    if ord == 1:
        return reduce_sum(_abs(x), axis=axis, keepdims=keep)
    if ord == np.inf:
        return reduce_max(_abs(x), axis=axis, keepdims=keep)
    if isinstance(ord, (int, float)) and ord > 0:
        return _pow(reduce_sum(_pow(_abs(x), float(ord)), axis=axis, keepdims=keep),
                    1.0 / float(ord))
    raise ValueError(f"'ord' must be a supported vector norm, got {ord!r}")
