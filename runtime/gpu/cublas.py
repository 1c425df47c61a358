"""cuBLAS through ctypes: the GEMM fast path of the GPU backend's matmul (codegen/gpu/k_matmul.py).

The library is found the way CUDA users' Python installs have it and loaded on first use only
(importing this module or the package loads nothing): $AUTOGRAPH_JIT_LIBCUBLAS, then the
system's (`ctypes.util.find_library("cublas")`), then the `nvidia-cublas-cu12` / `-cu13` wheels
next to torch or JAX (`nvidia/cublas/lib`, `nvidia/cu13/lib` on sys.path), then
$CUDA_HOME / $CUDA_PATH / the toolkit of `ptxas` / /usr/local/cuda (`lib64`). Every status other
than CUBLAS_STATUS_SUCCESS raises the TF error type of its cuBLAS name (`ERROR_TYPES`).

One `Blas` per device context (`for_device(device)`): a handle created in that context, its
stream set to the stream the device launches kernels on (the legacy default stream, so GEMMs and
kernels run in program order), pointer mode host (alpha and beta are host scalars) and the
default math mode (no TF32: float32 GEMMs compute in float32, like the generated kernel).
`Blas.gemm` / `gemm_strided_batched` are cuBLAS's own column-major calls; `Blas.matmul` takes
row-major operands and writes the row-major -> column-major mapping once (C^T = B^T A^T: see
`colmajor_args`). The grid emulator has the same library, emulated (emu_blas.py: cuBLAS's
column-major semantics on emulated device memory), behind the same `Blas`, so the handle, stream
and argument mapping are exercised without a GPU.

`mode()` reads $AUTOGRAPH_JIT_GPU_MATMUL: "auto" (default: cuBLAS where it applies and is
present, else the generated kernel), "cublas" (cuBLAS wherever it applies; an error when it is
absent) or "kernel" (always the generated kernel).

Example:
    blas = for_device(get_device("emulator"))
    blas.matmul(np.float32, m, n, k, Operand(a.ptr, k), Operand(b.ptr, n), Operand(c.ptr, n))
"""
import ctypes
import ctypes.util
import glob
import os
import sys
import threading

import numpy as np

from autograph_jit import errors
from autograph_jit.errors import InvalidArgumentError, UnavailableError

from . import ptxas

__all__ = ["mode", "MODES", "candidates", "load", "loaded", "for_device", "Blas", "Operand",
           "colmajor_args", "status_name", "ERROR_TYPES", "OP_N", "OP_T", "OP_C", "MAX_DIM"]

MODES = ("auto", "cublas", "kernel")
MODE_ENV = "AUTOGRAPH_JIT_GPU_MATMUL"
OP_N, OP_T, OP_C = 0, 1, 2                  # cublasOperation_t
POINTER_MODE_HOST, POINTER_MODE_DEVICE = 0, 1
DEFAULT_MATH = 0                            # cublasMath_t CUBLAS_DEFAULT_MATH (no TF32)
MAX_DIM = 2 ** 31 - 1                       # cuBLAS's int dimensions and leading dimensions

STATUS_NAMES = {
    0: "CUBLAS_STATUS_SUCCESS", 1: "CUBLAS_STATUS_NOT_INITIALIZED",
    3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
    8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR",
    13: "CUBLAS_STATUS_EXECUTION_FAILED", 14: "CUBLAS_STATUS_INTERNAL_ERROR",
    15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
}
_OFF = (f"or set {MODE_ENV}=kernel to use the generated matmul kernel instead")
ERROR_TYPES = {
    "CUBLAS_STATUS_NOT_INITIALIZED": (errors.UnavailableError,
                                      "cuBLAS could not start (no driver, or a driver older than "
                                      "this libcublas needs); " + _OFF),
    "CUBLAS_STATUS_ALLOC_FAILED": (errors.ResourceExhaustedError,
                                   "free device memory or use smaller batches"),
    "CUBLAS_STATUS_INVALID_VALUE": (errors.InvalidArgumentError, ""),
    "CUBLAS_STATUS_ARCH_MISMATCH": (errors.UnimplementedError, _OFF),
    "CUBLAS_STATUS_MAPPING_ERROR": (errors.InternalError, ""),
    "CUBLAS_STATUS_EXECUTION_FAILED": (errors.InternalError,
                                       "the GEMM failed on the device; " + _OFF),
    "CUBLAS_STATUS_INTERNAL_ERROR": (errors.InternalError, ""),
    "CUBLAS_STATUS_NOT_SUPPORTED": (errors.UnimplementedError, _OFF),
    "CUBLAS_STATUS_LICENSE_ERROR": (errors.FailedPreconditionError, ""),
}

_P, _I, _LL = ctypes.c_void_p, ctypes.c_int, ctypes.c_longlong
_FP, _DP = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_double)


