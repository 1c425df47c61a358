"""GPU matmul: cuBLAS where it applies and is present, else a generated shared-memory tiled
kernel (TILE x TILE threads a block, one output element a thread), batched (grid z), transposes
and broadcast batch dims through strides, and matmul fusion nodes' elementwise epilogue (bias,
activation) applied to each element before its store.

Each step of the generated kernel's K loop stages a TILE x TILE tile of A and of B in shared
memory (zero-padded at the edges), synchronises, and accumulates TILE products (`contract`:
fma); the sum over K runs in order, one accumulator per element, so results are deterministic.

Which path (`_choose`, reported per matmul by cf.explain()): $AUTOGRAPH_JIT_GPU_MATMUL
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
from llvmlite import ir

from ...errors import UnavailableError
from ...runtime import gpu as _gpu
from ...runtime.gpu import cublas
from ..llvm.emit import I64, i64, reg_type
from ..llvm.k_matmul import _mat_views
from ..llvm.scalar import ScalarEmitter, emit_scalar
from .kernel import GpuKernel
from .k_map import emit_map, unravel
from .plan import LibraryCall

TILE = 16
EPILOGUE_SPLIT_FLOPS = 2 ** 25


def emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=None, annotation=""):
    batch = out.shape[:-2]
    m, n = out.shape[-2], out.shape[-1]
    kdim = a_spec.shape[-2] if ta else a_spec.shape[-1]
    if not out.size:
        return
    nbatch = 1
    for d in batch:
        nbatch *= d
    a_b, a_r, a_c = _mat_views(a, a_spec.shape, ta, batch)
    b_b, b_r, b_c = _mat_views(b_, b_spec.shape, tb, batch)
    ep_ins = epilogue[0] if epilogue else []
    k = GpuKernel(lw.module, lw.fresh_name("matmul"), 3 + len(ep_ins), annotation)
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    bld = k.b
    dt = out.dtype
    ty = reg_type(dt)
    fl = dt.is_floating
    zero = ir.Constant(ty, 0.0 if fl else 0)
    sa, slot_a = k.shared_array(ty, TILE * TILE, "a")
    sb, slot_b = k.shared_array(ty, TILE * TILE, "b")
    tx = bld.zext(k.sreg("tid", "x"), I64)
    ty_ = bld.zext(k.sreg("tid", "y"), I64)
    col = bld.add(bld.mul(bld.zext(k.sreg("ctaid", "x"), I64), i64(TILE)), tx)
    row = bld.add(bld.mul(bld.zext(k.sreg("ctaid", "y"), I64), i64(TILE)), ty_)
    bz = bld.zext(k.sreg("ctaid", "z"), I64)
    bidx = unravel(bld, bz, batch)
    a_base = k.linear(a.offset, a_b, bidx)
    b_base = k.linear(b_.offset, b_b, bidx)
    acc = k.alloca(ty)
    bld.store(zero, acc)
    row_ok = bld.icmp_signed("<", row, i64(m))
    col_ok = bld.icmp_signed("<", col, i64(n))

    def mul(x, y):
        return bld.fmul(x, y, flags=["contract"]) if fl else bld.mul(x, y)

    def add(x, y):
        return bld.fadd(x, y, flags=["contract"]) if fl else bld.add(x, y)

    def staged(ok, base, r, c, rs, cs, ptr, view):
        lin = bld.add(base, bld.add(bld.mul(r, i64(rs)), bld.mul(c, i64(cs))))
        lin = bld.select(ok, lin, i64(view.offset))
        v = k.load(ptr, dt, lin)
        return bld.select(ok, v, zero)

    def tile(t):
        t0 = bld.mul(t, i64(TILE))
        ka = bld.add(t0, tx)
        ok_a = bld.and_(row_ok, bld.icmp_signed("<", ka, i64(kdim)))
        va = staged(ok_a, a_base, row, ka, a_r, a_c, k.ptrs[1], a)
        bld.store(va, k.shared_ptr(sa, slot_a, bld.add(bld.mul(ty_, i64(TILE)), tx)))
        kb = bld.add(t0, ty_)
        ok_b = bld.and_(col_ok, bld.icmp_signed("<", kb, i64(kdim)))
        vb = staged(ok_b, b_base, kb, col, b_r, b_c, k.ptrs[2], b_)
        bld.store(vb, k.shared_ptr(sb, slot_b, bld.add(bld.mul(ty_, i64(TILE)), tx)))
        k.barrier()

        def inner(kk):
            x = bld.load(k.shared_ptr(sa, slot_a, bld.add(bld.mul(ty_, i64(TILE)), kk)), typ=ty)
            y = bld.load(k.shared_ptr(sb, slot_b, bld.add(bld.mul(kk, i64(TILE)), tx)), typ=ty)
            bld.store(add(bld.load(acc, typ=ty), mul(x, y)), acc)
        k.loops.range(TILE, inner, name="kk")
        k.barrier()
    k.loops.range(-(-kdim // TILE), tile, name="t")
    with bld.if_then(bld.and_(row_ok, col_ok)):
        c = bld.load(acc, typ=ty)
        idx = list(bidx) + [row, col]
        if epilogue:
            vals = []
            for j, v in enumerate(ep_ins):
                st = v.broadcast_strides(out.shape)
                vals.append(k.load(k.ptrs[3 + j], v.dtype, k.linear(v.offset, st, idx)))
            c = epilogue[1](s, c, vals)
        k.store(c, k.ptrs[0], dt, k.linear(out.offset, out.strides, idx))
    grid = (-(-n // TILE), -(-m // TILE), nbatch)
    lw.launch(k, grid=grid, block=(TILE, TILE, 1), views=[out, a, b_] + list(ep_ins))


def lower_matmul(lw, node):
    a_v, b_v = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    a, b_, a_spec, b_spec = lw.view(a_v), lw.view(b_v), lw.spec(a_v), lw.spec(b_v)
    ta, tb = node.attrs["transpose_a"], node.attrs["transpose_b"]
    gemm, why = _choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=False)
    n0 = len(lw.steps)
    if gemm is not None:
        emit_cublas(lw, node, gemm, out, a, b_)
        _note(lw, node, out, a_spec, ta, f"cuBLAS {gemm.call} ({why})")
    else:
        emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, annotation=lw.annotate(node))
        _note(lw, node, out, a_spec, ta, f"generated kernel{_new_kernels(lw, n0)} ({why})")
    lw.bind(node.outputs[0], out)


def lower_fusion_matmul(lw, node):
    """Fusion kind "matmul": body = matmul on two params, then elementwise epilogue nodes."""
    body = node.attrs["body"]
    mm = body.nodes[0]
    params = {p.id: k for k, p in enumerate(body.data_params)}
    ins = [lw.view(v) for v in node.data_inputs]
    specs = [lw.spec(v) for v in node.data_inputs]
    a_k, b_k = params[mm.inputs[0].id], params[mm.inputs[1].id]
    out = lw.alloc_for(node.data_outputs[0])
    used = {v.id for n_ in body.nodes[1:] for v in n_.data_inputs}
    ep_params = [p for p in body.data_params if p.id in used]
    ep_ins = [ins[params[p.id]] for p in ep_params]
    mm_out = mm.outputs[0]

    def compute(s, c, vals):
        env = {p.id: v for p, v in zip(ep_params, vals)}
        env[mm_out.id] = c
        for n_ in body.nodes[1:]:
            dts = [lw.spec(v).dtype for v in n_.data_inputs]
            od = lw.spec(n_.outputs[0]).dtype
            if n_.op.name == "constant" or lw.spec(n_.outputs[0]).value is not None:
                env[n_.outputs[0].id] = s.const(od, lw.spec(n_.outputs[0]).value)
                continue
            env[n_.outputs[0].id] = emit_scalar(s, n_.op.name, dts, od,
                                                [env[v.id] for v in n_.data_inputs], n_.attrs)
        return env[body.data_results[0].id]
    a, b_, a_spec, b_spec = ins[a_k], ins[b_k], specs[a_k], specs[b_k]
    ta, tb = mm.attrs["transpose_a"], mm.attrs["transpose_b"]
    annotation = lw.annotate(node, node.attrs.get("label", "matmul"))
    gemm, why = _choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=True)
    n0 = len(lw.steps)
    if gemm is not None:
        tmp = lw.alloc_spec(out.dtype, out.shape)
        emit_cublas(lw, node, gemm, tmp, a, b_)
        emit_map(lw, "matmul_epilogue", [out], [tmp] + ep_ins,
                 lambda s, vals: [compute(s, vals[0], vals[1:])], annotation, lw.where(node))
        _note(lw, node, out, a_spec, ta, f"cuBLAS {gemm.call}, then the epilogue as map "
              f"kernel{_new_kernels(lw, n0 + 1)} ({why})")
    else:
        emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=(ep_ins, compute),
                    annotation=annotation)
        _note(lw, node, out, a_spec, ta, f"generated kernel{_new_kernels(lw, n0)} with the "
              f"epilogue fused ({why})")
    lw.bind(node.data_outputs[0], out)


# -- cuBLAS ---------------------------------------------------------------------------------------


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


def _choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue):
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


def _new_kernels(lw, n0):
    """" name" of the kernel launched by the steps added since `n0` ("" when none was: an
    empty result)."""
    names = [s.kernel for s in lw.steps[n0:] if hasattr(s, "kernel")]
    return f" {names[0]}" if names else ""


def _note(lw, node, out, a_spec, ta, text):
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


__all__ = ["emit_matmul", "emit_cublas", "lower_matmul", "lower_fusion_matmul", "TILE",
           "EPILOGUE_SPLIT_FLOPS", "Gemm"]
