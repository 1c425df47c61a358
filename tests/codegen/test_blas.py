"""runtime.blas: NumPy's CBLAS and SciPy's Fortran BLAS registered as llvmlite symbols, called from
JIT-compiled code through the row-major wrappers (each provider, and the serial wrappers), against
NumPy for float32/float64, transposes, sizes 1..257 incl. non-square, strided leading dimensions,
and matrix-vector products."""
import ctypes

import llvmlite.binding as llvm
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from llvmlite import ir

from autograph_jit.runtime import blas

from ._jit import Jit

_TY = {"float32": "float", "float64": "double"}
_SFX = {"float32": "f32", "float64": "f64"}


def _entry_points():
    """Externally visible test functions forwarding to the linkonce wrappers (which O3 would drop
    if nothing in the module called them), one contiguous-call helper use per dtype."""
    out = []
    for d, ty in _TY.items():
        s = _SFX[d]
        for wrapper in ("matmul", "matmul_serial"):
            out.append(f"""define void @t_{wrapper}_{s}(i32 %ta, i32 %tb, i64 %m, i64 %n, i64 %k,
    {ty} %al, ptr %a, i64 %lda, ptr %b, i64 %ldb, {ty} %be, ptr %c, i64 %ldc) {{
  %ta1 = trunc i32 %ta to i1
  %tb1 = trunc i32 %tb to i1
  call void @ag_{wrapper}_{s}(i1 %ta1, i1 %tb1, i64 %m, i64 %n, i64 %k, {ty} %al, ptr %a,
                           i64 %lda, ptr %b, i64 %ldb, {ty} %be, ptr %c, i64 %ldc)
  ret void
}}""")
        out.append(f"""
define void @t_matvec_{s}(i32 %t, i64 %m, i64 %n, ptr %a, i64 %lda, ptr %x, i64 %incx,
    ptr %y, i64 %incy) {{
  %t1 = trunc i32 %t to i1
  call void @ag_matvec_{s}(i1 %t1, i64 %m, i64 %n, {ty} 1.0, ptr %a, i64 %lda, ptr %x, i64 %incx,
                           {ty} 0.0, ptr %y, i64 %incy)
  ret void
}}
define void @t_square_{s}(ptr %a, ptr %b, ptr %c) {{
  {blas.matmul_call_ir(d, "%a", "%b", "%c", 3, 5, 4, trans_b=True)}
  ret void
}}
""")
    return "\n".join(out)


PROVIDERS = ["scipy"] + (["numpy"] if blas.numpy_cblas()[0] else [])


@pytest.fixture(scope="module", params=PROVIDERS)
def jit(request):
    """The wrappers backed by each provider found (NumPy's CBLAS only where NumPy ships one)."""
    blas.register()
    return Jit(blas.ir_text(which=request.param) + _entry_points())


def _ptr(arr):
    return arr.ctypes.data


def matmul(jit, a, b, trans_a=False, trans_b=False, alpha=1.0, c=None, beta=0.0,
           wrapper="matmul"):
    """C = alpha op(a) @ op(b) + beta c through the compiled wrapper; a, b may be row-strided."""
    d = a.dtype.name
    m = a.shape[1] if trans_a else a.shape[0]
    k = a.shape[0] if trans_a else a.shape[1]
    n = b.shape[0] if trans_b else b.shape[1]
    c = np.zeros((m, n), a.dtype) if c is None else c.copy()
    f_t = ctypes.c_float if d == "float32" else ctypes.c_double
    fn = ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_int32, *[ctypes.c_int64] * 3, f_t,
                          ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, f_t,
                          ctypes.c_void_p, ctypes.c_int64)(jit.address(f"t_{wrapper}_{_SFX[d]}"))
    isz = a.itemsize
    fn(int(trans_a), int(trans_b), m, n, k, alpha, _ptr(a), a.strides[0] // isz, _ptr(b),
       b.strides[0] // isz, beta, _ptr(c), n)
    return c


def _rand(rng, shape, dt):
    return rng.standard_normal(shape).astype(dt)


def _tol(dt, k):
    return dict(rtol=1e-4, atol=1e-4 * np.sqrt(k)) if dt == np.float32 else dict(rtol=1e-11,
                                                                                 atol=1e-11 * k)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (1, 7, 3), (5, 1, 9), (17, 33, 1), (64, 64, 64),
                                   (257, 3, 129), (2, 257, 257), (100, 57, 31)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True),
                                             (True, True)])
def test_llvm_called_gemm_matches_numpy(jit, dt, m, n, k, trans_a, trans_b):
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a = _rand(rng, (k, m) if trans_a else (m, k), dt)
    b = _rand(rng, (n, k) if trans_b else (k, n), dt)
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    np.testing.assert_allclose(matmul(jit, a, b, trans_a, trans_b), want, **_tol(dt, k))
    np.testing.assert_allclose(matmul(jit, a, b, trans_a, trans_b, wrapper="matmul_serial"),
                               want, **_tol(dt, k))


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 257), n=st.integers(1, 257), k=st.integers(1, 257),
       dt=st.sampled_from([np.float32, np.float64]), trans_a=st.booleans(),
       trans_b=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_gemm_matches_numpy_for_random_sizes_and_transposes(jit, m, n, k, dt, trans_a, trans_b,
                                                          seed):
    rng = np.random.default_rng(seed)
    a = _rand(rng, (k, m) if trans_a else (m, k), dt)
    b = _rand(rng, (n, k) if trans_b else (k, n), dt)
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    np.testing.assert_allclose(matmul(jit, a, b, trans_a, trans_b), want, **_tol(dt, k))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_gemm_honours_row_strides_alpha_and_beta(jit, dt):
    rng = np.random.default_rng(1)
    big_a, big_b = _rand(rng, (9, 20), dt), _rand(rng, (20, 11), dt)
    a, b = big_a[:, 2:15], big_b[:13, 1:8]          # row strides 20 and 11 elements
    c0 = _rand(rng, (9, 7), dt)
    got = matmul(jit, a, b, alpha=2.0, c=c0, beta=-0.5)
    np.testing.assert_allclose(got, 2.0 * (a @ b) - 0.5 * c0, **_tol(dt, 13))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_gemm_with_empty_inner_dimension_gives_zeros(jit, dt):
    a, b = np.zeros((3, 0), dt), np.zeros((0, 4), dt)
    np.testing.assert_array_equal(matmul(jit, a, b, c=np.ones((3, 4), dt)), np.zeros((3, 4), dt))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("trans", [False, True])
