"""Strict comparisons shared by the tests: `assert_same(got, want)`, always in that order.

Results are flattened (tuples, lists, dicts, tensors, NumPy arrays and Python scalars), the two
flattenings must have the same length (a missing output fails, it is not zipped away), and each
pair must agree in dtype and shape before values are compared: exactly for integers, booleans
and `exact=True`, else within `rtol`/`atol` (NaN equal to NaN).

    assert_same(tf.function(f)(x), f(x))               # compiled vs eager
    assert_same(cpu_runs, eager_runs, exact=True)      # bit-exact, e.g. random streams
"""
import numpy as np

__all__ = ["assert_same", "flat_arrays", "assert_native"]


def flat_arrays(x):
    """The leaves of `x` (nested tuples/lists/dicts) as NumPy arrays, in order."""
    if isinstance(x, dict):
        return [a for k in sorted(x) for a in flat_arrays(x[k])]
    if isinstance(x, (list, tuple)):
        return [a for v in x for a in flat_arrays(v)]
    if hasattr(x, "numpy"):
        return [np.asarray(x.numpy())]
    return [np.asarray(x)]


def assert_same(got, want, *, exact=False, rtol=1e-6, atol=0.0, rtol_eps=None,
                check_dtype=True, signed_zeros=False):
    """Assert `got` equals `want` leaf by leaf (see the module docstring).

    rtol_eps: a relative tolerance in units of the leaf dtype's machine epsilon (overrides rtol).
    check_dtype=False compares values only (e.g. a Python int against an int32 tensor).
    signed_zeros: where `want` is zero, `got` must have the same sign bit.
    """
    g, w = flat_arrays(got), flat_arrays(want)
    assert len(g) == len(w), f"got {len(g)} results, want {len(w)}"
    for i, (a, b) in enumerate(zip(g, w)):
        where = f"result {i}"
        assert a.shape == b.shape, f"{where}: got shape {a.shape}, want {b.shape}"
        if check_dtype:
            assert a.dtype == b.dtype, f"{where}: got dtype {a.dtype}, want {b.dtype}"
        floating = a.dtype.kind in "fc" or b.dtype.kind in "fc"
        if exact or not floating:
            np.testing.assert_array_equal(a, b, err_msg=where)
            continue
        tol = rtol if rtol_eps is None else rtol_eps * np.finfo(a.dtype).eps
        if check_dtype:
            np.testing.assert_allclose(a, b, rtol=tol, atol=atol, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=tol,
                                       atol=atol, equal_nan=True, err_msg=where)
        if signed_zeros:
            zero = b == 0
            np.testing.assert_array_equal(np.signbit(a[zero]), np.signbit(b[zero]),
                                          err_msg=f"{where}: sign of zero")


def assert_native(cf):
    """The ConcreteFunction `cf` ran on the cpu backend with every op in native code: an
    executable exists, no op fell back to the interpreter, no host callback remains."""
    assert cf.native_executables and not cf.fallbacks, cf.fallbacks
    assert all(not exe.host_nodes for exe in cf.native_executables)
