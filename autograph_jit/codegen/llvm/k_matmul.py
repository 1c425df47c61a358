"""matmul (batched, broadcast batch dims, transpose flags) as BLAS calls or a loop nest, and
matmul fusions.

float32/float64 products of at least BLAS_MIN_FLOPS multiply-adds whose operands have a unit
stride call `ag_matmul_f32/_f64` (runtime/blas.py): NumPy's own OpenBLAS where NumPy ships one,
so a compiled product is NumPy's `a @ b` — the same kernels (results equal eager's bit for bit),
the same speed, and the same thread choice, made by OpenBLAS per call (products above ~262k
multiply-adds run on every core) in the one BLAS thread pool the process shares with NumPy.
Nothing here sets a thread count: OPENBLAS_NUM_THREADS (read when NumPy loads) limits both.
The exception: a product OpenBLAS would thread that is thin in some dimension (THIN_DIM) runs
as slices claimed by ag_parallel_for's threads, each a one-thread `ag_matmul_serial_*` call
(batched ones: one such call per matrix) — see THIN_DIM for why.

Smaller products, other dtypes and other layouts run as a loop nest whose order follows the
memory layout: when B's rows are contiguous (`i, k, j`: C[i, :] += A[i, k] * B[k, :], vectorized
along j), otherwise a dot product per element (`i, j, k` with a reassociable accumulator,
vectorized along k). A matmul fusion node runs its elementwise epilogue (bias add, activation)
on each finished row while it is still in cache.
"""
from llvmlite import ir

from .emit import Kernel, i64, reg_type, I1, storage_type
from .scalar import ScalarEmitter, emit_scalar
from .symdim import Dim, SymbolicUnsupported
from ...runtime import blas, blas as blas_rt
from ...runtime.serial_gemm import OPENBLAS_THREADED_MACS, THIN_DIM
from .chunks import parallel_chunks


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
    if isinstance(n, Dim) or (isinstance(m, Dim) and isinstance(kdim, Dim)):
        raise SymbolicUnsupported("a matmul with columns of the batch dim")
    if isinstance(m, Dim) or isinstance(kdim, Dim):
        return _emit_symbolic(lw, k, s, node, dt, m, n, kdim, (a_r, a_c), (b_r, b_c), o_st,
                                   batch, epilogue, out, batch_body, [out, a, b_] + list(ep_ins))
    blas = _blas_form(dt, m, n, kdim, (a_r, a_c), (b_r, b_c))
    if blas is not None:
        _emit_blas(k, s, blas, dt, m, n, kdim, a_b, b_b, o_b, o_st, batch, epilogue, out)
    else:
        k.loops.nest(batch, batch_body, name="b")
    lw.call_kernel(k, [out, a, b_] + list(ep_ins))


BLAS_MIN_FLOPS = 4096  # below this a loop nest beats the call overhead
_DIM_GUESS = 1 << 20   # a symbolic dim, for choosing a BLAS form valid for any size


def _guess(d):
    return _DIM_GUESS if isinstance(d, Dim) else d


def _emit_symbolic(lw, k, s, node, dt, m, n, kdim, a_st, b_st, o_st, batch, epilogue, out,
                   batch_body, views):
    """A product whose row count m or inner dim kdim is the run-time batch size (symdim.py,
    e.g. x @ w forward and x^T @ dy backward): the choice the static path makes at compile
    time is made per call: a loop nest below BLAS_MIN_FLOPS (a zero size included), thin
    products above OPENBLAS_THREADED_MACS as claimed one-thread slices, else one BLAS call
    (OpenBLAS picks its threads)."""
    form = _blas_form(dt, _guess(m), n, _guess(kdim), a_st, b_st)
    if form is None or batch:
        batch_body([])
        lw.call_kernel(k, views)
        return
    bld = k.b
    macs = bld.mul(bld.mul(k.dim(m), i64(n)), k.dim(kdim))
    small = bld.icmp_signed("<", macs, i64(BLAS_MIN_FLOPS))
    ta, lda, tb, ldb = form
    sfx = "f32" if dt.name == "float32" else "f64"
    with bld.if_else(small) as (loops, products):
        with loops:
            batch_body([])
        with products:
            static = [d for d in (m, n, kdim) if not isinstance(d, Dim)]
            thin = bld.icmp_signed("<", k.dim(m if isinstance(m, Dim) else kdim), i64(THIN_DIM))
            if min(static) < THIN_DIM:
                thin = ir.Constant(ir.IntType(1), 1)
            serial = bld.and_(bld.icmp_signed(">", macs, i64(OPENBLAS_THREADED_MACS)), thin)
            with bld.if_else(serial) as (sliced, whole):
                with sliced:
                    fn = blas_rt.declare(k.fn.module, f"ag_matmul_serial_{sfx}")
                    if isinstance(kdim, Dim):  # (slices would read n in outlined code)
                        _emit_blas(k, s, form, dt, m, n, kdim, [], [], [], o_st, batch,
                                   epilogue, out, serial=True)
                    else:
                        _claimed_slices(k, s, fn, ta, tb, lda, ldb, dt, m, n, kdim, o_st,
                                        batch, epilogue, out, by_rows=True)
                with whole:
                    _emit_blas(k, s, form, dt, m, n, kdim, [], [], [], o_st, batch, epilogue,
                               out, threaded=True)
    lw.call_kernel(k, views)


def _blas_form(dt, m, n, kdim, a_st, b_st):
    """(trans_a, lda, trans_b, ldb) when both operands have a unit stride BLAS can use."""
    if dt.name not in ("float32", "float64") or m * n * max(kdim, 1) < BLAS_MIN_FLOPS:
        return None
    try:
        blas.check_available(["ag_matmul_f32"])  # (installed when the module is linked)
    except Exception:  # no usable BLAS: the loop nest is always correct
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


