"""cuBLAS GEMMs on the device named by $AUTOGRAPH_JIT_GPU (default here: the grid emulator's
emulated cuBLAS, runtime/gpu/emu_blas.py; on a GPU machine, `AUTOGRAPH_JIT_GPU=cuda pytest -m
gpu` runs the same cases on libcublas): cuBLAS's column-major semantics (every op combination,
leading dimensions larger than the rows, alpha/beta, beta = 0 ignoring what C holds, sizes 0 and
1, k = 0, strided batches with a broadcast operand, float64) against NumPy, and the row-major
mapping `Blas.matmul` writes once."""
import os

import numpy as np
import pytest

from autograph_jit import errors
from autograph_jit.runtime.gpu import cublas, get_device

pytestmark = pytest.mark.gpu
RNG = np.random.default_rng(7)
OPS = [cublas.OP_N, cublas.OP_T, cublas.OP_C]


@pytest.fixture(scope="module")
def dev():
    return get_device(os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator")


@pytest.fixture(scope="module")
def blas(dev):
    return cublas.for_device(dev)


def _colmajor(dev, mat, ld, dtype):
    """A device buffer holding `mat` column-major with leading dimension ld (rows past the
    matrix filled with a sentinel that must never be read into the result)."""
    rows, cols = mat.shape
    store = np.full((max(cols, 1), ld), 1e30, dtype)
    store[:cols, :rows] = mat.T
    return dev.to_device(store)


def _read(dev, buf, rows, cols, ld, dtype):
    store = dev.to_host(buf, (max(cols, 1), ld), dtype)
    return store[:cols, :rows].T


def _gemm_case(dev, blas, dtype, ta, tb, m, n, k, alpha, beta, pad=3):
    a_shape = (m, k) if ta == cublas.OP_N else (k, m)
    b_shape = (k, n) if tb == cublas.OP_N else (n, k)
    a = RNG.standard_normal(a_shape).astype(dtype)
    b = RNG.standard_normal(b_shape).astype(dtype)
    c = RNG.standard_normal((m, n)).astype(dtype)
    lda, ldb, ldc = a_shape[0] + pad, b_shape[0] + pad, m + pad
    da, db, dc = (_colmajor(dev, a, lda, dtype), _colmajor(dev, b, ldb, dtype),
                  _colmajor(dev, c, ldc, dtype))
    blas.gemm(dtype, ta, tb, m, n, k, alpha, da.ptr, lda, db.ptr, ldb, beta, dc.ptr, ldc)
    dev.synchronize()
    op_a = a if ta == cublas.OP_N else a.T
    op_b = b if tb == cublas.OP_N else b.T
    want = alpha * (op_a.astype(np.float64) @ op_b) + beta * c
    return _read(dev, dc, m, n, ldc, dtype), want


@pytest.mark.parametrize("ta", OPS)
@pytest.mark.parametrize("tb", OPS)
def test_every_op_combination_with_padded_leading_dims(dev, blas, ta, tb):
    got, want = _gemm_case(dev, blas, np.float32, ta, tb, 5, 3, 7, 1.0, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (1, 9, 4), (9, 1, 4), (6, 4, 1), (33, 17, 65)])
