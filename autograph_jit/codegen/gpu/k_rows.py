"""GPU row kernels: softmax, log_softmax, the sparse softmax cross-entropy (loss and gradient)
and the dense softmax cross-entropy loss, one block per row (rows in a grid-stride loop).

Each row takes block reductions (kernel.py): the max (a non-finite max shifts by 0, as the NumPy
kernels), the sum of exponentials (accumulated in float64 for float32, as on the CPU), for the
dense loss the weighted sum; each result is broadcast to the block through shared memory, then
the threads write their share of the row. Labels are bounds-checked with the CPU backend's
message.
"""
from llvmlite import ir

from ..llvm.emit import I64, i32, i64, reg_type
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import ScalarEmitter, cast_value
from .kernel import GpuKernel
from .k_map import unravel
from ... import dtypes

_ACC = {"float16": ir.FloatType(), "float32": ir.DoubleType(), "float64": ir.DoubleType()}
_LABEL_MSG = ("Received a label value of {1} which is outside the valid range of [0, {2}). "
              "[Op:sparse_softmax_cross_entropy_with_logits]. Fix: labels must be class "
              "indices in [0, num_classes); check the last dimension of logits.")


def _broadcast(k, value):
    """Thread 0's `value` in every thread of the block."""
    b = k.b
    gv, arr = k.shared_array(value.type, 1, "bc")
    p = k.shared_ptr(gv, arr, i32(0))
    with b.if_then(b.icmp_unsigned("==", k.sreg("tid"), i32(0))):
        b.store(value, p)
    k.barrier()
    out = b.load(p, typ=value.type)
    k.barrier()
    return out


def _row_sum(k, n, term, acc_ty):
    """sum over i < n of term(i) (widened to acc_ty) for the whole block; valid everywhere."""
    b = k.b
    slot = k.alloca(acc_ty)
    b.store(ir.Constant(acc_ty, 0.0), slot)

    def add(i):
        t = term(i)
        if t.type != acc_ty:
            t = b.fpext(t, acc_ty)
        b.store(b.fadd(b.load(slot, typ=acc_ty), t), slot)
    _thread_range(k, n, add)
    total = k.block_reduce(b.load(slot, typ=acc_ty), lambda x, y: b.fadd(x, y),
                           ir.Constant(acc_ty, 0.0))
    return _broadcast(k, total)


def _thread_range(k, n, body):
    b = k.b
    k.strided_range(b.zext(k.sreg("tid"), I64), i64(n), b.zext(k.sreg("ntid"), I64), body, "t")


def _shift_and_sum(k, s, load_x, n, dt):
    """(m, total): m = max of the row (0 if not finite), total = sum(exp(x - m)) in dt."""
    b = k.b
    ty = reg_type(dt)
    slot = k.alloca(ty)
    b.store(ir.Constant(ty, float("-inf")), slot)
    _thread_range(k, n, lambda i: b.store(s.intrinsic("maximum", b.load(slot, typ=ty),
                                                      load_x(i)), slot))
    m = k.block_reduce(b.load(slot, typ=ty), lambda x, y: s.intrinsic("maximum", x, y),
                       ir.Constant(ty, float("-inf")))
    m = _broadcast(k, m)
    finite = b.fcmp_ordered("<", s.intrinsic("fabs", m), ir.Constant(ty, float("inf")))
    m = b.select(finite, m, ir.Constant(ty, 0.0))
    total = _row_sum(k, n, lambda i: s.libm("exp", b.fsub(load_x(i), m)), _ACC[dt.name])
    if total.type != ty:
        total = b.fptrunc(total, ty)
    return m, total


