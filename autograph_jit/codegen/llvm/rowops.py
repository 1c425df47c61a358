"""Row kernels: softmax, log_softmax, the sparse softmax cross-entropy (loss and gradient) and the
dense softmax cross-entropy (loss; its gradient is built from softmax and log_softmax).

Each works on one row (all elements along the axis) at a time, in a few passes over it while it
is in cache: max (shift for stability, as the NumPy kernels: a non-finite max shifts by 0), sum of
exponentials (accumulated in float64 for float32), then the output. Labels are bounds-checked.
"""
import math

from llvmlite import ir

from .emit import F32, F64, Kernel, i64, reg_type
from .k_array import NotLowerable
from .scalar import ScalarEmitter, cast_value
from ... import dtypes

_ACC = {"float16": F32, "float32": F64, "float64": F64}


def _row_kernel(lw, node, name, x, outs, extra, axis, per_row):
    """Loop over rows of x along `axis`; per_row(k, s, row) emits one row's code."""
    shape = x.shape
    kept = [d for d in range(len(shape)) if d != axis]
    k = Kernel(lw.module, lw.fresh_name(name), len(outs) + 1 + len(extra), lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    views = list(outs) + [x] + list(extra)

    def outer(oidx):
        bases = [k.linear(0, [v.strides[d] for d in kept], oidx) if len(v.shape) == len(shape)
                 else k.linear(0, v.strides, oidx) for v in views]
        per_row(k, s, bases, oidx)
    k.loops.nest([shape[d] for d in kept], outer, name="row")
    lw.call_kernel(k, views)


def _shift_and_sum(k, s, x, xp, xbase, n, sa, dt, acc_ptr, m_ptr):
    """m' = max(row) (0 if not finite); acc = sum(exp(x - m'))."""
    b = k.b
    ty = reg_type(dt)
    acc_ty = _ACC[dt.name]
    b.store(ir.Constant(ty, float("-inf")), m_ptr)

    def mx(i):
        v = k.load(xp, dt, b.add(xbase, b.mul(i, i64(sa))))
        b.store(s.intrinsic("maximum", b.load(m_ptr), v), m_ptr)
    k.loops.range(n, mx, name="m")
    m = b.load(m_ptr)
    finite = b.fcmp_ordered("<", s.intrinsic("fabs", m), ir.Constant(ty, float("inf")))
    m = b.select(finite, m, ir.Constant(ty, 0.0))
    b.store(m, m_ptr)
    b.store(ir.Constant(acc_ty, 0.0), acc_ptr)

    def sm(i):
        v = k.load(xp, dt, b.add(xbase, b.mul(i, i64(sa))))
        e = s.libm("exp", b.fsub(v, m))
        if acc_ty != ty:
            e = b.fpext(e, acc_ty)
        b.store(b.fadd(b.load(acc_ptr), e, flags=["reassoc", "nsz"]), acc_ptr)
    k.loops.range(n, sm, name="s")
    return m


def _softmax(log):
    def lower(lw, node):
        xv = node.data_inputs[0]
        x = lw.view(xv)
        dt = x.dtype
        axis = node.attrs["axis"] % len(x.shape)
        out = lw.alloc_for(node.outputs[0])
        n, sa, so = x.shape[axis], x.strides[axis], out.strides[axis]
        ty = reg_type(dt)

        def per_row(k, s, bases, oidx):
            b = k.b
            acc_ptr = k.alloca(_ACC[dt.name])
            m_ptr = k.alloca(ty)
            m = _shift_and_sum(k, s, x, k.ptrs[1], bases[1], n, sa, dt, acc_ptr, m_ptr)
            total = b.load(acc_ptr)
            if total.type != ty:
                total = b.fptrunc(total, ty)
            lse = s.libm("log", total) if log else None

            def wr(i):
                v = k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
                sh = b.fsub(v, m)
                r = b.fsub(sh, lse) if log else b.fdiv(s.libm("exp", sh), total)
                k.store(r, k.ptrs[0], dt, b.add(bases[0], b.mul(i, i64(so))))
            k.loops.range(n, wr, name="w")
        if out.size:
            _row_kernel(lw, node, node.op.name, x, [out], [], axis, per_row)
        lw.bind(node.outputs[0], out)
    return lower


_LABEL_MSG = ("Received a label value of {1} which is outside the valid range of [0, {2}). "
              "[Op:sparse_softmax_cross_entropy_with_logits]. Fix: labels must be class "
              "indices in [0, num_classes); check the last dimension of logits.")


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

        def per_row(k, s, bases, oidx):
            b = k.b
            acc_ptr = k.alloca(_ACC[dt.name])
            m_ptr = k.alloca(ty)
            lab_lin = k.linear(0, lab.strides, oidx)
            label = cast_value(s, k.load(k.ptrs[2], lab.dtype, lab_lin), lab.dtype, dtypes.int64)
            k.fail(b.icmp_unsigned(">=", label, i64(n)), code, [label, i64(n)])
            m = _shift_and_sum(k, s, x, k.ptrs[1], bases[1], n, sa, dt, acc_ptr, m_ptr)
            total = b.load(acc_ptr)
            if total.type != ty:
                total = b.fptrunc(total, ty)
            if not grad:
                picked = k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(label, i64(sa))))
                loss = b.fsub(s.libm("log", total), b.fsub(picked, m))
                k.store(loss, k.ptrs[0], dt, k.linear(0, out.strides, oidx))
                return
            so = out.strides[axis]

            def wr(i):
                v = k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
                p = b.fdiv(s.libm("exp", b.fsub(v, m)), total)
                hit = b.icmp_signed("==", i, label)
                p = b.select(hit, b.fsub(p, ir.Constant(ty, 1.0)), p)
                k.store(p, k.ptrs[0], dt, b.add(bases[0], b.mul(i, i64(so))))
            k.loops.range(n, wr, name="w")
        if x.size and lab.size:
            _row_kernel(lw, node, node.op.name, x, [out], [lab], axis, per_row)
        lw.bind(node.outputs[0], out)
    return lower