def test_llvm_called_gemv_matches_numpy(jit, dt, trans):
    rng = np.random.default_rng(2)
    a = _rand(rng, (37, 53), dt)
    x = _rand(rng, (37 if trans else 53) * 2, dt)     # read with stride 2
    y = np.zeros(53 if trans else 37, dt)
    fn = ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                          ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                          ctypes.c_int64)(jit.address(f"t_matvec_{_SFX[dt().dtype.name]}"))
    fn(int(trans), 37, 53, _ptr(a), 53, _ptr(x), 2, _ptr(y), 1)
    np.testing.assert_allclose(y, (a.T if trans else a) @ x[::2], **_tol(dt, 53))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matmul_call_ir_emits_a_contiguous_row_major_product(jit, dt):
    rng = np.random.default_rng(3)
    a, b = _rand(rng, (3, 4), dt), _rand(rng, (5, 4), dt)   # C[3,5] = A @ B^T
    c = np.zeros((3, 5), dt)
    proto = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 3)
    fn = proto(jit.address(f"t_square_{_SFX[dt().dtype.name]}"))
    fn(_ptr(a), _ptr(b), _ptr(c))
    np.testing.assert_allclose(c, a @ b.T, **_tol(dt, 4))


def test_register_exposes_every_routine_under_its_ag_name():
    table = blas.register()
    want = {"ag_sgemm", "ag_dgemm", "ag_sgemv", "ag_dgemv"}
    if blas.numpy_cblas()[0]:
        want |= {"ag_cblas_sgemm", "ag_cblas_dgemm", "ag_cblas_sgemv", "ag_cblas_dgemv"}
    assert set(table) == want
    assert all(isinstance(addr, int) and addr for addr in table.values())
    assert blas.register() == table


def test_whole_products_use_numpys_own_blas_when_numpy_ships_one():
    table, path = blas.numpy_cblas()
    if not table:
        assert blas.provider() == "scipy"
        pytest.skip("this NumPy ships no OpenBLAS with 64-bit CBLAS symbols")
    assert blas.provider() == "numpy"
    with open("/proc/self/maps") as maps:   # the very library NumPy has loaded
        assert any(line.rstrip().endswith(path) for line in maps)
    assert "@ag_cblas_sgemm(i32 101" in blas.ir_text("float32", which="numpy")


@pytest.mark.parametrize("which", ["numpy", "scipy"])
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_wrapper_signatures_match_the_definitions(dtype_name, which):
    calls = []
    for name, (ret, args) in blas.wrapper_signatures(dtype_name).items():
        values = ", ".join(f"{t} {'null' if t == 'ptr' else 'zeroinitializer'}" for t in args)
        calls.append(f"  call {ret} @{name}({values})")
    use = "define void @use() {\n" + "\n".join(calls) + "\n  ret void\n}\n"
    text = blas.ir_text(dtype_name, which=which) + use
    llvm.parse_assembly(text).verify()   # a wrong arity or type fails to parse


def test_installed_wrappers_are_callable_from_a_module_that_only_declares_them():
    table = blas.install()
    assert set(table) == {"ag_matmul_f32", "ag_matmul_f64", "ag_matvec_f32", "ag_matvec_f64",
                          "ag_matmul_serial_f32", "ag_matmul_serial_f64"}
    assert blas.install() == table
    module = ir.Module()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.PointerType()] * 3), "mm")
    a, b, c = fn.args
    bld = ir.IRBuilder(fn.append_basic_block())
    i64, f64 = ir.IntType(64), ir.DoubleType()
    bld.call(blas.declare(module, "ag_matmul_f64"),
             [ir.Constant(ir.IntType(1), 1), ir.Constant(ir.IntType(1), 0), i64(2), i64(3),
              i64(4), f64(1.0), a, i64(2), b, i64(3), f64(0.0), c, i64(3)])
    bld.ret_void()
    assert blas.declare(module, "ag_matmul_f64") is module.globals["ag_matmul_f64"]
    jit = Jit(str(module))
    rng = np.random.default_rng(4)
    at, bm, out = _rand(rng, (4, 2), np.float64), _rand(rng, (4, 3), np.float64), np.zeros((2, 3))
    ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 3)(jit.address("mm"))(_ptr(at), _ptr(bm), _ptr(out))
    np.testing.assert_allclose(out, at.T @ bm, rtol=1e-12)


def test_declarations_text_declares_every_wrapper():
    text = blas.declarations()
    for name in ("ag_matmul_f32", "ag_matmul_f64", "ag_matvec_f32", "ag_matvec_f64",
                 "ag_matmul_serial_f32", "ag_matmul_serial_f64"):
        assert f"declare void @{name}(" in text
    llvm.parse_assembly(text).verify()
