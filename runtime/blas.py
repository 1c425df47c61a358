"""BLAS for compiled code: NumPy's own OpenBLAS (CBLAS, 64-bit integers) and SciPy's Fortran BLAS
as llvmlite symbols, and the IR of row-major matmul / matrix-vector wrappers around them.

Two roles, each with a thread count decided once per process (never switched around a call):
- `ag_matmul_f32/_f64`, `ag_matvec_f32/_f64` (products in general): NumPy's OpenBLAS when this
  NumPy ships one (the `scipy_cblas_?gemm64_` symbols of numpy.libs/libscipy_openblas64_*), else
  SciPy's.
  NumPy's `a @ b` calls that very cblas_sgemm, so a compiled product gets NumPy's speed at every
  size: the same kernels, the same per-call thread choice (OpenBLAS threads a product above ~262k
  multiply-adds) and one shared pool of BLAS threads in the process instead of two pools spinning
  against each other.
- `ag_matmul_serial_f32/_f64` (products that must stay on the calling thread: inside parallel
  chunks, e.g. conv2d image by image, and thin products whose threads would wait on each other,
  codegen/llvm/k_matmul.py): SciPy's OpenBLAS, set to one thread once (`install()`), so they
  never wait on a BLAS thread pool. SciPy's own functions then run single-threaded too.

How it links. `register()` takes SciPy's Fortran routines from the OpenBLAS its wheel ships
(scipy.libs/libscipy_openblas*, symbols `scipy_sgemm_`, ...: the routines
`scipy.linalg.cython_blas` calls, by ctypes, so SciPy itself is not imported; else from the
PyCapsules in `scipy.linalg.cython_blas.__pyx_capi__`) as `ag_sgemm`, `ag_dgemm`, `ag_sgemv`,
`ag_dgemv`, and NumPy's CBLAS routines (ctypes on the library NumPy loaded) as
`ag_cblas_sgemm`, ... (`numpy_cblas()`); each goes to `llvmlite.binding.add_symbol`, and MCJIT
resolves calls to those names. Call `register()` before finalizing a module that uses them
(idempotent and cheap after the first call). `register_numpy()` / `register_scipy()` do one half.

Calling conventions. SciPy's Fortran BLAS: every argument is a pointer, matrices are
column-major, integers are 32-bit (LP64):
    ag_sgemm(char *transa, char *transb, i32 *m, i32 *n, i32 *k, float *alpha, float *a,
             i32 *lda, float *b, i32 *ldb, float *beta, float *c, i32 *ldc)
computes C[m,n] = alpha*op(A)[m,k] @ op(B)[k,n] + beta*C with op = 'N' (as is) or 'T'; a
row-major matrix read column-major is its transpose, so row-major C = A @ B is column-major
C^T = B^T A^T: gemm(tb, ta, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc). ag_sgemv(char *trans,
i32 *m, i32 *n, float *alpha, float *a, i32 *lda, float *x, i32 *incx, float *beta, float *y,
i32 *incy) is y = alpha*op(A) x + beta*y. NumPy's CBLAS takes values, 64-bit integers and a
layout: ag_cblas_sgemm(i32 order=101 row-major, i32 transa (111 no, 112 yes), i32 transb, i64 m,
n, k, float alpha, ptr a, i64 lda, ptr b, i64 ldb, float beta, ptr c, i64 ldc); ag_cblas_sgemv(
order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy) likewise.

What the backend uses: row-major wrappers that hide the conventions. Either call `install()`
once (compiles them into two resident engines, the serial wrappers over SciPy's BLAS and the
others over NumPy's, and registers them as symbols; `install_for(names)` installs only the one
named symbols need, so a module without a serial product never loads SciPy's BLAS) and only
declare them (`declarations()` as text; `declare(module, name)` with llvmlite.ir installs what
it declares), or paste `ir_text(dtypes)`
(the BLAS declarations plus the wrapper definitions) into the module and call `register()`:
    void @ag_matmul_f32(i1 trans_a, i1 trans_b, i64 m, i64 n, i64 k, float alpha,
                        ptr A, i64 lda, ptr B, i64 ldb, float beta, ptr C, i64 ldc)
        C[m,n] = alpha * op(A)[m,k] @ op(B)[k,n] + beta * C   (all row-major; ld* = row strides
        in elements; op(A) = A, or A^T when trans_a and A is stored [k,m]; likewise B)
    void @ag_matvec_f32(i1 trans, i64 m, i64 n, float alpha, ptr A, i64 lda,
                        ptr x, i64 incx, float beta, ptr y, i64 incy)
        y = alpha * op(A) @ x + beta * y with A stored row-major [m,n] (op(A) = A^T when trans),
        x and y read with element strides incx, incy (nonzero; negative walks backwards as BLAS)
    void @ag_matmul_serial_f32(...)  as ag_matmul_f32, on the calling thread only
(`_f64` alike with double; `wrapper_signatures(dtype)` lists them as IR type names).
`matmul_call_ir(...)` emits one call line for a contiguous product.
The wrappers raise each ld to at least the row length and 1 (BLAS rejects smaller ones even
for empty matrices, and NumPy gives empty arrays zero strides). The caller guarantees
m, n, k, ld* < 2^31 (SciPy's BLAS is LP64) and buffers of the stated sizes.
"""
import ctypes
import glob
import importlib.util
import os
import sys

