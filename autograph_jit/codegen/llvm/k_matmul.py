"""matmul (batched, broadcast batch dims, transpose flags) as a loop nest, and matmul fusions.

Loop order follows the memory layout: when B's rows are contiguous (`i, k, j`: C[i, :] +=
A[i, k] * B[k, :], vectorized along j), otherwise a dot product per element (`i, j, k` with a
reassociable accumulator, vectorized along k). A matmul fusion node runs its elementwise epilogue
(bias add, activation) on each finished row while it is still in cache.
"""
from llvmlite import ir

from .emit import Kernel, View, contiguous_strides, i64, reg_type
from .scalar import ScalarEmitter


def _mat_views(view, shape, transpose, batch_shape):
    """(batch strides aligned to batch_shape, row stride, col stride) of the logical matrix."""
    r = len(shape)
    st = view.strides
    rows, cols = (st[r - 1], st[r - 2]) if transpose else (st[r - 2], st[r - 1])
    bshape = shape[:-2]
    lead = len(batch_shape) - len(bshape)
    bst = [0] * lead + [0 if d == 1 else s for d, s in zip(bshape, st[:-2])]
    return bst, rows, cols


def emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=None, annotation=""):
    """out[...] = a @ b (then out = epilogue(out, ...) elementwise per row when given)."""
    batch = out.shape[:-2]
    m, n = out.shape[-2], out.shape[-1]
    kdim = a_spec.shape[-2] if ta else a_spec.shape[-1]
    a_b, a_r, a_c = _mat_views(a, a_spec.shape, ta, batch)
    b_b, b_r, b_c = _mat_views(b_, b_spec.shape, tb, batch)
    o_st = out.strides
    o_b = list(o_st[:-2])
    ep_ins = epilogue[0] if epilogue else []
    k = Kernel(lw.module, lw.fresh_name("matmul"), 3 + len(ep_ins), annotation)
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    bld = k.b
    dt = out.dtype
    ty = reg_type(dt)
    fl = dt.is_floating
    zero = ir.Constant(ty, 0.0 if fl else 0)
    acc = k.alloca(ty)

    def mul(x, y):
        return bld.fmul(x, y, flags=["contract"]) if fl else bld.mul(x, y)

    def add(x, y, reassoc=False):
        if fl:
            return bld.fadd(x, y, flags=["contract", "reassoc"] if reassoc else ["contract"])
        return bld.add(x, y)

    def batch_body(bidx):
        a0 = k.linear(0, a_b, bidx)
        b0 = k.linear(0, b_b, bidx)
        c0 = k.linear(0, o_b, bidx)

        def row(i):
            arow = bld.add(a0, bld.mul(i, i64(a_r)))
            crow = bld.add(c0, bld.mul(i, i64(o_st[-2])))
            if b_c == 1 or n == 1:  # i, k, j
                def zero_j(j):
                    k.store(zero, k.ptrs[0], dt, bld.add(crow, j))
                k.loops.range(n, zero_j, name="z")

                def kk(kx):
                    av = k.load(k.ptrs[1], dt, bld.add(arow, bld.mul(kx, i64(a_c))))
                    brow = bld.add(b0, bld.mul(kx, i64(b_r)))

                    def jj(j):
                        lin = bld.add(crow, j)
                        bv = k.load(k.ptrs[2], dt, bld.add(brow, bld.mul(j, i64(b_c))))
                        k.store(add(k.load(k.ptrs[0], dt, lin), mul(av, bv)), k.ptrs[0], dt, lin)
                    k.loops.range(n, jj, name="j")
                k.loops.range(kdim, kk, name="k")
            else:  # i, j, k: a dot product per element
                def jj(j):
                    bcol = bld.add(b0, bld.mul(j, i64(b_c)))
                    bld.store(zero, acc)

                    def kk(kx):
                        av = k.load(k.ptrs[1], dt, bld.add(arow, bld.mul(kx, i64(a_c))))
                        bv = k.load(k.ptrs[2], dt, bld.add(bcol, bld.mul(kx, i64(b_r))))
                        bld.store(add(bld.load(acc), mul(av, bv), reassoc=True), acc)
                    k.loops.range(kdim, kk, name="k")
                    k.store(bld.load(acc), k.ptrs[0], dt, bld.add(crow, j))
                k.loops.range(n, jj, name="j")
            if epilogue:
                _epilogue_row(k, s, epilogue, out, crow, n, batch, bidx, i)
        k.loops.range(m, row, name="i")
    blas = _blas_form(dt, m, n, kdim, (a_r, a_c), (b_r, b_c))
    if blas is not None:
        _emit_blas(k, s, blas, dt, m, n, kdim, a_b, b_b, o_b, o_st, batch, epilogue, out)
    else:
        k.loops.nest(batch, batch_body, name="b")
    lw.call_kernel(k, [out, a, b_] + list(ep_ins))


