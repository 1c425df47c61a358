"""Op specs for tf.linalg and tf.einsum (see opspec.py): NumPy references, float32/float64,
batches, and gradients against central differences in float64."""
import numpy as np

import autograph_jit as tf

from .opspec import Case, OpSpec

_rng = np.random.default_rng(7)
F = (np.float32, np.float64)


def _well_conditioned(shape, dtype):
    a = _rng.standard_normal(shape)
    n = shape[-1]
    return (a + n * np.eye(n)).astype(dtype)


def _spd(shape, dtype):
    a = _rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _lower(shape, dtype):
    return np.tril(_well_conditioned(shape, dtype))


def _distinct_spectrum_sym(shape, dtype):
    """Symmetric with well-separated eigenvalues (eigenvector gradients are then stable)."""
    n = shape[-1]
    q, _ = np.linalg.qr(_rng.standard_normal(shape))
    e = np.arange(1, n + 1, dtype=np.float64) * 1.5
    return ((q * e[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def _square_cases(make, shapes=((3, 3), (2, 4, 4), (1, 1))):
    return [Case((make(s, dt),)) for dt in F for s in shapes]


def _ref_dtype(fn):
    def ref(a, *rest, **kw):
        out = fn(a, *rest, **kw)
        if isinstance(out, tuple):
            return tuple(np.asarray(o, a.dtype) for o in out)
        return np.asarray(out, a.dtype)
    return ref


def _slogdet_ref(a):
    s, l = np.linalg.slogdet(a)
    return np.asarray(s, a.dtype), np.asarray(l, a.dtype)


def _solve_ref(a, b, adjoint=False):
    return np.linalg.solve(np.swapaxes(a, -1, -2) if adjoint else a, b).astype(b.dtype)


def _tri_ref(a, b, lower=True, adjoint=False):
    m = np.tril(a) if lower else np.triu(a)
    if adjoint:
        m = np.swapaxes(m, -1, -2)
    return np.linalg.solve(m, b).astype(b.dtype)


def _band_ref(x, num_lower, num_upper):
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return np.where(keep, x, 0).astype(x.dtype)


def _diag_ref(d):
    out = np.zeros(d.shape + d.shape[-1:], d.dtype)
    idx = np.arange(d.shape[-1])
    out[..., idx, idx] = d
    return out


def _eigh_ref(a):
    e, v = np.linalg.eigh(a)
    return e.astype(a.dtype), v.astype(a.dtype)


def _qr_ref(a, full_matrices=False):
    q, r = np.linalg.qr(a, "complete" if full_matrices else "reduced")
    return q.astype(a.dtype), r.astype(a.dtype)


def _svd_ref(a, full_matrices=False, compute_uv=True):
    u, s, vh = np.linalg.svd(a, full_matrices)
    if not compute_uv:
        return s.astype(a.dtype)
    return s.astype(a.dtype), u.astype(a.dtype), np.swapaxes(vh, -1, -2).astype(a.dtype)


def _einsum_case(eq, *shapes, dtype=np.float64):
    return Case((eq,) + tuple(_rng.standard_normal(s).astype(dtype) for s in shapes))


SPECS = [
    OpSpec("inv", fn=tf.linalg.inv, ref=_ref_dtype(np.linalg.inv), covers=("matrix_inverse",),
           cases=_square_cases(_well_conditioned), grad=True, rtol=1e-4, atol=1e-5),
    OpSpec("det", fn=tf.linalg.det, ref=_ref_dtype(np.linalg.det),
           covers=("matrix_determinant",), cases=_square_cases(_well_conditioned), grad=True,
           rtol=1e-4, atol=1e-4),
    OpSpec("slogdet", fn=tf.linalg.slogdet, ref=_slogdet_ref, covers=("log_matrix_determinant",),
           cases=_square_cases(_well_conditioned), grad=True, rtol=1e-4, atol=1e-5),
    OpSpec("solve", fn=tf.linalg.solve, ref=_solve_ref, covers=("matrix_solve",),
           cases=[Case((_well_conditioned((3, 3), dt), _rng.standard_normal((3, 2)).astype(dt)),
                       {"adjoint": adj}) for dt in F for adj in (False, True)]
           + [Case((_well_conditioned((2, 4, 4), np.float64),
                    _rng.standard_normal((2, 4, 1))))],
           grad=True, rtol=1e-4, atol=1e-5),
    OpSpec("triangular_solve", fn=tf.linalg.triangular_solve, ref=_tri_ref,
           covers=("matrix_triangular_solve",),
           cases=[Case((_well_conditioned((3, 3), dt), _rng.standard_normal((3, 2)).astype(dt)),
                       {"lower": low, "adjoint": adj})
                  for dt in F for low in (True, False) for adj in (False, True)],
           grad=True, rtol=1e-4, atol=1e-5),
    OpSpec("band_part", fn=tf.linalg.band_part, ref=_band_ref, covers=("matrix_band_part",),
           cases=[Case((_rng.standard_normal((4, 5)).astype(dt),), {"num_lower": lo,
                                                                     "num_upper": up})
                  for dt in F for lo, up in ((0, -1), (-1, 0), (1, 1), (0, 0), (-1, -1))]
           + [Case((np.arange(12, dtype=np.int32).reshape(2, 2, 3),),
                   {"num_lower": 0, "num_upper": 1})],
           grad=True),
    OpSpec("diag_part", fn=tf.linalg.diag_part,
           ref=lambda x: np.diagonal(x, axis1=-2, axis2=-1).copy(),
           covers=("matrix_diag_part",),
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in F
                  for s in ((3, 3), (2, 3, 4), (4, 2))]
           + [Case((np.arange(6, dtype=np.int64).reshape(2, 3),))], grad=True),
    OpSpec("diag", fn=tf.linalg.diag, ref=_diag_ref, covers=("matrix_diag",),
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in F for s in ((3,), (2, 4))]
           + [Case((np.array([1, 2], np.int32),))], grad=True),
    OpSpec("set_diag", fn=tf.linalg.set_diag,
           ref=lambda x, d: _diag_ref(d) + x - _diag_ref(np.diagonal(x, axis1=-2, axis2=-1)),
           covers=("matrix_set_diag_zeros",),
           cases=[Case((_rng.standard_normal((2, 3, 3)), _rng.standard_normal((2, 3))))],
           grad=True),
    # TF's Cholesky gradient is symmetrized (it assumes a symmetric perturbation): check it on
    # a symmetric parametrization, where the finite differences are well defined.
    OpSpec("cholesky", fn=lambda a: tf.linalg.cholesky(0.5 * (a + tf.linalg.matrix_transpose(a))),
           ref=lambda a: np.linalg.cholesky(0.5 * (a + np.swapaxes(a, -1, -2))).astype(a.dtype),
           cases=_square_cases(_spd), grad=True, rtol=1e-4, atol=1e-5,
           grad_cases=[Case((_spd((3, 3), np.float64),))]),
    OpSpec("eigh", fn=tf.linalg.eigh, ref=_eigh_ref, covers=("self_adjoint_eig",),
           cases=_square_cases(_distinct_spectrum_sym), grad=True, rtol=1e-4, atol=1e-4,
           grad_rtol=1e-4, grad_atol=1e-5,
           grad_cases=[Case((np.tril(_distinct_spectrum_sym((3, 3), np.float64)),))]),
    OpSpec("qr", fn=tf.linalg.qr, ref=_qr_ref,
           cases=[Case((_well_conditioned((3, 3), dt),)) for dt in F]
           + [Case((_rng.standard_normal((5, 3)),)), Case((_rng.standard_normal((2, 4, 3)),)),
              Case((_rng.standard_normal((3, 5)),), {"full_matrices": True})],
           grad=True, rtol=1e-4, atol=1e-4, grad_rtol=1e-4, grad_atol=1e-5,
           grad_cases=[Case((_well_conditioned((3, 3), np.float64),)),
                       Case((_rng.standard_normal((5, 3)),))]),
    OpSpec("svd", fn=tf.linalg.svd, ref=_svd_ref,
           cases=[Case((_rng.standard_normal(s).astype(dt),)) for dt in F
                  for s in ((3, 3), (5, 3), (3, 5), (2, 4, 3))]
           + [Case((_rng.standard_normal((4, 3)),), {"compute_uv": False}),
              Case((_rng.standard_normal((3, 3)),), {"full_matrices": True})],
           grad=True, rtol=1e-4, atol=1e-4, grad_rtol=1e-4, grad_atol=1e-5,
           grad_cases=[Case((_rng.standard_normal((3, 3)),)),
                       Case((_rng.standard_normal((5, 3)),)),
                       Case((_rng.standard_normal((3, 5)),)),
                       Case((_rng.standard_normal((4, 3)),), {"compute_uv": False})]),
    OpSpec("einsum", fn=tf.einsum,
           ref=lambda eq, *xs: np.asarray(np.einsum(eq, *xs), xs[0].dtype),
           cases=[_einsum_case("ij,jk->ik", (2, 3), (3, 4)),
                  _einsum_case("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
                  _einsum_case("ij->ji", (2, 3)),
                  _einsum_case("ij->", (2, 3)),
                  _einsum_case("ij->j", (2, 3)),
                  _einsum_case("i,i->", (4,), (4,)),
                  _einsum_case("i,j->ij", (2,), (3,)),
                  _einsum_case("...ij,...jk->...ik", (2, 2, 3), (2, 3, 4)),
                  _einsum_case("ij,jk", (2, 3), (3, 2)),
                  _einsum_case("ii->i", (3, 3)),
                  _einsum_case("ii", (3, 3)),
                  _einsum_case("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
                  _einsum_case("ij,jk->ik", (2, 3), (3, 4), dtype=np.float32),
                  Case(("ij,jk->ik", np.arange(6, dtype=np.int32).reshape(2, 3),
                        np.arange(6, dtype=np.int32).reshape(3, 2)))],
           grad=True, rtol=1e-5, atol=1e-5,
           grad_cases=[_einsum_case(eq, *s) for eq, s in (
               ("ij,jk->ik", ((2, 3), (3, 4))), ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
               ("ij->", ((2, 3),)), ("ij->j", ((2, 3),)), ("i,j->ij", ((2,), (3,))),
               ("...ij,...jk->...ik", ((2, 2, 3), (2, 3, 4))),
               ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))))]),
]