import llvmlite.binding as llvm
import numpy
from llvmlite import ir

from . import forksafe, resident
from .llvm_opt import PLUMBING
from .serial_gemm import scipy_openblas_paths as _scipy_openblas_paths
from .serial_gemm import open_scipy_openblas as _open_scipy_openblas
from .serial_gemm import on_one_cpu

SYMBOLS = {"sgemm": "ag_sgemm", "dgemm": "ag_dgemm", "sgemv": "ag_sgemv", "dgemv": "ag_dgemv"}
CBLAS_SYMBOLS = {"sgemm": "ag_cblas_sgemm", "dgemm": "ag_cblas_dgemm", "sgemv": "ag_cblas_sgemv",
                 "dgemv": "ag_cblas_dgemv"}
# exported names of NumPy's ILP64 OpenBLAS (the 64_ suffix says the integers are 64-bit; a plain
# cblas_sgemm could be either, so it is never taken)
_NUMPY_CBLAS_NAMES = ("scipy_cblas_{}64_", "cblas_{}64_")
_NUMPY_LIB_GLOBS = (("numpy.libs", "*openblas64*"), ("numpy/.dylibs", "*openblas64*"))
_TYPES = {"float32": ("float", "f32", "s"), "float64": ("double", "f64", "d")}
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
_lock = forksafe.Lock()
_addresses = {}
_numpy_cblas = []   # [({routine: address}, library path)] once looked up; ({}, None): none
_serial_pinned = []


def _capsule_pointer(capsule):
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))


def addresses():
    """{routine: function pointer} of SciPy's BLAS for the routines in SYMBOLS, read once: the
    Fortran routines of the OpenBLAS SciPy's wheel ships (scipy.libs/, `scipy_sgemm_`, ...:
    what scipy.linalg.cython_blas calls), by ctypes without importing SciPy (its __init__ costs
    tens of ms); else the cython_blas capsules."""
    if not _addresses:
        with _lock:
            if not _addresses:
                table = _scipy_library_routines()
                if not table:
                    capi = _cython_blas().__pyx_capi__
                    table = {r: _capsule_pointer(capi[r]) for r in SYMBOLS}
                _addresses.update(table)
    return dict(_addresses)


def _scipy_library_routines():
    """{routine: address} of the LP64 Fortran routines in SciPy's bundled OpenBLAS, or {}."""
    for path in _scipy_openblas_paths():
        if "openblas64" in os.path.basename(path):  # (ILP64: 64-bit integers, not ours)
            continue
        try:
            lib = _open_scipy_openblas(path)  # the library cython_blas links: one instance
        except OSError:
            continue
        for pattern in ("scipy_{}_", "{}_"):
            fns = [getattr(lib, pattern.format(r), None) for r in SYMBOLS]
            if all(f is not None for f in fns):
                return {r: ctypes.cast(f, ctypes.c_void_p).value for r, f in zip(SYMBOLS, fns)}
    return {}


