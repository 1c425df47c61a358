"""The cuBLAS path of the GPU matmul (k_matmul.py): which matmuls cuBLAS takes, the plan step
that calls it, and the explain() line of every matmul.

Which path (`choose`, reported per matmul by cf.explain()): $AUTOGRAPH_JIT_GPU_MATMUL
(runtime/gpu/cublas.py `mode()`) "kernel" always takes the generated kernel; "auto" (default)
and "cublas" take cuBLAS (a `LibraryCall` plan step on the kernels' stream: Sgemm/Dgemm, or the
strided-batched form for batches) when the dtype is float32/float64 and every operand is a
matrix cuBLAS can read (unit stride along rows or columns, a leading dimension, one stride
between batch entries, 0 for a broadcast operand); other matmuls take the generated kernel, with
the reason. A matmul fusion keeps its epilogue fused in the generated kernel under "auto" when
its GEMM is small (2·m·n·k·batch < EPILOGUE_SPLIT_FLOPS = 2^25): there one launch of the tiled
kernel costs less than cuBLAS plus a second launch; above it (and always under "cublas"), cuBLAS
writes a temporary and the epilogue runs as a map kernel over it (one extra read and write of
the m x n result, small against a GEMM of that size). cuBLAS is "present" when the device
gives a handle (the emulator's emulated cuBLAS always; libcublas on a CUDA device, loaded at
the first compile that asks); under "cublas" its absence is an UnavailableError, under "auto"
the generated kernel runs and explain() says why.
"""
from ...errors import UnavailableError
from ...runtime import gpu as _gpu
from ...runtime.gpu import cublas
from ..llvm.k_matmul import _mat_views
from .plan import LibraryCall

EPILOGUE_SPLIT_FLOPS = 2 ** 25


class Gemm:
    """One cuBLAS GEMM as the plan runs it: dims, dtype and each operand's layout (row-major
    leading dimension, transposed or not, batch stride) in elements; `call` is the cuBLAS
    function's name."""

    def __init__(self, dtype, m, n, k, batch, a, b, c):
        self.dtype, self.m, self.n, self.k, self.batch = dtype, m, n, k, batch
        self.a, self.b, self.c = a, b, c      # (ld, trans, batch stride)
        kind = "S" if dtype.name == "float32" else "D"
        self.call = (f"cublas{kind}gemmStridedBatched" if batch > 1 else f"cublas{kind}gemm_v2")


def _layout(rows, cols, rs, cs):
    """(trans, ld) of a logical rows x cols matrix with element strides (rs, cs) as a row-major
    matrix cuBLAS can read (trans: it is the stored matrix transposed), or None."""
    if rows == 0 or cols == 0:
        return False, max(1, cols)
    if (cols == 1 or cs == 1) and (rows == 1 or rs >= cols):
        return False, rs if rows > 1 else cols
    if (rows == 1 or rs == 1) and (cols == 1 or cs >= rows):
        return True, cs if cols > 1 else rows
    return None