def _gemm_types(scalar):
    return [_P, _I, _I, _I, _I, _I, scalar, _P, _I, _P, _I, scalar, _P, _I]


def _batched_types(scalar):
    return [_P, _I, _I, _I, _I, _I, scalar, _P, _I, _LL, _P, _I, _LL, scalar, _P, _I, _LL, _I]


# name -> argtypes (all return cublasStatus_t, an int)
FUNCTIONS = {
    "cublasCreate_v2": [ctypes.POINTER(_P)],
    "cublasDestroy_v2": [_P],
    "cublasGetVersion_v2": [_P, ctypes.POINTER(_I)],
    "cublasSetStream_v2": [_P, _P],
    "cublasSetPointerMode_v2": [_P, _I],
    "cublasSetMathMode": [_P, _I],
    "cublasSgemm_v2": _gemm_types(_FP),
    "cublasDgemm_v2": _gemm_types(_DP),
    "cublasSgemmStridedBatched": _batched_types(_FP),
    "cublasDgemmStridedBatched": _batched_types(_DP),
}
# (dtype name) -> (gemm, strided batched, ctypes scalar)
_BY_DTYPE = {"float32": ("cublasSgemm_v2", "cublasSgemmStridedBatched", ctypes.c_float),
             "float64": ("cublasDgemm_v2", "cublasDgemmStridedBatched", ctypes.c_double)}


def mode():
    """The matmul path $AUTOGRAPH_JIT_GPU_MATMUL asks for: "auto" (default), "cublas", "kernel".

    Returns:
      One of MODES.
    Raises:
      InvalidArgumentError: another value.

    Example:
        os.environ["AUTOGRAPH_JIT_GPU_MATMUL"] = "kernel"; mode()   # -> "kernel"
    """
    value = os.environ.get(MODE_ENV, "").strip().lower() or "auto"
    if value not in MODES:
        raise InvalidArgumentError(f"{MODE_ENV}={value!r}: use one of {MODES}")
    return value


# -- finding and loading the library ------------------------------------------------------------


def _wheel_dirs():
    """lib folders of the nvidia-cublas wheels on sys.path (cu12: nvidia/cublas/lib; cu13:
    nvidia/cu13/lib), where torch and JAX users have them."""
    out = []
    for root in sys.path:
        if not root or not os.path.isdir(os.path.join(root, "nvidia")):
            continue
        out.extend(sorted(glob.glob(os.path.join(root, "nvidia", "cublas", "lib"))))
        out.extend(sorted(glob.glob(os.path.join(root, "nvidia", "cu1*", "lib")), reverse=True))
    return out


def _toolkit_dirs():
    roots = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    try:
        roots.append(ptxas.toolkit_root())
    except Exception:  # noqa: BLE001 (a broken ptxas is no reason to miss cuBLAS elsewhere)
        pass
    roots.append("/usr/local/cuda")
    seen, out = set(), []
    for r in roots:
        for sub in ("lib64", "lib", os.path.join("targets", "x86_64-linux", "lib")):
            d = r and os.path.join(r, sub)
            if d and d not in seen and os.path.isdir(d):
                seen.add(d)
                out.append(d)
    return out


def _in_dir(d):
    names = sorted(glob.glob(os.path.join(d, "libcublas.so.*")), reverse=True)
    names = [n for n in names if os.path.basename(n).count(".") <= 3]  # libcublas.so.12(.x)
    plain = os.path.join(d, "libcublas.so")
    return names + ([plain] if os.path.exists(plain) else [])


def candidates():
    """Where cuBLAS may be, in the order tried (names for the dynamic loader or paths).

    Example:
        candidates()   # ['libcublas.so.12', '/venv/.../nvidia/cublas/lib/libcublas.so.12', ...]
    """
    env = os.environ.get("AUTOGRAPH_JIT_LIBCUBLAS")
    if env:
        return [env]
    out = []
    found = ctypes.util.find_library("cublas")
    if found:
        out.append(found)
    for d in _wheel_dirs() + _toolkit_dirs():
        out.extend(_in_dir(d))
    if sys.platform == "win32":
        out.extend(["cublas64_13.dll", "cublas64_12.dll"])
    return list(dict.fromkeys(out))


_lib = None
_lib_path = None
_lib_lock = threading.Lock()


def loaded():
    """Whether this process has loaded libcublas (through this module)."""
    return _lib is not None


def library_path():
    """The libcublas this module loaded, or None."""
    return _lib_path