BLAS_MIN_FLOPS = 4096  # below this a loop nest beats the call overhead


def _blas_form(dt, m, n, kdim, a_st, b_st):
    """(trans_a, lda, trans_b, ldb) when both operands have a unit stride BLAS can use."""
    if dt.name not in ("float32", "float64") or m * n * max(kdim, 1) < BLAS_MIN_FLOPS:
        return None
    try:
        from ...runtime import blas
        blas.install()
        _single_threaded_blas()
    except Exception:  # SciPy missing or unusable: the loop nest is always correct
        return None
    forms = []
    # BLAS reads a dense panel: the leading dimension must cover a whole row (a broadcast view
    # with stride 0, or overlapping rows, would make it read past the buffer)
    for (rows, cols), ncols, nrows in ((a_st, kdim, m), (b_st, n, kdim)):
        if (cols == 1 or ncols == 1) and (rows >= ncols or nrows == 1):
            forms.append((False, max(rows if nrows > 1 else ncols, ncols, 1)))
        elif (rows == 1 or nrows == 1) and (cols >= nrows or ncols == 1):
            forms.append((True, max(cols if ncols > 1 else nrows, nrows, 1)))
        else:
            return None
        if forms[-1][1] >= 2 ** 31 or max(m, n, kdim) >= 2 ** 31:
            return None
    return forms[0] + forms[1]


_threads_set = []

# Products with at least this many multiply-adds call BLAS with every core. Below it, waking
# BLAS's threads costs more than they gain in a real step: a 784-100-10 MLP Adam step at batch 50
# (products of 3.9M) took 1.5 ms with them against 0.9 ms without. Above it, one thread leaves the
# machine idle: 256^3 and up ran 4-5x slower than NumPy's threaded sgemm.
THREADED_BLAS_MIN_MACS = 4_000_000
_SET_THREADS = "ag_blas_set_threads"


def _single_threaded_blas():
    """SciPy's OpenBLAS on one thread by default (compiled steps make many small/medium
    products); `ag_blas_set_threads` is exported to compiled code, which raises the count around
    a large product and lowers it again afterwards."""
    if _threads_set:
        return
    _threads_set.append(None)
    import ctypes
    import glob
    import os

    import llvmlite.binding as llvm
    import scipy
    libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), "scipy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas*.so*")):
        fn = getattr(ctypes.CDLL(path), "scipy_openblas_set_num_threads", None)
        if fn is not None:
            fn(1)
            llvm.add_symbol(_SET_THREADS, ctypes.cast(fn, ctypes.c_void_p).value)
            _threads_set[0] = fn


def _blas_threads_for(macs):
    """How many BLAS threads a product of `macs` multiply-adds gets (1: leave the default)."""
    from .parallel import host_threads
    if macs < THREADED_BLAS_MIN_MACS or not _threads_set or _threads_set[0] is None:
        return 1
    return max(1, host_threads())


