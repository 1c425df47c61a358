"""BLAS for compiled code: SciPy's Fortran BLAS (sgemm/dgemm/sgemv/dgemv) as llvmlite symbols,
and the IR of row-major matmul / matrix-vector wrappers around them.

How it links. `register()` takes each routine's function pointer from the PyCapsules in
`scipy.linalg.cython_blas.__pyx_capi__` (ctypes `PyCapsule_GetPointer` with the capsule's own
name) and registers it with `llvmlite.binding.add_symbol` as `ag_sgemm`, `ag_dgemm`, `ag_sgemv`,
`ag_dgemv`; MCJIT then resolves calls to those names. Call `register()` before finalizing a
module that uses them (it is idempotent and cheap after the first call).

Fortran calling convention (what `ag_?gemm` expects). Every argument is a pointer, matrices
are column-major, integers are 32-bit (`int *`: SciPy's BLAS is LP64):
    ag_sgemm(char *transa, char *transb, i32 *m, i32 *n, i32 *k, float *alpha, float *a,
             i32 *lda, float *b, i32 *ldb, float *beta, float *c, i32 *ldc)
computes C[m,n] = alpha*op(A)[m,k] @ op(B)[k,n] + beta*C with op = 'N' (as is) or 'T'
(transposed); ld* >= max(1, rows). ag_sgemv(char *trans, i32 *m, i32 *n, float *alpha, float *a,
i32 *lda, float *x, i32 *incx, float *beta, float *y, i32 *incy) is y = alpha*op(A) x + beta*y.
A row-major matrix read column-major is its transpose, so the row-major product C = A @ B is
the column-major C^T = B^T A^T: gemm(tb, ta, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc).

What the backend uses: row-major wrappers that hide the convention. Either call `install()`
once (compiles them into a resident engine and registers them as symbols) and only declare them
(`declarations()` as text, `declare(module, name)` with llvmlite.ir), or paste `ir_text(dtypes)`
(the BLAS declarations plus the wrapper definitions) into the module and call `register()`:
    void @ag_matmul_f32(i1 trans_a, i1 trans_b, i64 m, i64 n, i64 k, float alpha,
                        ptr A, i64 lda, ptr B, i64 ldb, float beta, ptr C, i64 ldc)
        C[m,n] = alpha * op(A)[m,k] @ op(B)[k,n] + beta * C   (all row-major; ld* = row strides
        in elements; op(A) = A, or A^T when trans_a and A is stored [k,m]; likewise B)
    void @ag_matvec_f32(i1 trans, i64 m, i64 n, float alpha, ptr A, i64 lda,
                        ptr x, i64 incx, float beta, ptr y, i64 incy)
        y = alpha * op(A) @ x + beta * y with A stored row-major [m,n] (op(A) = A^T when trans),
        x and y read with element strides incx, incy (nonzero; negative walks backwards as BLAS)
(`_f64` alike with double; `wrapper_signatures(dtype)` lists both as IR type names).
`matmul_call_ir(...)` emits one call line for a contiguous product.
The wrappers raise each ld to at least the row length and 1 (BLAS rejects smaller ones even
for empty matrices, and NumPy gives empty arrays zero strides). The caller guarantees
m, n, k, ld* < 2^31 (SciPy's BLAS is LP64) and buffers of the stated sizes.
"""
import ctypes
import threading

from . import resident

SYMBOLS = {"sgemm": "ag_sgemm", "dgemm": "ag_dgemm", "sgemv": "ag_sgemv", "dgemv": "ag_dgemv"}
_TYPES = {"float32": ("float", "f32", "s"), "float64": ("double", "f64", "d")}
_lock = threading.Lock()
_addresses = {}


def _capsule_pointer(capsule):
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))


def addresses():
    """{routine: function pointer} for the routines in SYMBOLS, read once from SciPy."""
    if not _addresses:
        with _lock:
            if not _addresses:
                capi = _cython_blas().__pyx_capi__
                _addresses.update({r: _capsule_pointer(capi[r]) for r in SYMBOLS})
    return dict(_addresses)


def _cython_blas():
    """scipy.linalg.cython_blas without running scipy/linalg/__init__.py, which imports most of
    SciPy (about 0.3 s; this extension alone takes a few ms). It is registered in sys.modules
    under its own name, so a later `import scipy.linalg` uses this very module."""
    import importlib.util
    import os
    import sys
    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        return sys.modules[name]
    try:
        root = importlib.util.find_spec("scipy").submodule_search_locations[0]
        folder = os.path.join(root, "linalg")
        files = [f for f in os.listdir(folder)
                 if f.startswith("cython_blas.") and f.endswith((".so", ".pyd"))]
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, files[0]))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:  # an unusual SciPy layout: the ordinary import
        from scipy.linalg import cython_blas
        return cython_blas
    sys.modules.setdefault(name, module)
    return sys.modules[name]


def register():
    """Register every routine with llvmlite under its `ag_` name; returns {symbol: address}."""
    import llvmlite.binding as llvm
    table = {SYMBOLS[r]: addr for r, addr in addresses().items()}
    for name, addr in table.items():
        llvm.add_symbol(name, addr)
    return table


def _fortran_args(names_types):
    """IR lines storing each (name, type, value) into its own alloca; the pointer is %<name>.p."""
    lines = [f"  %{n}.p = alloca {t}" for n, t, _ in names_types]
    lines += [f"  store {t} {v}, ptr %{n}.p" for n, t, v in names_types]
    return lines