def load():
    """The cuBLAS library with its entry points typed, loaded once (the first candidate that
    loads and has them).

    Returns:
      The ctypes library.
    Raises:
      UnavailableError: none found or none loads; the message lists what was tried.
    """
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        tried = []
        for name in candidates():
            try:
                lib = ctypes.CDLL(name)
            except OSError as e:
                tried.append(f"{name} ({e})")
                continue
            missing = [f for f in FUNCTIONS if not hasattr(lib, f)]
            if missing:
                tried.append(f"{name} (lacks {', '.join(missing)})")
                continue
            for fname, argtypes in FUNCTIONS.items():
                fn = getattr(lib, fname)
                fn.argtypes = argtypes
                fn.restype = ctypes.c_int
            if hasattr(lib, "cublasGetStatusName"):
                lib.cublasGetStatusName.argtypes = [_I]
                lib.cublasGetStatusName.restype = ctypes.c_char_p
            _lib, _lib_path = lib, name
            return lib
        where = "; ".join(tried) if tried else (
            "no libcublas in the system's library path, the nvidia-cublas wheels on sys.path "
            "or $CUDA_HOME")
        raise UnavailableError(
            f"cuBLAS is not available: {where}. Install it (`pip install nvidia-cublas-cu12`) "
            f"or point AUTOGRAPH_JIT_LIBCUBLAS at libcublas.so, {_OFF}")


def status_name(status, lib=None):
    """The cuBLAS name of a status code (from the library where it can say)."""
    fn = getattr(lib, "cublasGetStatusName", None) if lib is not None else None
    if fn is not None:
        try:
            name = fn(int(status))
            if name:
                return name.decode() if isinstance(name, bytes) else str(name)
        except Exception:  # noqa: BLE001 (fall back to the table)
            pass
    return STATUS_NAMES.get(int(status), f"CUBLAS_STATUS_{int(status)}")


def error_for(status, call, lib=None, extra=""):
    """The TF error for cuBLAS status `status` returned by `call`."""
    name = status_name(status, lib)
    cls, hint = ERROR_TYPES.get(name, (errors.UnknownError, ""))
    message = f"{call} failed: {name}"
    for part in (extra, hint):
        if part:
            message += f": {part}"
    return cls(message)


# -- one handle per device context ----------------------------------------------------------------


class Operand:
    """A row-major matrix operand (or a batch of them) in device memory: its address `ptr`
    (bytes), leading dimension `ld` (elements between rows), `trans` (the logical matrix is the
    stored one transposed) and `batch_stride` (elements between batch entries; 0 broadcasts)."""

    __slots__ = ("ptr", "ld", "trans", "batch_stride")

    def __init__(self, ptr, ld, trans=False, batch_stride=0):
        self.ptr, self.ld, self.trans = int(ptr), int(ld), bool(trans)
        self.batch_stride = int(batch_stride)

    def __repr__(self):
        return (f"Operand(0x{self.ptr:x}, ld={self.ld}, trans={self.trans}, "
                f"batch_stride={self.batch_stride})")


def colmajor_args(m, n, k, a, b, c):
    """The column-major GEMM that computes the row-major C (m x n) = op(A) (m x k) @ op(B) (k x n).

    A row-major matrix with leading dimension ld is, read column-major with the same ld, its
    transpose. So C^T = op(B)^T @ op(A)^T is one column-major GEMM: cuBLAS's first operand is B
    (transposed iff B is), its second A, and its m, n are our n, m.

    Returns:
      dict of cuBLAS's arguments: transa, transb, m, n, k, A, lda, strideA, B, ldb, strideB,
      C, ldc, strideC.

    Example:
        colmajor_args(2, 3, 4, Operand(pa, 4), Operand(pb, 3), Operand(pc, 3))["transa"]  # OP_N
    """
    return dict(transa=OP_T if b.trans else OP_N, transb=OP_T if a.trans else OP_N,
                m=n, n=m, k=k, A=b.ptr, lda=b.ld, strideA=b.batch_stride,
                B=a.ptr, ldb=a.ld, strideB=a.batch_stride,
                C=c.ptr, ldc=c.ld, strideC=c.batch_stride)