def _batch_stride(batch, strides):
    """The one stride between consecutive entries of the flattened batch (0: broadcast), or
    None when the batch dims do not collapse to one stride."""
    stride, inner = None, 1
    for d, st in reversed(list(zip(batch, strides))):
        if d != 1:
            if st % inner or (stride is not None and st // inner != stride):
                return None
            stride = st // inner
        inner *= d
    return stride or 0


def _gemm_for(out, a, b_, a_spec, b_spec, ta, tb):
    """(Gemm, None), or (None, why cuBLAS cannot take this matmul)."""
    dt = out.dtype
    if dt.name not in ("float32", "float64"):
        return None, f"{dt.name}: the cuBLAS path takes float32 and float64"
    batch = out.shape[:-2]
    m, n = out.shape[-2], out.shape[-1]
    kdim = a_spec.shape[-2] if ta else a_spec.shape[-1]
    nbatch = 1
    for d in batch:
        nbatch *= d
    layouts = []
    for name, view, spec, t, rows, cols in (("A", a, a_spec, ta, m, kdim),
                                             ("B", b_, b_spec, tb, kdim, n)):
        bst, rs, cs = _mat_views(view, spec.shape, t, batch)
        lay = _layout(rows, cols, rs, cs)
        if lay is None:
            return None, (f"operand {name} (strides {list(view.strides)}) is not a matrix "
                          "cuBLAS reads: no unit stride along its rows or columns")
        stride = _batch_stride(batch, bst)
        if stride is None:
            return None, (f"operand {name}'s batch dims (strides {bst}) do not collapse to "
                          "one batch stride")
        layouts.append((lay[1], lay[0], stride))
    c_lay = _layout(m, n, out.strides[-2], out.strides[-1])
    c_stride = _batch_stride(batch, out.strides[:-2])
    if c_lay is None or c_lay[0] or c_stride is None:
        return None, f"the result's strides {list(out.strides)} are not row-major"
    if max([m, n, kdim, nbatch] + [lay[0] for lay in layouts] + [c_lay[1]]) > cublas.MAX_DIM:
        return None, "a dimension does not fit cuBLAS's 32-bit ints"
    return Gemm(dt, m, n, kdim, nbatch, layouts[0], layouts[1], (c_lay[1], False, c_stride)), None


def _library(lw):
    """(where, None) when the device gives a cuBLAS handle, else (None, why); asked once a
    plan. Without a device at compile time (prepare() before the first call): the emulator's
    cuBLAS for AUTOGRAPH_JIT_GPU=emulator, else whether libcublas loads."""
    got = getattr(lw, "_cublas_library", None)
    if got is None:
        device = getattr(lw, "device", None)
        try:
            if device is None and _gpu.default_kind() == "emulator":
                got = ("emulated cuBLAS (grid emulator)", None)
            elif device is None:
                cublas.load()
                got = (cublas.library_path(), None)
            else:
                got = (cublas.for_device(device).where, None)
        except UnavailableError as e:
            got = (None, str(getattr(e, "message", e)))
        except Exception as e:  # noqa: BLE001 (a handle that cannot start: reported, see below)
            got = (None, f"{type(e).__name__}: {e}")
        lw._cublas_library = got
    return got


def choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue):
    """(Gemm, why) for the cuBLAS path, or (None, why) for the generated kernel (see the module
    docstring)."""
    how = cublas.mode()
    if how == "kernel":
        return None, f"{cublas.MODE_ENV}=kernel"
    if not out.size:
        return None, "empty result: nothing to compute"
    gemm, why = _gemm_for(out, a, b_, a_spec, b_spec, ta, tb)
    if gemm is None:
        return None, why
    flops = 2.0 * gemm.m * gemm.n * gemm.k * gemm.batch
    if epilogue and how == "auto" and flops < EPILOGUE_SPLIT_FLOPS:
        return None, (f"{flops:.3g} flops < {EPILOGUE_SPLIT_FLOPS:.3g}: one fused launch costs "
                      "less than cuBLAS plus an epilogue launch")
    where, missing = _library(lw)
    if where is None:
        if how == "cublas":
            raise UnavailableError(
                None, None, f"{cublas.MODE_ENV}=cublas, but cuBLAS is not available: {missing}"
                f" Unset {cublas.MODE_ENV} (auto) or set it to 'kernel'.")
        return None, f"cuBLAS not available: {missing}"
    size = f"; {flops:.3g} flops >= {EPILOGUE_SPLIT_FLOPS:.3g}" if epilogue and how == "auto" \
        else ""
    return gemm, f"{cublas.MODE_ENV}={how}: {where}{size}"


def emit_cublas(lw, node, gemm, out, a, b_):
    """A LibraryCall step: out = a @ b through cuBLAS (row-major operands; cublas.Blas.matmul
    maps them to the column-major call)."""
    views = (a, b_, out)
    bufs = [v.ptr for v in views]
    offsets = [v.offset * v.dtype.size for v in views]
    np_dtype = gemm.dtype.np_dtype

    def run(device, dev):
        blas = cublas.for_device(device)
        ops = [cublas.Operand(dev[buf.index].ptr + off, *lay)
               for buf, off, lay in zip(bufs, offsets, (gemm.a, gemm.b, gemm.c))]
        blas.matmul(np_dtype, gemm.m, gemm.n, gemm.k, *ops, batch=gemm.batch)
    shape = f"{gemm.m}x{gemm.k} @ {gemm.k}x{gemm.n}" + (
        f", batch {gemm.batch}" if gemm.batch > 1 else "")
    lw.steps.append(LibraryCall(run, f"{gemm.call} ({shape} {gemm.dtype.name}) for "
                                     f"{lw.annotate(node)}"))


def new_kernels(lw, n0):
    """" name" of the kernel launched by the steps added since `n0` ("" when none was: an
    empty result)."""
    names = [s.kernel for s in lw.steps[n0:] if hasattr(s, "kernel")]
    return f" {names[0]}" if names else ""


def note(lw, node, out, a_spec, ta, text):
    """One explain() line a matmul: its shapes, where it is, and which path runs it."""
    notes = getattr(lw, "notes", None)
    if notes is None:
        notes = lw.notes = []
    where = f" at {node.location.short()}" if getattr(node, "location", None) else ""
    kdim = a_spec.shape[-2] if ta else a_spec.shape[-1]
    shape = "x".join(map(str, out.shape[:-2])) + " batch of " if out.shape[:-2] else ""
    label = node.attrs.get("label", "matmul") if node.op.name == "fusion" else "matmul"
    notes.append(f"gpu {label}{where} ({shape}{out.shape[-2]}x{kdim} @ {kdim}x{out.shape[-1]} "
                 f"{out.dtype.name}): {text}")


__all__ = ["Gemm", "choose", "emit_cublas", "note", "new_kernels", "EPILOGUE_SPLIT_FLOPS"]
