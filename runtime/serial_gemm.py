"""One-thread matrix products for eager `tf.matmul` (the `matmul` op's NumPy kernel).

Why: NumPy's OpenBLAS threads a product above ~262k multiply-adds, splitting it statically
between its threads, which busy-wait for each other. On a busy machine each wait lasts a
scheduler time slice: an eager 32x784 @ 784x128 took 21 ms at load 7 on 2 cores instead of
0.5 ms. The compiled backend runs such thin products on one thread per call
(codegen/llvm/k_matmul.py `_serial`, SciPy's OpenBLAS set to one thread: runtime/blas.py
`ag_matmul_serial_*`); eager products use the same rule (THIN_DIM, OPENBLAS_THREADED_MACS:
k_matmul imports them from here) and the same library. (The compiled product cuts the work into
slices that its threads claim, so its bits may differ from the eager product's by rounding.)

The rule (`use_serial`): float32/float64 matrices, min(m, n, k) < THIN_DIM and
OPENBLAS_THREADED_MACS < m*n*k <= MAX_SERIAL_MACS, m > 1 and n > 1 (NumPy takes gemv for a
vector). Larger products stay on NumPy's threaded OpenBLAS, where a second core pays off.

Results: OpenBLAS's threaded and one-thread drivers round differently (NumPy's own OpenBLAS with
one thread differs from its 2-thread result by ~1 ulp-scale amounts), so such a product's bits
were those of "NumPy with this machine's core count"; they are now those of one thread — equal
to NumPy under OPENBLAS_NUM_THREADS=1 and to the compiled backend's product.

The library: SciPy's OpenBLAS (`scipy_cblas_sgemm` / `_dgemm` of scipy.libs/libscipy_openblas*,
loaded with ctypes, without importing SciPy), set to one thread once per process as
runtime/blas.py `pin_serial_threads` does (the same library and the same decision; SciPy's own
functions then run on one thread too). Without that library (another SciPy build, MKL, ...)
`available()` is False and products stay on NumPy."""
import contextlib
import ctypes
import glob
import importlib.util
import os
import threading

import numpy as np

__all__ = ["THIN_DIM", "OPENBLAS_THREADED_MACS", "MAX_SERIAL_MACS", "use_serial", "matmul",
           "available", "scipy_openblas_paths", "open_scipy_openblas", "on_one_cpu"]

THIN_DIM = 64                       # as codegen/llvm/k_matmul.py THIN_DIM
OPENBLAS_THREADED_MACS = 65536 * 4  # OpenBLAS threads a gemm above this (k_matmul.py too)
MAX_SERIAL_MACS = 1 << 26           # above: ~2 ms on one core; NumPy's threads pay off

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_lock = threading.Lock()
_gemm = {}          # dtype -> ctypes function; {"none": True} when unavailable


def scipy_openblas_paths():
    """The OpenBLAS libraries a SciPy wheel ships (scipy.libs/), found without importing SciPy
    (runtime/blas.py takes SciPy's Fortran BLAS for compiled code from them too)."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return []
    libs = os.path.join(os.path.dirname(spec.submodule_search_locations[0]), "scipy.libs")
    return sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*")))


def open_scipy_openblas(path):
    """ctypes.CDLL(path) for SciPy's OpenBLAS, loaded (when this is its first load) without
    the thread pool it would start.

    Why: OpenBLAS starts one server thread per core when it loads, and each busy-waits ~0.1 s
    (~100 ms of CPU) for a first job before it sleeps. Every user of this library sets it to
    one thread at once (`_load`, runtime/blas.py `pin_serial_threads`), so those threads never
    get a job: on a 2-core machine the one it started took a core from the compile threads
    during a first compiled call (a cold first Keras `fit` step: process CPU 400-520 ms ->
    ~340 ms). OpenBLAS sizes its pool from the loading thread's CPU affinity, so the calling
    thread narrows its own affinity to one CPU while the library loads (no other thread is
    affected; the mask is restored). `scipy_openblas_set_num_threads(n)` can still raise it.
    """
    with on_one_cpu():
        return ctypes.CDLL(path)


@contextlib.contextmanager
def on_one_cpu():
    """The calling thread runs on one of its CPUs inside the block (where the OS lets it set
    a thread's affinity; elsewhere nothing changes)."""
    try:
        mask = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        mask = None
    try:
        if mask is not None and len(mask) > 1:
            try:
                os.sched_setaffinity(0, {min(mask)})
            except OSError:
                mask = None
        yield
    finally:
        if mask is not None and len(mask) > 1:
            try:
                os.sched_setaffinity(0, mask)
            except OSError:
                pass


def _load():
    if _gemm:
        return _gemm
    with _lock:
        if _gemm:
            return _gemm
        try:
            lib = open_scipy_openblas([path for path in scipy_openblas_paths()  # (LP64)
                                       if "openblas64" not in os.path.basename(path)][0])
            set_threads = lib.scipy_openblas_set_num_threads
            fns = {np.dtype(np.float32): (lib.scipy_cblas_sgemm, ctypes.c_float),
                   np.dtype(np.float64): (lib.scipy_cblas_dgemm, ctypes.c_double)}
        except (AttributeError, IndexError, OSError, TypeError):
            _gemm["none"] = True
            return _gemm
        set_threads.argtypes = [ctypes.c_int]
        set_threads(1)
        i, p = ctypes.c_int, ctypes.c_void_p
        ready = {}
        for dt, (fn, scalar) in fns.items():
            fn.argtypes = [i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i]
            fn.restype = None
            ready[dt] = fn
        _gemm.update(ready)     # at once: a reader without the lock sees all or nothing
        return _gemm


def available():
    """Whether the one-thread BLAS could be loaded."""
    return "none" not in _load()


def use_serial(a, b):
    """Whether `a @ b` (NumPy 2-D arrays, already transposed as wanted) runs here."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or \
            a.dtype not in (np.float32, np.float64):
        return False
    m, k = a.shape
    n = b.shape[1]
    macs = m * n * k
    return (m > 1 and n > 1 and min(m, n, k) < THIN_DIM
            and OPENBLAS_THREADED_MACS < macs <= MAX_SERIAL_MACS and available())


def _operand(x):
    """(array, transposed flag, leading dimension) for CBLAS row-major: a C-contiguous matrix
    as is, a Fortran-contiguous one as the transpose of its C-contiguous storage, else a
    contiguous copy."""
    item = x.itemsize
    if x.strides[1] == item and x.strides[0] >= x.shape[1] * item:
        return x, _NO_TRANS, max(x.strides[0] // item, 1)
    if x.strides[0] == item and x.strides[1] >= x.shape[0] * item:
        return x, _TRANS, max(x.strides[1] // item, 1)
    x = np.ascontiguousarray(x)
    return x, _NO_TRANS, max(x.shape[1], 1)


def matmul(a, b):
    """`a @ b` on one thread (call only when `use_serial(a, b)`): a new C-contiguous array.

    >>> import numpy as np
    >>> from autograph_jit.runtime.serial_gemm import matmul
    >>> a = np.ones((40, 100), np.float32); b = np.ones((100, 80), np.float32)
    >>> float(matmul(a, b)[0, 0])
    100.0
    """
    m, k = a.shape
    n = b.shape[1]
    a, ta, lda = _operand(a)
    b, tb, ldb = _operand(b)
    c = np.empty((m, n), a.dtype)
    _load()[a.dtype](_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb,
                   0.0, c.ctypes.data, max(n, 1))
    return c