def _cython_blas():
    """scipy.linalg.cython_blas without running scipy/linalg/__init__.py, which imports most of
    SciPy (about 0.3 s; this extension alone takes a few ms). It is registered in sys.modules
    under its own name, so a later `import scipy.linalg` uses this very module."""
    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        return sys.modules[name]
    try:
        root = importlib.util.find_spec("scipy").submodule_search_locations[0]
        folder = os.path.join(root, "linalg")
        files = [f for f in os.listdir(folder)
                 if f.startswith("cython_blas.") and f.endswith((".so", ".pyd"))]
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, files[0]))
        with on_one_cpu():  # (it loads SciPy's OpenBLAS: see serial_gemm.open_scipy_openblas)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    except Exception:  # an unusual SciPy layout: the ordinary import
        with on_one_cpu():
            from scipy.linalg import cython_blas
        return cython_blas
    sys.modules.setdefault(name, module)
    return sys.modules[name]


def _numpy_openblas_paths():
    """The OpenBLAS libraries a NumPy wheel ships (numpy.libs/ on Linux, numpy/.dylibs/ on mac)."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    paths = []
    for folder, pattern in _NUMPY_LIB_GLOBS:
        paths += sorted(glob.glob(os.path.join(site, folder, pattern)))
    return paths


def numpy_cblas():
    """({routine: address} of NumPy's own CBLAS with 64-bit integers, its library path), or
    ({}, None) when this NumPy ships none (built against MKL, Accelerate, a system BLAS...)."""
    if not _numpy_cblas:
        with _lock:
            if not _numpy_cblas:
                _numpy_cblas.append(_find_numpy_cblas())
    table, path = _numpy_cblas[0]
    return dict(table), path


def _find_numpy_cblas():
    for path in _numpy_openblas_paths():
        try:
            lib = ctypes.CDLL(path)  # NumPy has loaded it already: the same handle
        except OSError:
            continue
        for pattern in _NUMPY_CBLAS_NAMES:
            fns = [getattr(lib, pattern.format(r), None) for r in CBLAS_SYMBOLS]
            if all(f is not None for f in fns):
                table = {r: ctypes.cast(f, ctypes.c_void_p).value
                         for r, f in zip(CBLAS_SYMBOLS, fns)}
                return table, path
    return {}, None


def provider():
    """Which BLAS backs the ag_matmul_*/ag_matvec_* wrappers: "numpy" or "scipy"."""
    return "numpy" if numpy_cblas()[0] else "scipy"


def register():
    """Register every routine found with llvmlite under its `ag_` name; returns {symbol: address}:
    SciPy's (SYMBOLS) always, NumPy's CBLAS (CBLAS_SYMBOLS) when NumPy ships it."""
    table = register_scipy()
    table.update(register_numpy())
    return table


def register_scipy():
    """Register SciPy's Fortran routines (SYMBOLS) with llvmlite; loads SciPy's OpenBLAS."""
    table = {SYMBOLS[r]: addr for r, addr in addresses().items()}
    for name, addr in table.items():
        llvm.add_symbol(name, addr)
    return table


def register_numpy():
    """Register NumPy's CBLAS routines (CBLAS_SYMBOLS) with llvmlite, when NumPy ships them;
    loads nothing NumPy has not loaded already."""
    table = {CBLAS_SYMBOLS[r]: addr for r, addr in numpy_cblas()[0].items()}
    for name, addr in table.items():
        llvm.add_symbol(name, addr)
    return table


def pin_serial_threads():
    """Set SciPy's OpenBLAS to one thread, once per process (the serial wrappers run inside
    parallel chunks). A SciPy without `scipy_openblas_set_num_threads` is left as it is."""
    if _serial_pinned:
        return
    with _lock:
        if _serial_pinned:
            return

        for path in _scipy_openblas_paths():  # (found without running scipy/__init__.py)
            fn = getattr(_open_scipy_openblas(path), "scipy_openblas_set_num_threads", None)
            if fn is not None:
                fn(1)
        _serial_pinned.append(True)


_NUMPY_THREAD_FUNCTIONS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
                          ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
                          ("openblas_set_num_threads", "openblas_get_num_threads"))
_numpy_threads = {}   # "set"/"get": NumPy's OpenBLAS thread functions (None: none); "default"


def _numpy_thread_functions():
    with _lock:
        if not _numpy_threads:
            _numpy_threads.update(set=None, get=None, default=None)
            for path in _numpy_openblas_paths():
                try:
                    lib = ctypes.CDLL(path)  # NumPy has loaded it already: the same handle
                except OSError:
                    continue
                for set_name, get_name in _NUMPY_THREAD_FUNCTIONS:
                    set_fn, get_fn = getattr(lib, set_name, None), getattr(lib, get_name, None)
                    if set_fn is not None and get_fn is not None:
                        set_fn.argtypes, get_fn.restype = [ctypes.c_int], ctypes.c_int
                        _numpy_threads.update(set=set_fn, get=get_fn, default=get_fn())
                        return _numpy_threads
    return _numpy_threads


def set_numpy_threads(threads):
    """Set the threads of NumPy's own OpenBLAS (eager matmuls, and compiled ones that call it);
    None or 0: back to the count it started with. Returns whether this NumPy's BLAS could be
    told (False for MKL, Accelerate, a system BLAS...)."""
    fns = _numpy_thread_functions()
    if fns["set"] is None:
        return False
    fns["set"](int(threads or fns["default"]))
    return True


def numpy_threads():
    """The thread count of NumPy's own OpenBLAS, or None when it cannot be read."""
    get = _numpy_thread_functions()["get"]
    return get() if get is not None else None