class Blas:
    """cuBLAS on one device context: a handle, its stream and pointer mode (see the module
    docstring). `lib` is the ctypes library (or the emulator's, emu_blas.EmulatedCublas)."""

    def __init__(self, lib, device, where):
        self.lib = lib
        self.device = device
        self.where = where           # what explain() says: the library's path or "emulated"
        self._lock = threading.Lock()
        self._current()
        handle = ctypes.c_void_p()
        self._check(lib.cublasCreate_v2(ctypes.byref(handle)), "cublasCreate_v2")
        self.handle = handle
        self.stream = ctypes.c_void_p(getattr(device, "stream", None))
        self._check(lib.cublasSetStream_v2(handle, self.stream), "cublasSetStream_v2")
        self._check(lib.cublasSetPointerMode_v2(handle, POINTER_MODE_HOST),
                    "cublasSetPointerMode_v2")
        self._check(lib.cublasSetMathMode(handle, DEFAULT_MATH), "cublasSetMathMode")
        v = ctypes.c_int()
        self._check(lib.cublasGetVersion_v2(handle, ctypes.byref(v)), "cublasGetVersion_v2")
        self.version = v.value

    def _current(self):
        make = getattr(self.device, "_make_current", None)
        if make is not None:
            make()

    def _check(self, status, call, extra=""):
        if status != 0:
            raise error_for(status, call, self.lib, extra)

    @staticmethod
    def _names(dtype):
        name = np.dtype(dtype).name
        if name not in _BY_DTYPE:
            raise InvalidArgumentError(f"cuBLAS GEMM: dtype {name} is not float32 or float64")
        return _BY_DTYPE[name]

    def gemm(self, dtype, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        """cuBLAS's column-major `C = alpha op(A) op(B) + beta C` (Sgemm/Dgemm by dtype);
        a, b, c are device addresses. Asynchronous on the device's stream."""
        gemm, _, scalar = self._names(dtype)
        args = [int(transa), int(transb), int(m), int(n), int(k)]
        self._check_dims(args[2:] + [lda, ldb, ldc], gemm)
        with self._lock:
            self._current()
            self._check(getattr(self.lib, gemm)(
                self.handle, *args, ctypes.byref(scalar(alpha)), ctypes.c_void_p(a),
                int(lda), ctypes.c_void_p(b), int(ldb), ctypes.byref(scalar(beta)),
                ctypes.c_void_p(c), int(ldc)), gemm, f"m={m} n={n} k={k}")

    def gemm_strided_batched(self, dtype, transa, transb, m, n, k, alpha, a, lda, stride_a,
                             b, ldb, stride_b, beta, c, ldc, stride_c, batch):
        """cuBLAS's strided-batched column-major GEMM (strides in elements; 0 broadcasts)."""
        _, gemm, scalar = self._names(dtype)
        args = [int(transa), int(transb), int(m), int(n), int(k)]
        self._check_dims(args[2:] + [lda, ldb, ldc, batch], gemm)
        with self._lock:
            self._current()
            self._check(getattr(self.lib, gemm)(
                self.handle, *args, ctypes.byref(scalar(alpha)), ctypes.c_void_p(a), int(lda),
                ctypes.c_longlong(stride_a), ctypes.c_void_p(b), int(ldb),
                ctypes.c_longlong(stride_b), ctypes.byref(scalar(beta)), ctypes.c_void_p(c),
                int(ldc), ctypes.c_longlong(stride_c), int(batch)),
                gemm, f"m={m} n={n} k={k} batch={batch}")

    @staticmethod
    def _check_dims(values, call):
        for v in values:
            if not 0 <= int(v) <= MAX_DIM:
                raise InvalidArgumentError(f"{call}: {v} does not fit cuBLAS's int dimensions")

    def matmul(self, dtype, m, n, k, a, b, c, batch=1, alpha=1.0, beta=0.0):
        """Row-major `C = alpha op(A) @ op(B) + beta C` for `batch` matrices (Operands a, b, c:
        see `Operand`; the mapping to cuBLAS is `colmajor_args`). Nothing runs when m or n
        is 0; with k = 0, C = beta C."""
        if not (m and n and batch):
            return
        g = colmajor_args(m, n, k, a, b, c)
        if batch == 1:
            self.gemm(dtype, g["transa"], g["transb"], g["m"], g["n"], g["k"], alpha,
                      g["A"], g["lda"], g["B"], g["ldb"], beta, g["C"], g["ldc"])
        else:
            self.gemm_strided_batched(
                dtype, g["transa"], g["transb"], g["m"], g["n"], g["k"], alpha, g["A"],
                g["lda"], g["strideA"], g["B"], g["ldb"], g["strideB"], beta, g["C"], g["ldc"],
                g["strideC"], batch)

    def close(self):
        """Destroy the handle (once)."""
        with self._lock:
            if self.handle is not None:
                self._current()
                self._check(self.lib.cublasDestroy_v2(self.handle), "cublasDestroy_v2")
                self.handle = None


_blas_lock = threading.Lock()


def for_device(device):
    """The Blas of `device`'s context, made on first use: the emulator's emulated cuBLAS
    (`device.cublas_library()`), else libcublas (`load()`).

    Raises:
      UnavailableError: no libcublas, or cuBLAS cannot start in this context.

    Example:
        for_device(get_device()).where   # '/.../libcublas.so.12' or 'emulated cuBLAS ...'
    """
    blas = getattr(device, "_cublas", None)
    if blas is not None:
        return blas
    with _blas_lock:
        blas = getattr(device, "_cublas", None)
        if blas is None:
            own = getattr(device, "cublas_library", None)
            if own is not None:
                lib = own()
                blas = Blas(lib, device, getattr(lib, "where", "emulated cuBLAS"))
            else:
                lib = load()
                blas = Blas(lib, device, _lib_path)
            device._cublas = blas
        return blas