def _emit_blas(k, s, form, dt, m, n, kdim, a_b, b_b, o_b, o_st, batch, epilogue, out):
    from ...runtime import blas
    ta, lda, tb, ldb = form
    bld = k.b
    name = "ag_matmul_f32" if dt.name == "float32" else "ag_matmul_f64"
    fn = blas.declare(k.fn.module, name)
    ty = reg_type(dt)
    from .emit import I1, storage_type

    def gemm(bidx):
        pa = bld.gep(k.ptrs[1], [k.linear(0, a_b, bidx)], source_etype=storage_type(dt))
        pb = bld.gep(k.ptrs[2], [k.linear(0, b_b, bidx)], source_etype=storage_type(dt))
        c0 = k.linear(0, o_b, bidx)
        pc = bld.gep(k.ptrs[0], [c0], source_etype=storage_type(dt))
        bld.call(fn, [ir.Constant(I1, int(ta)), ir.Constant(I1, int(tb)), i64(m), i64(n),
                      i64(kdim), ir.Constant(ty, 1.0), pa, i64(lda), pb, i64(ldb),
                      ir.Constant(ty, 0.0), pc, i64(o_st[-2] if len(o_st) >= 2 else n)])
        if epilogue:
            def row(i):
                crow = bld.add(c0, bld.mul(i, i64(o_st[-2])))
                _epilogue_row(k, s, epilogue, out, crow, n, batch, bidx, i)
            k.loops.range(m, row, name="i")
    batches = 1
    for d in batch:
        batches *= d
    threads = _blas_threads_for(m * n * kdim * batches)
    if threads > 1:
        set_threads = _declare_set_threads(k.fn.module)
        bld.call(set_threads, [ir.Constant(ir.IntType(32), threads)])
    k.loops.nest(batch, gemm, name="b")
    if threads > 1:
        bld.call(set_threads, [ir.Constant(ir.IntType(32), 1)])


def _declare_set_threads(module):
    fn = module.globals.get(_SET_THREADS)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.IntType(32)]),
                         name=_SET_THREADS)
    return fn


def _epilogue_row(k, s, epilogue, out, crow, n, batch, bidx, i):
    """Apply the fusion epilogue to row i of out: ins broadcast to out's shape."""
    ins, compute = epilogue
    bld = k.b
    full_idx_prefix = list(bidx) + [i]

    def jj(j):
        lin = bld.add(crow, j)
        c = k.load(k.ptrs[0], out.dtype, lin)
        vals = []
        for t, v in enumerate(ins):
            st = v.broadcast_strides(out.shape)
            vals.append(k.load(k.ptrs[3 + t], v.dtype, k.linear(0, st, full_idx_prefix + [j])))
        k.store(compute(s, c, vals), k.ptrs[0], out.dtype, lin)
    k.loops.range(n, jj, name="e")


def lower_matmul(lw, node):
    a_v, b_v = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    emit_matmul(lw, node, out, lw.view(a_v), lw.view(b_v), lw.spec(a_v), lw.spec(b_v),
                node.attrs["transpose_a"], node.attrs["transpose_b"],
                annotation=lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_fusion_matmul(lw, node):
    """Fusion kind "matmul": body = matmul on two params, then elementwise epilogue nodes."""
    from .scalar import emit_scalar
    body = node.attrs["body"]
    mm = body.nodes[0]
    params = {p.id: k for k, p in enumerate(body.data_params)}
    ins = [lw.view(v) for v in node.data_inputs]
    specs = [lw.spec(v) for v in node.data_inputs]
    a_k, b_k = params[mm.inputs[0].id], params[mm.inputs[1].id]
    out = lw.alloc_for(node.data_outputs[0])
    # the epilogue reads every param except the matmul operands, by position
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
    emit_matmul(lw, node, out, ins[a_k], ins[b_k], specs[a_k], specs[b_k],
                mm.attrs["transpose_a"], mm.attrs["transpose_b"],
                epilogue=(ep_ins, compute),
                annotation=lw.annotate(node, node.attrs.get("label", "matmul")))
    lw.bind(node.data_outputs[0], out)


__all__ = ["lower_matmul", "lower_fusion_matmul"]