def _fortran_args(names_types):
    """IR lines storing each (name, type, value) into its own alloca; the pointer is %<name>.p."""
    lines = [f"  %{n}.p = alloca {t}" for n, t, _ in names_types]
    lines += [f"  store {t} {v}, ptr %{n}.p" for n, t, v in names_types]
    return lines


def _leading(name, value, least, bits=32):
    """%<name>: an i64 row stride raised to `least` (the row length) and to 1, as i<bits>: BLAS
    rejects a smaller ld even for empty matrices (NumPy gives empty arrays zero strides)."""
    lines = [f"  %{name}.lt = icmp slt i64 {value}, {least}",
             f"  %{name}.w = select i1 %{name}.lt, i64 {least}, i64 {value}",
             f"  %{name}.lt1 = icmp slt i64 %{name}.w, 1"]
    if bits == 64:
        return lines + [f"  %{name} = select i1 %{name}.lt1, i64 1, i64 %{name}.w"]
    return lines + [f"  %{name}.w1 = select i1 %{name}.lt1, i64 1, i64 %{name}.w",
                    f"  %{name} = trunc i64 %{name}.w1 to i32"]


def _gemm_head(dtype_name, wrapper):
    ty, sfx, _ = _TYPES[dtype_name]
    return [f"define linkonce_odr void @{wrapper}_{sfx}(i1 %ta, i1 %tb, i64 %m, i64 %n, i64 %k, "
            f"{ty} %alpha, ptr %a, i64 %lda, ptr %b, i64 %ldb, {ty} %beta, ptr %c, i64 %ldc) "
            "nounwind {", "entry:",
            "  %rowa = select i1 %ta, i64 %m, i64 %k", "  %rowb = select i1 %tb, i64 %k, i64 %n"]


def _gemm_fortran(dtype_name, wrapper):
    ty, _, p = _TYPES[dtype_name]
    body = _gemm_head(dtype_name, wrapper)
    body += ["  %ca = select i1 %ta, i8 84, i8 78", "  %cb = select i1 %tb, i8 84, i8 78",
             "  %m32 = trunc i64 %m to i32", "  %n32 = trunc i64 %n to i32",
             "  %k32 = trunc i64 %k to i32"]
    body += _leading("lda32", "%lda", "%rowa") + _leading("ldb32", "%ldb", "%rowb")
    body += _leading("ldc32", "%ldc", "%n")
    body += _fortran_args([("ca", "i8", "%ca"), ("cb", "i8", "%cb"), ("m", "i32", "%m32"),
                           ("n", "i32", "%n32"), ("k", "i32", "%k32"),
                           ("alpha", ty, "%alpha"), ("beta", ty, "%beta"),
                           ("lda", "i32", "%lda32"), ("ldb", "i32", "%ldb32"),
                           ("ldc", "i32", "%ldc32")])
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: operands swapped
    body += [f"  call void @ag_{p}gemm(ptr %cb.p, ptr %ca.p, ptr %n.p, ptr %m.p, ptr %k.p, "
             f"ptr %alpha.p, ptr %b, ptr %ldb.p, ptr %a, ptr %lda.p, ptr %beta.p, ptr %c, "
             "ptr %ldc.p)", "  ret void", "}", ""]
    return "\n".join(body)


