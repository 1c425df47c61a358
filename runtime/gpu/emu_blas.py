"""The grid emulator's cuBLAS: the entry points cublas.py calls, with cuBLAS's own semantics, on
emulated device memory (EmulatorBuffer: host memory between canaries).

Same names and arguments as libcublas (ctypes values: handles by reference, alpha/beta through
pointers), so `cublas.Blas` drives it exactly as it drives the real library: handles
(`cublasCreate_v2` / `cublasDestroy_v2`; a destroyed or unknown handle is
CUBLAS_STATUS_NOT_INITIALIZED), the stream and pointer mode set on the handle (host: alpha and
beta are read from host memory; device: from emulated device memory), and GEMMs in column-major
order: `C = alpha op(A) op(B) + beta C` with op N / T / C (C = T for real types),
leading dimensions checked as cuBLAS checks them (lda >= max(1, rows of the stored A), ...:
CUBLAS_STATUS_INVALID_VALUE otherwise), a quick return when m or n is 0, C = beta C when k is 0,
and C not read when beta is 0 (so NaN in uninitialised C does not leak in). Each matrix's
extent (first to last element its lda reaches) must lie inside one live emulated buffer: an
access outside raises `OutOfRangeError` naming the call, the operand and the buffer, as the
canaries do for kernels. The product runs in the operands' precision (NumPy's matmul in
float32 / float64). `calls` logs each GEMM's arguments (tests check the argument mapping).

Example:
    lib = EmulatedCublas(device)
    h = ctypes.c_void_p(); lib.cublasCreate_v2(ctypes.byref(h))
"""
import ctypes

import numpy as np

from autograph_jit.errors import OutOfRangeError

SUCCESS, NOT_INITIALIZED, INVALID_VALUE, NOT_SUPPORTED = 0, 1, 7, 15
_NAMES = {0: b"CUBLAS_STATUS_SUCCESS", 1: b"CUBLAS_STATUS_NOT_INITIALIZED",
          7: b"CUBLAS_STATUS_INVALID_VALUE", 15: b"CUBLAS_STATUS_NOT_SUPPORTED"}
_OPS = (0, 1, 2)


def _value(arg):
    """The Python value of a ctypes argument (a ctypes instance, byref() or a plain int)."""
    obj = getattr(arg, "_obj", arg)
    return getattr(obj, "value", obj)