def _int32(name, value, least):
    """i32 copy of an i64 row stride, raised to `least` (the row length) and to 1: BLAS rejects
    a smaller ld even for empty matrices (NumPy gives empty arrays zero strides)."""
    return [f"  %{name}.lt = icmp slt i64 {value}, {least}",
            f"  %{name}.w = select i1 %{name}.lt, i64 {least}, i64 {value}",
            f"  %{name}.lt1 = icmp slt i64 %{name}.w, 1",
            f"  %{name}.w1 = select i1 %{name}.lt1, i64 1, i64 %{name}.w",
            f"  %{name} = trunc i64 %{name}.w1 to i32"]


def _gemm_wrapper(dtype_name):
    ty, sfx, p = _TYPES[dtype_name]
    body = [f"define linkonce_odr void @ag_matmul_{sfx}(i1 %ta, i1 %tb, i64 %m, i64 %n, i64 %k, "
            f"{ty} %alpha, ptr %a, i64 %lda, ptr %b, i64 %ldb, {ty} %beta, ptr %c, i64 %ldc) "
            "nounwind {", "entry:",
            "  %ca = select i1 %ta, i8 84, i8 78", "  %cb = select i1 %tb, i8 84, i8 78",
            "  %m32 = trunc i64 %m to i32", "  %n32 = trunc i64 %n to i32",
            "  %k32 = trunc i64 %k to i32"]
    body += ["  %rowa = select i1 %ta, i64 %m, i64 %k", "  %rowb = select i1 %tb, i64 %k, i64 %n"]
    body += _int32("lda32", "%lda", "%rowa") + _int32("ldb32", "%ldb", "%rowb")
    body += _int32("ldc32", "%ldc", "%n")
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


def _gemv_wrapper(dtype_name):
    ty, sfx, p = _TYPES[dtype_name]
    body = [f"define linkonce_odr void @ag_matvec_{sfx}(i1 %t, i64 %m, i64 %n, {ty} %alpha, "
            f"ptr %a, i64 %lda, ptr %x, i64 %incx, {ty} %beta, ptr %y, i64 %incy) nounwind {{",
            "entry:",
            # stored row-major [m,n] = column-major [n,m]: y = A x is the transposed column-major op
            "  %ct = select i1 %t, i8 78, i8 84",
            "  %m32 = trunc i64 %m to i32", "  %n32 = trunc i64 %n to i32",
            "  %incx32 = trunc i64 %incx to i32", "  %incy32 = trunc i64 %incy to i32"]
    body += _int32("lda32", "%lda", "%n")
    body += _fortran_args([("ct", "i8", "%ct"), ("m", "i32", "%m32"), ("n", "i32", "%n32"),
                           ("alpha", ty, "%alpha"), ("beta", ty, "%beta"),
                           ("lda", "i32", "%lda32"), ("incx", "i32", "%incx32"),
                           ("incy", "i32", "%incy32")])
    body += [f"  call void @ag_{p}gemv(ptr %ct.p, ptr %n.p, ptr %m.p, ptr %alpha.p, ptr %a, "
             "ptr %lda.p, ptr %x, ptr %incx.p, ptr %beta.p, ptr %y, ptr %incy.p)",
             "  ret void", "}", ""]
    return "\n".join(body)


def wrapper_signatures(dtype_name):
    """{wrapper name: (return type, [argument types])} in IR type names, for callers that
    declare the wrappers with llvmlite.ir before pasting `ir_text` in place of the declarations."""
    ty, sfx, _ = _TYPES[dtype_name]
    return {f"ag_matmul_{sfx}": ("void", ["i1", "i1", "i64", "i64", "i64", ty, "ptr", "i64", "ptr",
                                          "i64", ty, "ptr", "i64"]),
            f"ag_matvec_{sfx}": ("void", ["i1", "i64", "i64", ty, "ptr", "i64", "ptr", "i64", ty,
                                          "ptr", "i64"])}


def ir_text(dtype_names=("float32", "float64")):
    """Declarations of the BLAS symbols and the row-major wrappers for each dtype name."""
    if isinstance(dtype_names, str):
        dtype_names = (dtype_names,)
    out = []
    for d in dtype_names:
        ty, _, p = _TYPES[d]
        out.append(f"declare void @ag_{p}gemm(ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, "
                   "ptr, ptr, ptr) nounwind")
        out.append(f"declare void @ag_{p}gemv(ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, "
                   "ptr) nounwind")
        out.append(_gemm_wrapper(d))
        out.append(_gemv_wrapper(d))
    return "\n".join(out)


def _all_signatures():
    return {name: sig for d in _TYPES for name, sig in wrapper_signatures(d).items()}


def declarations():
    """`declare` lines for every wrapper, for modules that use the resident copy (install())."""
    return "\n".join(f"declare {ret} @{name}({', '.join(args)})"
                     for name, (ret, args) in _all_signatures().items()) + "\n"


def declare(module, name):
    """The llvmlite.ir Function of wrapper `name` (e.g. "ag_matmul_f32") in `module`, declared
    on first use; the call then resolves to the resident copy (install())."""
    from llvmlite import ir
    if name in module.globals:
        return module.globals[name]
    types = {"void": ir.VoidType(), "i1": ir.IntType(1), "i64": ir.IntType(64),
             "float": ir.FloatType(), "double": ir.DoubleType(), "ptr": ir.PointerType()}
    ret, args = _all_signatures()[name]
    return ir.Function(module, ir.FunctionType(types[ret], [types[a] for a in args]), name=name)


def install():
    """Register the BLAS routines and compile every wrapper once per process into a resident
    engine, registering ag_matmul_f32/_f64 and ag_matvec_f32/_f64 as llvmlite symbols; then a
    module needs only their declarations. Idempotent; returns {symbol: address}."""
    register()
    return resident.install("blas wrappers", ir_text(), list(_all_signatures()))


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
