"""Kernels that walk whole rows sequentially: `reduce_prod_grad` (prefix and suffix products) and
`argsort` (a stable bottom-up merge sort of positions).

Both loop over the kept index in an outer nest and run a sequential per-row algorithm, with the
same arithmetic order as the NumPy kernels so results are bit-equal:
- reduce_prod_grad(x)[r] = (x[0] * ... * x[r-1]) * (x[n-1] * ... * x[r+1]) over the reduced
  index r in row-major order (np.cumprod from both ends, then one product).
- argsort orders like np.argsort(kind="stable"): NaN after every number; DESCENDING is the
  kernel's flip trick, i.e. greater first, NaN first, ties in input order.
"""
from llvmlite import ir

from .emit import I32, I64, Kernel, i64, reg_type
from .k_map import emit_map


def _mul(b, dtype, a, c):
    return b.fmul(a, c) if dtype.is_floating else b.mul(a, c)


def _one(dtype):
    ty = reg_type(dtype)
    return ir.Constant(ty, 1.0 if dtype.is_floating else 1)


def lower_prod_grad(lw, node):
    x_v = node.data_inputs[0]
    x = lw.view(x_v)
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"]
    r = len(x.shape)
    axes = tuple(range(r)) if axis is None else tuple(sorted({a % r for a in axis})) if r else ()
    if not axes or out.size == 0:
        if out.size:
            dt = out.dtype
            emit_map(lw, "ones", [out], [], lambda s, vals: [s.const(dt, 1)], lw.annotate(node))
        lw.bind(node.outputs[0], out)
        return
    keep = [d for d in range(r) if d not in axes]
    red_shape = [x.shape[d] for d in axes]
    k = Kernel(lw.module, lw.fresh_name("prod_grad"), 2, lw.annotate(node))
    b = k.b
    dt = x.dtype
    acc = k.alloca(reg_type(dt))

    def full(kidx, ridx):
        idx = [None] * r
        for d, i in zip(keep, kidx):
            idx[d] = i
        for d, i in zip(axes, ridx):
            idx[d] = i
        return idx

    def row(kidx):
        b.store(_one(dt), acc)

        def fwd(ridx):
            idx = full(kidx, ridx)
            o = k.linear(0, out.strides, idx)
            a = b.load(acc, typ=reg_type(dt))
            k.store(a, k.ptrs[0], out.dtype, o)
            b.store(_mul(b, dt, a, k.load(k.ptrs[1], dt, k.linear(0, x.strides, idx))), acc)
        k.loops.nest(red_shape, fwd, name="f")
        b.store(_one(dt), acc)

        def bwd(ridx):
            ridx = [b.sub(i64(n - 1), i) for n, i in zip(red_shape, ridx)]
            idx = full(kidx, ridx)
            o = k.linear(0, out.strides, idx)
            a = b.load(acc, typ=reg_type(dt))
            k.store(_mul(b, dt, k.load(k.ptrs[0], out.dtype, o), a), k.ptrs[0], out.dtype, o)
            b.store(_mul(b, dt, a, k.load(k.ptrs[1], dt, k.linear(0, x.strides, idx))), acc)
        k.loops.nest(red_shape, bwd, name="b")
    k.loops.nest([x.shape[d] for d in keep], row, name="k")
    lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


# ----------------------------------------------------------------------------------------------
# argsort: bottom-up merge sort of int32 positions per row
# ----------------------------------------------------------------------------------------------


def _before(b, dtype, a, c, descending):
    """i1: a must come strictly before c (stable sorts keep ties in input order)."""
    if dtype.is_floating:
        a_nan = b.fcmp_unordered("uno", a, a)
        c_nan = b.fcmp_unordered("uno", c, c)
        if descending:  # greater first, NaN first
            return b.or_(b.fcmp_ordered(">", a, c), b.and_(a_nan, b.not_(c_nan)))
        return b.or_(b.fcmp_ordered("<", a, c), b.and_(c_nan, b.not_(a_nan)))
    signed = not (dtype.is_unsigned or dtype.name == "bool")
    cmp = b.icmp_signed if signed else b.icmp_unsigned
    return cmp(">" if descending else "<", a, c)