def _gemm_cblas(dtype_name, wrapper):
    ty, _, p = _TYPES[dtype_name]
    body = _gemm_head(dtype_name, wrapper)
    body += [f"  %ca = select i1 %ta, i32 {TRANS}, i32 {NO_TRANS}",
             f"  %cb = select i1 %tb, i32 {TRANS}, i32 {NO_TRANS}"]
    body += _leading("lda64", "%lda", "%rowa", 64) + _leading("ldb64", "%ldb", "%rowb", 64)
    body += _leading("ldc64", "%ldc", "%n", 64)
    body += [f"  call void @ag_cblas_{p}gemm(i32 {ROW_MAJOR}, i32 %ca, i32 %cb, i64 %m, i64 %n, "
             f"i64 %k, {ty} %alpha, ptr %a, i64 %lda64, ptr %b, i64 %ldb64, {ty} %beta, ptr %c, "
             "i64 %ldc64)", "  ret void", "}", ""]
    return "\n".join(body)


def _gemv_head(dtype_name):
    ty, sfx, _ = _TYPES[dtype_name]
    return [f"define linkonce_odr void @ag_matvec_{sfx}(i1 %t, i64 %m, i64 %n, {ty} %alpha, "
            f"ptr %a, i64 %lda, ptr %x, i64 %incx, {ty} %beta, ptr %y, i64 %incy) nounwind {{",
            "entry:"]


def _gemv_fortran(dtype_name):
    ty, _, p = _TYPES[dtype_name]
    body = _gemv_head(dtype_name) + [
        # stored row-major [m,n] = column-major [n,m]: y = A x is the transposed column-major op
        "  %ct = select i1 %t, i8 78, i8 84",
        "  %m32 = trunc i64 %m to i32", "  %n32 = trunc i64 %n to i32",
        "  %incx32 = trunc i64 %incx to i32", "  %incy32 = trunc i64 %incy to i32"]
    body += _leading("lda32", "%lda", "%n")
    body += _fortran_args([("ct", "i8", "%ct"), ("m", "i32", "%m32"), ("n", "i32", "%n32"),
                           ("alpha", ty, "%alpha"), ("beta", ty, "%beta"),
                           ("lda", "i32", "%lda32"), ("incx", "i32", "%incx32"),
                           ("incy", "i32", "%incy32")])
    body += [f"  call void @ag_{p}gemv(ptr %ct.p, ptr %n.p, ptr %m.p, ptr %alpha.p, ptr %a, "
             "ptr %lda.p, ptr %x, ptr %incx.p, ptr %beta.p, ptr %y, ptr %incy.p)",
             "  ret void", "}", ""]
    return "\n".join(body)


def _gemv_cblas(dtype_name):
    ty, _, p = _TYPES[dtype_name]
    body = _gemv_head(dtype_name) + [f"  %ct = select i1 %t, i32 {TRANS}, i32 {NO_TRANS}"]
    body += _leading("lda64", "%lda", "%n", 64)
    body += [f"  call void @ag_cblas_{p}gemv(i32 {ROW_MAJOR}, i32 %ct, i64 %m, i64 %n, "
             f"{ty} %alpha, ptr %a, i64 %lda64, ptr %x, i64 %incx, {ty} %beta, ptr %y, "
             "i64 %incy)", "  ret void", "}", ""]
    return "\n".join(body)