def _row_kernel(lw, node, x, axis, outs, extra, per_row):
    """One block per row of x along `axis`; per_row(k, s, bases, ridx) emits a row's code
    (bases: each view's element offset of the row start)."""
    shape = x.shape
    kept = [d for d in range(len(shape)) if d != axis]
    rows_shape = [shape[d] for d in kept]
    n_rows = 1
    for d in rows_shape:
        n_rows *= d
    views = list(outs) + [x] + list(extra)
    k = GpuKernel(lw.module, lw.fresh_name(node.op.name), len(views), lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider

    def row(r):
        ridx = unravel(k.b, r, rows_shape)
        bases = [k.linear(v.offset, [v.strides[d] for d in kept], ridx)
                 if len(v.shape) == len(shape) else k.linear(v.offset, v.strides, ridx)
                 for v in views]
        per_row(k, s, bases, ridx)
    k.grid_stride(n_rows, row, per_block=True)
    cfg = lw.launch_config
    lw.launch(k, grid=(max(1, min(n_rows, cfg.max_blocks)), 1, 1),
              block=(cfg.reduce_block, 1, 1), views=views)


def _softmax(log):
    def lower(lw, node):
        x = lw.view(node.data_inputs[0])
        dt = x.dtype
        axis = node.attrs["axis"] % len(x.shape)
        out = lw.alloc_for(node.outputs[0])
        n, sa, so = x.shape[axis], x.strides[axis], out.strides[axis]

        def per_row(k, s, bases, ridx):
            b = k.b

            def load_x(i):
                return k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
            m, total = _shift_and_sum(k, s, load_x, n, dt)
            lse = s.libm("log", total) if log else None

            def wr(i):
                sh = b.fsub(load_x(i), m)
                r = b.fsub(sh, lse) if log else b.fdiv(s.libm("exp", sh), total)
                k.store(r, k.ptrs[0], dt, b.add(bases[0], b.mul(i, i64(so))))
            _thread_range(k, n, wr)
        if out.size:
            _row_kernel(lw, node, x, axis, [out], [], per_row)
        lw.bind(node.outputs[0], out)
    return lower


def _sparse(grad):
    def lower(lw, node):
        lab_v, x_v = node.data_inputs
        lab, x = lw.view(lab_v), lw.view(x_v)
        dt = x.dtype
        axis = len(x.shape) - 1
        out = lw.alloc_for(node.outputs[0])
        n, sa = x.shape[axis], x.strides[axis]
        ty = reg_type(dt)
        code = lw.errors.code(_LABEL_MSG, lw.where(node))

        def per_row(k, s, bases, ridx):
            b = k.b
            label = cast_value(s, k.load(k.ptrs[2], lab.dtype, bases[2]), lab.dtype,
                               dtypes.int64)
            k.fail(b.icmp_unsigned(">=", label, i64(n)), code, [label, i64(n)])

            def load_x(i):
                return k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
            m, total = _shift_and_sum(k, s, load_x, n, dt)
            if not grad:
                with b.if_then(b.icmp_unsigned("==", k.sreg("tid"), i32(0))):
                    loss = b.fsub(s.libm("log", total), b.fsub(load_x(label), m))
                    k.store(loss, k.ptrs[0], dt, bases[0])
                return
            so = out.strides[axis]

            def wr(i):
                p = b.fdiv(s.libm("exp", b.fsub(load_x(i), m)), total)
                p = b.select(b.icmp_signed("==", i, label), b.fsub(p, ir.Constant(ty, 1.0)), p)
                k.store(p, k.ptrs[0], dt, b.add(bases[0], b.mul(i, i64(so))))
            _thread_range(k, n, wr)
        if x.size and lab.size:
            _row_kernel(lw, node, x, axis, [out], [lab], per_row)
        lw.bind(node.outputs[0], out)
    return lower


def _dense_xent(lw, node):
    lab_v, x_v = node.data_inputs
    lab, x = lw.view(lab_v), lw.view(x_v)
    if lab.shape != x.shape:
        raise NotLowerable(f"labels of shape {lab.shape} broadcast to logits {x.shape}")
    dt = x.dtype
    axis = node.attrs["axis"] % len(x.shape)
    n, sa, sl = x.shape[axis], x.strides[axis], lab.strides[axis]
    if not n:
        raise NotLowerable("softmax over an empty axis (NumPy's max raises; so does eager)")
    out = lw.alloc_for(node.outputs[0])
    ty = reg_type(dt)

    def per_row(k, s, bases, ridx):
        b = k.b

        def load_x(i):
            return k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
        m, total = _shift_and_sum(k, s, load_x, n, dt)
        lse = s.libm("log", total)

        def term(i):
            w = k.load(k.ptrs[2], dt, b.add(bases[2], b.mul(i, i64(sl))))
            return b.fmul(w, b.fsub(lse, b.fsub(load_x(i), m)))
        loss = _row_sum(k, n, term, _ACC[dt.name])
        if loss.type != ty:
            loss = b.fptrunc(loss, ty)
        with b.if_then(b.icmp_unsigned("==", k.sreg("tid"), i32(0))):
            k.store(loss, k.ptrs[0], dt, bases[0])
    if out.size:
        _row_kernel(lw, node, x, axis, [out], [lab], per_row)
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "softmax": _softmax(False),
    "log_softmax": _softmax(True),
    "sparse_softmax_cross_entropy_with_logits": _sparse(False),
    "sparse_softmax_cross_entropy_grad": _sparse(True),
    "softmax_cross_entropy_with_logits": _dense_xent,
}

__all__ = ["LOWERINGS"]