def _dense_xent(lw, node):
    """loss[row] = sum_i labels_i * (log(sum_j exp(s_j)) - s_i), s = x - max(x): the eager
    kernel's formula, with the sum over i accumulated like the exponentials."""
    lab_v, x_v = node.data_inputs
    lab, x = lw.view(lab_v), lw.view(x_v)
    if lab.shape != x.shape:  # broadcast labels: the interpreter's NumPy broadcasting
        raise NotLowerable(f"labels of shape {lab.shape} broadcast to logits {x.shape}")
    dt = x.dtype
    axis = node.attrs["axis"] % len(x.shape)
    n, sa, sl = x.shape[axis], x.strides[axis], lab.strides[axis]
    if not n and math.prod(x.shape[:axis] + x.shape[axis + 1:]):
        raise NotLowerable("softmax over an empty axis (NumPy's max raises; so does eager)")
    out = lw.alloc_for(node.outputs[0])
    ty = reg_type(dt)
    acc_ty = _ACC[dt.name]

    def per_row(k, s, bases, oidx):
        b = k.b
        acc_ptr = k.alloca(acc_ty)
        m_ptr = k.alloca(ty)
        m = _shift_and_sum(k, s, x, k.ptrs[1], bases[1], n, sa, dt, acc_ptr, m_ptr)
        total = b.load(acc_ptr)
        if total.type != ty:
            total = b.fptrunc(total, ty)
        lse = s.libm("log", total)
        b.store(ir.Constant(acc_ty, 0.0), acc_ptr)

        def term(i):
            v = k.load(k.ptrs[1], dt, b.add(bases[1], b.mul(i, i64(sa))))
            w = k.load(k.ptrs[2], dt, b.add(bases[2], b.mul(i, i64(sl))))
            t = b.fmul(w, b.fsub(lse, b.fsub(v, m)))
            if acc_ty != ty:
                t = b.fpext(t, acc_ty)
            b.store(b.fadd(b.load(acc_ptr), t, flags=["reassoc", "nsz"]), acc_ptr)
        k.loops.range(n, term, name="t")
        loss = b.load(acc_ptr)
        if loss.type != ty:
            loss = b.fptrunc(loss, ty)
        k.store(loss, k.ptrs[0], dt, k.linear(0, out.strides, oidx))
    if out.size:
        _row_kernel(lw, node, node.op.name, x, [out], [lab], axis, per_row)
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "softmax": _softmax(False),
    "log_softmax": _softmax(True),
    "sparse_softmax_cross_entropy_with_logits": _sparse(False),
    "sparse_softmax_cross_entropy_grad": _sparse(True),
    "softmax_cross_entropy_with_logits": _dense_xent,
}

__all__ = ["LOWERINGS"]