def wrapper_signatures(dtype_name):
    """{wrapper name: (return type, [argument types])} in IR type names, for callers that
    declare the wrappers with llvmlite.ir before pasting `ir_text` in place of the declarations."""
    ty, sfx, _ = _TYPES[dtype_name]
    gemm = ("void", ["i1", "i1", "i64", "i64", "i64", ty, "ptr", "i64", "ptr", "i64", ty, "ptr",
                     "i64"])
    return {f"ag_matmul_{sfx}": gemm, f"ag_matmul_serial_{sfx}": gemm,
            f"ag_matvec_{sfx}": ("void", ["i1", "i64", "i64", ty, "ptr", "i64", "ptr", "i64", ty,
                                          "ptr", "i64"])}


def _declarations_of_routines(dtype_name, which):
    ty, _, p = _TYPES[dtype_name]
    if which == "scipy":
        return [f"declare void @ag_{p}gemm(ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, "
                "ptr, ptr, ptr) nounwind",
                f"declare void @ag_{p}gemv(ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, "
                "ptr) nounwind"]
    return [f"declare void @ag_cblas_{p}gemm(i32, i32, i32, i64, i64, i64, {ty}, ptr, i64, ptr, "
            f"i64, {ty}, ptr, i64) nounwind",
            f"declare void @ag_cblas_{p}gemv(i32, i32, i64, i64, {ty}, ptr, i64, ptr, i64, {ty}, "
            "ptr, i64) nounwind"]


def ir_text(dtype_names=("float32", "float64"), which=None):
    """Declarations of the BLAS routines and the definitions of every wrapper for each dtype
    name; `which` ("numpy" or "scipy", default `provider()`) backs ag_matmul_*/ag_matvec_*."""
    if isinstance(dtype_names, str):
        dtype_names = (dtype_names,)
    which = which or provider()
    out = []
    for d in dtype_names:
        out += _declarations_of_routines(d, "scipy")
        if which == "numpy":
            out += _declarations_of_routines(d, "numpy")
            out += [_gemm_cblas(d, "ag_matmul"), _gemv_cblas(d)]
        else:
            out += [_gemm_fortran(d, "ag_matmul"), _gemv_fortran(d)]
        out.append(_gemm_fortran(d, "ag_matmul_serial"))
    return "\n".join(out)


def _all_signatures():
    return {name: sig for d in _TYPES for name, sig in wrapper_signatures(d).items()}


def declarations():
    """`declare` lines for every wrapper, for modules that use the resident copy (install())."""
    return "\n".join(f"declare {ret} @{name}({', '.join(args)})"
                     for name, (ret, args) in _all_signatures().items()) + "\n"


def declare(module, name):
    """The llvmlite.ir Function of wrapper `name` (e.g. "ag_matmul_f32") in `module`, declared
    on first use. The BLAS it needs must be there (`check_available`: raises otherwise); the
    wrapper itself is compiled when the module is linked (`install_for`, which the CPU backend
    calls then), so a lowering never waits for LLVM to compile glue."""
    if name in module.globals:
        return module.globals[name]
    check_available([name])
    types = {"void": ir.VoidType(), "i1": ir.IntType(1), "i64": ir.IntType(64),
             "float": ir.FloatType(), "double": ir.DoubleType(), "ptr": ir.PointerType()}
    ret, args = _all_signatures()[name]
    return ir.Function(module, ir.FunctionType(types[ret], [types[a] for a in args]), name=name)


def general_text(which=None):
    """IR of the ag_matmul_* / ag_matvec_* wrappers (both dtypes) over `which` BLAS (default:
    `provider()`), as `install_general` compiles it."""
    which = which or provider()
    out = []
    for d in _TYPES:
        out += _declarations_of_routines(d, which)
        if which == "numpy":
            out += [_gemm_cblas(d, "ag_matmul"), _gemv_cblas(d)]
        else:
            out += [_gemm_fortran(d, "ag_matmul"), _gemv_fortran(d)]
    return "\n".join(out)


def serial_text():
    """IR of the ag_matmul_serial_* wrappers (both dtypes) over SciPy's Fortran BLAS, as
    `install_serial` compiles it."""
    out = []
    for d in _TYPES:
        out += _declarations_of_routines(d, "scipy")[:1] + [_gemm_fortran(d, "ag_matmul_serial")]
    return "\n".join(out)