# OPENBLAS_THREADED_MACS and THIN_DIM (runtime/serial_gemm.py, shared with eager matmul): a
# product that thin in some dimension (a batch of 50 in a training step) is not left to
# OpenBLAS's threads: it splits a product statically and its threads busy-wait for each other,
# so on a busy machine each wait lasts a scheduler time slice. A 784-100-10 MLP Adam step at
# batch 50 (two 3.9M multiply-add products, each thin in one dimension) took 0.5 ms with them on
# 2 idle cores but medians of 6.7-57 ms at load average 4 (perf: 88% of the time in OpenBLAS's
# waits), and NumPy's own 50x784 @ 784x100 took 31 ms there. Such a product runs instead as
# slices of one-thread products that ag_parallel_for's threads claim (_claimed_slices): a thread
# that is not running claims nothing (one preempted inside a slice still delays the caller once),
# so a busy machine costs about one thread's speed (step 0.81-0.84 ms against 0.85-0.87 ms on
# one thread, at load 2.4 on 2 cores: no core was free).


def _serial(m, n, kdim):
    """Whether a product of [m, kdim] @ [kdim, n] runs on the serial wrappers."""
    return min(m, n, kdim) < THIN_DIM and m * n * kdim > OPENBLAS_THREADED_MACS


def _emit_blas(k, s, form, dt, m, n, kdim, a_b, b_b, o_b, o_st, batch, epilogue, out,
               threaded=False, serial=False):
    """threaded / serial: force the wrapper (symbolic sizes, decided at run time)."""
    ta, lda, tb, ldb = form
    bld = k.b
    sfx = "f32" if dt.name == "float32" else "f64"
    serial = serial or (not threaded and _serial(m, n, kdim))
    fn = blas.declare(k.fn.module, f"ag_matmul_serial_{sfx}" if serial else f"ag_matmul_{sfx}")
    ty = reg_type(dt)

    def gemm(bidx):
        pa = bld.gep(k.ptrs[1], [k.linear(0, a_b, bidx)], source_etype=storage_type(dt))
        pb = bld.gep(k.ptrs[2], [k.linear(0, b_b, bidx)], source_etype=storage_type(dt))
        c0 = k.linear(0, o_b, bidx)
        pc = bld.gep(k.ptrs[0], [c0], source_etype=storage_type(dt))
        bld.call(fn, [ir.Constant(I1, int(ta)), ir.Constant(I1, int(tb)), k.dim(m), i64(n),
                      k.dim(kdim), ir.Constant(ty, 1.0), pa, i64(lda), pb, i64(ldb),
                      ir.Constant(ty, 0.0), pc, i64(o_st[-2] if len(o_st) >= 2 else n)])
        if epilogue:
            def row(i):
                crow = bld.add(c0, bld.mul(i, i64(o_st[-2])))
                _epilogue_row(k, s, epilogue, out, crow, n, batch, bidx, i)
            k.loops.range(m, row, name="i")
    batches = 1
    for d in batch:
        batches *= d
    if not threaded and serial and batches == 1 and not isinstance(kdim, Dim):
        _claimed_slices(k, s, fn, ta, tb, lda, ldb, dt, m, n, kdim, o_st, batch, epilogue, out)
        return
    k.loops.nest(batch, gemm, name="b")


SLICE_MACS = 1 << 19  # multiply-adds of one claimed slice, at least (then whole 16-row tiles)


def _claimed_slices(k, s, fn, ta, tb, lda, ldb, dt, m, n, kdim, o_st, batch, epilogue, out,
                    by_rows=None):
    """One serial product cut into slices of rows of C (of columns when C is wider than tall:
    each slice re-packs the operand it does not cut, so cut the larger side), which the threads
    of ag_parallel_for claim one at a time; then the epilogue, row by row."""
    ty = reg_type(dt)
    ldc = o_st[-2]
    by_rows = m >= n if by_rows is None else by_rows
    total, other = (m, n) if by_rows else (n, m)
    min_chunk = -(-max(1, -(-SLICE_MACS // max(other * _guess(kdim), 1))) // 16) * 16

    def part(begin, end):
        b = k.b
        st = storage_type(dt)
        cnt = b.sub(end, begin)
        pa, pb, pc = k.ptrs[1], k.ptrs[2], k.ptrs[0]
        if by_rows:
            pa = b.gep(pa, [b.mul(begin, i64(1 if ta else lda))], source_etype=st)
            pc = b.gep(pc, [b.mul(begin, i64(ldc))], source_etype=st)
            mm, nn = cnt, i64(n)
        else:
            pb = b.gep(pb, [b.mul(begin, i64(ldb if tb else 1))], source_etype=st)
            pc = b.gep(pc, [begin], source_etype=st)
            mm, nn = k.dim(m), cnt
        b.call(fn, [ir.Constant(I1, int(ta)), ir.Constant(I1, int(tb)), mm, nn, k.dim(kdim),
                    ir.Constant(ty, 1.0), pa, i64(lda), pb, i64(ldb), ir.Constant(ty, 0.0), pc,
                    i64(ldc)])
    parallel_chunks(k, total, min_chunk, part)
    if epilogue:  # batch dims, if any, are all 1
        bld = k.b
        zeros = [i64(0)] * len(batch)
        k.loops.range(m, lambda i: _epilogue_row(k, s, epilogue, out, bld.mul(i, i64(ldc)), n,
                                                 batch, zeros, i), name="i")


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