class EmulatedCublas:
    """cuBLAS for one EmulatorDevice (see the module docstring)."""

    where = "emulated cuBLAS (grid emulator)"

    def __init__(self, device):
        self.device = device
        self.handles = {}
        self._next = 0x1000
        self.calls = []

    # -- handles -------------------------------------------------------------------------------
    def cublasCreate_v2(self, handle_ref):
        self._next += 16
        self.handles[self._next] = {"stream": None, "pointer_mode": 0, "math_mode": 0}
        handle_ref._obj.value = self._next
        return SUCCESS

    def _state(self, handle):
        return self.handles.get(_value(handle))

    def cublasDestroy_v2(self, handle):
        return SUCCESS if self.handles.pop(_value(handle), None) is not None else NOT_INITIALIZED

    def cublasGetVersion_v2(self, handle, version_ref):
        if self._state(handle) is None:
            return NOT_INITIALIZED
        version_ref._obj.value = 0
        return SUCCESS

    def cublasSetStream_v2(self, handle, stream):
        st = self._state(handle)
        if st is None:
            return NOT_INITIALIZED
        st["stream"] = _value(stream)     # launches run in order: any stream is in order here
        return SUCCESS

    def cublasSetPointerMode_v2(self, handle, mode):
        st = self._state(handle)
        if st is None:
            return NOT_INITIALIZED
        if _value(mode) not in (0, 1):
            return INVALID_VALUE
        st["pointer_mode"] = _value(mode)
        return SUCCESS

    def cublasSetMathMode(self, handle, mode):
        st = self._state(handle)
        if st is None:
            return NOT_INITIALIZED
        if _value(mode) not in (0, 2):    # default / pedantic; the tensor-op modes: not here
            return NOT_SUPPORTED
        st["math_mode"] = _value(mode)
        return SUCCESS

    def cublasGetStatusName(self, status):
        return _NAMES.get(int(status), b"CUBLAS_STATUS_UNKNOWN")

    # -- GEMMs ---------------------------------------------------------------------------------
    def cublasSgemm_v2(self, *args):
        return self._gemm("cublasSgemm_v2", np.float32, args, batched=False)

    def cublasDgemm_v2(self, *args):
        return self._gemm("cublasDgemm_v2", np.float64, args, batched=False)

    def cublasSgemmStridedBatched(self, *args):
        return self._gemm("cublasSgemmStridedBatched", np.float32, args, batched=True)

    def cublasDgemmStridedBatched(self, *args):
        return self._gemm("cublasDgemmStridedBatched", np.float64, args, batched=True)

    def _scalar(self, st, arg, dtype):
        if st["pointer_mode"] == 0:
            return dtype(_value(arg._obj) if hasattr(arg, "_obj") else
                         ctypes.cast(arg, ctypes.POINTER(
                             ctypes.c_float if dtype is np.float32 else ctypes.c_double))[0])
        return self._matrix("alpha/beta", "scalar", _value(arg), 1, 1, 1, dtype)[0, 0]

    def _gemm(self, call, dtype, args, batched):
        if batched:
            (h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc,
             count) = args
        else:
            h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc = args
            sa = sb = sc = 0
            count = 1
        st = self._state(h)
        if st is None:
            return NOT_INITIALIZED
        ta, tb, m, n, k, lda, ldb, ldc, count = (int(_value(v)) for v in
                                                 (ta, tb, m, n, k, lda, ldb, ldc, count))
        sa, sb, sc = (int(_value(v)) for v in (sa, sb, sc))
        a_rows, a_cols = (m, k) if ta == 0 else (k, m)
        b_rows, b_cols = (k, n) if tb == 0 else (n, k)
        if (ta not in _OPS or tb not in _OPS or min(m, n, k, count) < 0
                or lda < max(1, a_rows) or ldb < max(1, b_rows) or ldc < max(1, m)):
            return INVALID_VALUE
        self.calls.append(dict(call=call, transa=ta, transb=tb, m=m, n=n, k=k, lda=lda,
                               ldb=ldb, ldc=ldc, strideA=sa, strideB=sb, strideC=sc,
                               batch=count, stream=st["stream"]))
        if m == 0 or n == 0 or count == 0:
            return SUCCESS
        al, be = self._scalar(st, alpha, dtype), self._scalar(st, beta, dtype)
        a0, b0, c0 = (int(_value(p) or 0) for p in (a, b, c))
        size = np.dtype(dtype).itemsize
        for i in range(count):
            cm = self._matrix(call, "C", c0 + i * sc * size, m, n, ldc, dtype)
            if k:
                am = self._matrix(call, "A", a0 + i * sa * size, a_rows, a_cols, lda, dtype)
                bm = self._matrix(call, "B", b0 + i * sb * size, b_rows, b_cols, ldb, dtype)
                prod = (am if ta == 0 else am.T) @ (bm if tb == 0 else bm.T)
                result = prod * al
            else:
                result = np.zeros((m, n), dtype)
            if be != 0:
                result = result + be * cm
            cm[...] = result.astype(dtype, copy=False)
        return SUCCESS

    def _matrix(self, call, what, ptr, rows, cols, ld, dtype):
        """The column-major rows x cols matrix at device address `ptr` with leading dimension
        `ld`, as a NumPy view into the emulated buffer holding it (checked to lie inside)."""
        size = np.dtype(dtype).itemsize
        if ptr % size:
            raise OutOfRangeError(f"{call}: operand {what} at 0x{ptr:x} is not aligned to its "
                                  f"{size}-byte elements")
        span = ((rows - 1) + (cols - 1) * ld + 1) * size
        buf = self._buffer(ptr, span)
        if buf is None:
            raise OutOfRangeError(
                f"{call}: operand {what} ({rows}x{cols}, ld {ld}) spans {span} bytes from "
                f"0x{ptr:x}, which is not inside one live device buffer "
                f"{self._near(ptr)} (check the leading dimension and batch stride)")
        start = ptr - buf.ptr
        base = buf.view()[start:start + span].view(dtype)
        return np.lib.stride_tricks.as_strided(base, shape=(rows, cols),
                                               strides=(size, ld * size))

    def _buffer(self, ptr, span):
        for buf in list(self.device._live):
            if not buf.freed and buf.ptr <= ptr and ptr + span <= buf.ptr + buf.nbytes:
                return buf
        return None

    def _near(self, ptr):
        for buf in list(self.device._live):
            if not buf.freed and buf.ptr <= ptr < buf.ptr + max(buf.nbytes, 1):
                return f"(it starts in {buf.label}, {buf.nbytes} bytes)"
        return "(no live buffer holds its start)"


__all__ = ["EmulatedCublas"]