def install_general():
    """The ag_matmul_* and ag_matvec_* wrappers, resident (see install()), over NumPy's CBLAS
    when NumPy ships one: then SciPy is not loaded. Idempotent; returns {symbol: address}."""
    which = _register_general()
    names = [n for d in _TYPES for n in wrapper_signatures(d) if "_serial_" not in n]
    return resident.install(_general_key(which), general_text(which), names,
                            opt_level=PLUMBING)


def _general_key(which):
    return f"blas wrappers ({which})"


def _register_general():
    """Register the routines the general wrappers call; returns `provider()`."""
    which = provider()
    if which == "numpy":
        register_numpy()
    else:
        register_scipy()
    return which


def install_serial():
    """The ag_matmul_serial_* wrappers, resident, over SciPy's BLAS set to one thread (loads
    SciPy's OpenBLAS). Idempotent; returns {symbol: address}."""
    register_scipy()
    pin_serial_threads()
    names = [n for d in _TYPES for n in wrapper_signatures(d) if "_serial_" in n]
    return resident.install(_SERIAL_KEY, serial_text(), names, opt_level=PLUMBING)


_SERIAL_KEY = "blas serial wrappers"


def _needed(names):
    """(serial, general): whether the symbols `names` need the serial wrappers (or a SciPy
    routine), and whether they need the general ones."""
    return (any(n.startswith(_SERIAL_PREFIXES) for n in names),
            any(n.startswith(_GENERAL_PREFIXES) and not n.startswith(_SERIAL_PREFIXES)
                for n in names))


def check_available(names):
    """Raise (ImportError, OSError, RuntimeError) unless the BLAS library the wrapper or routine
    names `names` need can be loaded; registers its routines with llvmlite. Installs nothing
    (`install_for` does, when a module that declares them is linked) but starts compiling the
    wrappers' object on the compile threads (resident.compile_early, once), so that the link
    finds it made: cheap after the first call."""
    serial, general = _needed(names)
    if serial:
        register_scipy()
        resident.compile_early(_SERIAL_KEY, serial_text, opt_level=PLUMBING)
    if general:
        which = _register_general()
        resident.compile_early(_general_key(which), lambda: general_text(which),
                               opt_level=PLUMBING)


def install_for(names):
    """Install what the symbols `names` (wrapper or routine names a module declares) need, and
    nothing else: SciPy's BLAS only for a serial wrapper or a SciPy routine. Returns
    {symbol: address} of what it installed."""
    table = {}
    serial, general = _needed(names)
    if serial:
        table.update(install_serial())
    if general:
        table.update(install_general())
    if any(n.startswith("ag_cblas_") for n in names):
        table.update(register_numpy())
    return table


_SERIAL_PREFIXES = ("ag_matmul_serial_",) + tuple(SYMBOLS.values())
_GENERAL_PREFIXES = ("ag_matmul_", "ag_matvec_")
PREFIXES = _SERIAL_PREFIXES + _GENERAL_PREFIXES + ("ag_cblas_",)  # every name install_for knows


def install():
    """Register the BLAS routines, set SciPy's to one thread, and compile every wrapper once per
    process into resident engines, registering ag_matmul_*, ag_matmul_serial_* and
    ag_matvec_* as llvmlite symbols; then a module needs only their declarations. Idempotent;
    returns {wrapper symbol: address}. (`install_for` installs only what named symbols need.)"""
    register()
    table = install_serial()
    table.update(install_general())
    return table


def matmul_call_ir(dtype_name, a, b, c, m, n, k, trans_a=False, trans_b=False):
    """One IR line: C[m,n] = op(A) @ op(B) for contiguous row-major buffers (ptr values a, b, c;
    m, n, k as i64 literals or SSA names). A is stored [m,k] (or [k,m] when trans_a), B [k,n]
    (or [n,k] when trans_b). Needs `ir_text(dtype_name)` in the module."""
    ty, sfx, _ = _TYPES[dtype_name]
    lda = m if trans_a else k
    ldb = k if trans_b else n
    return (f"call void @ag_matmul_{sfx}(i1 {int(trans_a)}, i1 {int(trans_b)}, i64 {m}, "
            f"i64 {n}, i64 {k}, {ty} 1.0, ptr {a}, i64 {lda}, ptr {b}, i64 {ldb}, {ty} 0.0, "
            f"ptr {c}, i64 {n})")