class _While:
    """`while cond(): body()` on a kernel's builder (cond and body emit code)."""

    def __init__(self, k, cond, body, name):
        b = k.b
        head = b.append_basic_block(name + ".head")
        loop = b.append_basic_block(name + ".body")
        done = b.append_basic_block(name + ".done")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(cond(), loop, done)
        b.position_at_end(loop)
        body()
        b.branch(head)
        b.position_at_end(done)


def lower_argsort(lw, node):
    x = lw.view(node.data_inputs[0])
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(x.shape)
    desc = node.attrs["direction"] == "DESCENDING"
    n = x.shape[axis]
    if out.size == 0:
        lw.bind(node.outputs[0], out)
        return
    scratch = lw.alloc_spec(out.dtype, (2 * n,))
    keep = [d for d in range(len(x.shape)) if d != axis]
    k = Kernel(lw.module, lw.fresh_name("argsort"), 3, lw.annotate(node))
    b = k.b
    dt = x.dtype
    xs, os = x.strides[axis], out.strides[axis]
    v = {name: k.alloca(I64) for name in ("width", "lo", "i", "j", "t", "src", "dst")}

    def ld(name):
        return b.load(v[name], typ=I64)

    def st(name, value):
        b.store(value, v[name])

    def buf(which, pos):  # scratch half `which` (i64 0/1) at pos
        return b.gep(k.ptrs[2], [b.add(b.mul(which, i64(n)), pos)], source_etype=I32)

    def row(kidx):
        xbase = k.linear(0, [x.strides[d] for d in keep], kidx)
        obase = k.linear(0, [out.strides[d] for d in keep], kidx)

        def key(pos):
            p = b.sext(b.load(buf(ld("src"), pos), typ=I32), I64)
            return k.load(k.ptrs[1], dt, b.add(xbase, b.mul(p, i64(xs))))

        k.loops.range(n, lambda i: b.store(b.trunc(i, I32), buf(i64(0), i)), name="init")
        st("src", i64(0))
        st("dst", i64(1))
        st("width", i64(1))

        def pass_body():
            w = ld("width")
            st("lo", i64(0))

            def merge_body():
                lo = ld("lo")
                mid = _min(b, b.add(lo, w), i64(n))
                hi = _min(b, b.add(mid, w), i64(n))
                st("i", lo)
                st("j", mid)
                st("t", lo)

                def take(which_var):
                    pos = ld(which_var)
                    b.store(b.load(buf(ld("src"), pos), typ=I32), buf(ld("dst"), ld("t")))
                    st(which_var, b.add(pos, i64(1)))
                    st("t", b.add(ld("t"), i64(1)))

                def step():
                    i, j = ld("i"), ld("j")
                    i_ok = b.icmp_signed("<", i, mid)
                    j_ok = b.icmp_signed("<", j, hi)
                    # pick j when i is exhausted, or both remain and x[j] comes before x[i]
                    with b.if_else(b.and_(i_ok, j_ok)) as (both, single):
                        with both:
                            right = _before(b, dt, key(j), key(i), desc)
                            with b.if_else(right) as (tj, ti):
                                with tj:
                                    take("j")
                                with ti:
                                    take("i")
                        with single:
                            with b.if_else(i_ok) as (ti, tj):
                                with ti:
                                    take("i")
                                with tj:
                                    take("j")
                _While(k, lambda: b.icmp_signed("<", ld("t"), hi), step, "merge")
                st("lo", hi)
            _While(k, lambda: b.icmp_signed("<", ld("lo"), i64(n)), merge_body, "run")
            s0, d0 = ld("src"), ld("dst")
            st("src", d0)
            st("dst", s0)
            st("width", b.mul(w, i64(2)))
        _While(k, lambda: b.icmp_signed("<", ld("width"), i64(n)), pass_body, "pass")
        k.loops.range(n, lambda i: k.store(b.load(buf(ld("src"), i), typ=I32), k.ptrs[0], out.dtype,
                                           b.add(obase, b.mul(i, i64(os)))), name="emit")
    k.loops.nest([x.shape[d] for d in keep], row, name="row")
    lw.call_kernel(k, [out, x, scratch])
    lw.bind(node.outputs[0], out)


def _min(b, a, c):
    return b.select(b.icmp_signed("<", a, c), a, c)


LOWERINGS = {
    "reduce_prod_grad": lower_prod_grad,
    "argsort": lower_argsort,
}

__all__ = ["LOWERINGS"]