def test_non_square_and_size_one_shapes(dev, blas, m, n, k):
    got, want = _gemm_case(dev, blas, np.float32, cublas.OP_T, cublas.OP_N, m, n, k, 1.0, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_alpha_and_beta_in_float64(dev, blas):
    got, want = _gemm_case(dev, blas, np.float64, cublas.OP_N, cublas.OP_T, 6, 5, 4, -0.5, 2.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_beta_zero_never_reads_c(dev, blas):
    a = np.ones((2, 3), np.float32)
    da, db = _colmajor(dev, a, 2, np.float32), _colmajor(dev, a.T.copy(), 3, np.float32)
    dc = dev.to_device(np.full(4, np.nan, np.float32))
    blas.gemm(np.float32, cublas.OP_N, cublas.OP_N, 2, 2, 3, 1.0, da.ptr, 2, db.ptr, 3, 0.0,
              dc.ptr, 2)
    dev.synchronize()
    np.testing.assert_array_equal(dev.to_host(dc, (4,), np.float32), np.full(4, 3, np.float32))


def test_k_zero_scales_c_and_m_zero_touches_nothing(dev, blas):
    c = np.arange(6, dtype=np.float32)
    dc = dev.to_device(c)
    dummy = dev.to_device(np.zeros(1, np.float32))
    blas.gemm(np.float32, cublas.OP_N, cublas.OP_N, 2, 3, 0, 1.0, dummy.ptr, 2, dummy.ptr, 1,
              3.0, dc.ptr, 2)
    dev.synchronize()
    np.testing.assert_array_equal(dev.to_host(dc, (6,), np.float32), 3 * c)
    blas.gemm(np.float32, cublas.OP_N, cublas.OP_N, 2, 3, 0, 1.0, dummy.ptr, 2, dummy.ptr, 1,
              0.0, dc.ptr, 2)
    dev.synchronize()
    np.testing.assert_array_equal(dev.to_host(dc, (6,), np.float32), np.zeros(6, np.float32))
    blas.matmul(np.float32, 0, 3, 4, cublas.Operand(dummy.ptr, 4), cublas.Operand(dummy.ptr, 3),
                cublas.Operand(dc.ptr, 3))
    dev.synchronize()
    np.testing.assert_array_equal(dev.to_host(dc, (6,), np.float32), np.zeros(6, np.float32))


def test_a_leading_dimension_below_the_rows_is_invalid_value(dev, blas):
    buf = dev.to_device(np.zeros(64, np.float32))
    with pytest.raises(errors.InvalidArgumentError, match="CUBLAS_STATUS_INVALID_VALUE"):
        blas.gemm(np.float32, cublas.OP_N, cublas.OP_N, 4, 4, 4, 1.0, buf.ptr, 3, buf.ptr, 4,
                  0.0, buf.ptr, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strided_batches_with_a_broadcast_operand(dev, blas, dtype):
    nb, m, n, k = 4, 3, 5, 6
    a = RNG.standard_normal((nb, m, k)).astype(dtype)
    b = RNG.standard_normal((k, n)).astype(dtype)
    da, db = dev.to_device(a), dev.to_device(b)
    dc = dev.alloc(nb * m * n * a.itemsize)
    blas.matmul(dtype, m, n, k, cublas.Operand(da.ptr, k, batch_stride=m * k),
                cublas.Operand(db.ptr, n, batch_stride=0),
                cublas.Operand(dc.ptr, n, batch_stride=m * n), batch=nb)
    dev.synchronize()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dev.to_host(dc, (nb, m, n), dtype), a @ b, rtol=tol, atol=tol)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_row_major_matmul_maps_every_transpose(dev, blas, ta, tb):
    m, n, k = 4, 7, 5
    a = RNG.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = RNG.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    da, db = dev.to_device(a), dev.to_device(b)
    dc = dev.alloc(m * n * 4)
    blas.matmul(np.float32, m, n, k, cublas.Operand(da.ptr, a.shape[1], ta),
                cublas.Operand(db.ptr, b.shape[1], tb), cublas.Operand(dc.ptr, n))
    dev.synchronize()
    want = (a.T if ta else a) @ (b.T if tb else b)
    np.testing.assert_allclose(dev.to_host(dc, (m, n), np.float32), want, rtol=1e-5, atol=1e-5)


def test_one_handle_per_device_on_the_launch_stream(dev, blas):
    assert cublas.for_device(dev) is blas
    assert blas.handle.value and blas.stream.value is None
    if dev.kind == "emulator":
        state = blas.lib.handles[blas.handle.value]
        assert state == {"stream": None, "pointer_mode": 0, "math_mode": 0}


def test_emulated_cublas_refuses_an_operand_outside_its_buffer(dev, blas):
    if dev.kind != "emulator":
        pytest.skip("the bounds check is the emulator's (a GPU faults instead)")
    small = dev.to_device(np.zeros(8, np.float32))
    big = dev.to_device(np.zeros(64, np.float32))
    with pytest.raises(errors.OutOfRangeError, match="operand A .* not inside one live"):
        blas.gemm(np.float32, cublas.OP_N, cublas.OP_N, 3, 3, 3, 1.0, small.ptr, 3, big.ptr, 3,
                  0.0, big.ptr, 3)
    with pytest.raises(errors.UnavailableError, match="CUBLAS_STATUS_NOT_INITIALIZED"):
        stale = cublas.Blas(blas.lib, dev, "test")
        stale.close()
        stale.gemm(np.float32, 0, 0, 1, 1, 1, 1.0, big.ptr, 1, big.ptr, 1, 0.0, big.ptr, 1)
