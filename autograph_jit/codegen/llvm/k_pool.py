"""Native NHWC pooling: max/avg pool and their gradients, as direct loop nests with channels
innermost (the loop LLVM vectorizes); every tap is checked against the image before it is read
or written (k_window.py).

float16 arithmetic is float16 itself (LLVM rounds every add and divide), as NumPy's float16
loops in the eager kernels: window sums add tap by tap in row-major tap order, and the gradient
scatters add tap by tap (taps outermost), so float16 results equal eager's.
"""
from llvmlite import ir

from .emit import I1, I8, Kernel, i64, reg_type
from .k_array import NotLowerable
from .k_window import Geo, outputs, pixel, taps, taps_outermost, zero
from ... import dtypes

_POOL_FLOATS = ("float16", "float32", "float64")


def _pool_geo(op, node, x_shape):
    a = node.attrs
    return Geo(op, x_shape, a["ksize"], a["strides"], a["padding"])


def _lowest(dt):
    if dt.is_floating:
        return float("-inf")
    if dt.is_unsigned:
        return 0
    return -(1 << (dt.size * 8 - 1))


def _greater(k, dt, a, b_):
    """a > b in dt's order (floats: ordered, so NaN is never greater)."""
    b = k.b
    if dt.is_floating:
        return b.fcmp_ordered(">", a, b_)
    return (b.icmp_unsigned if dt.is_unsigned else b.icmp_signed)(">", a, b_)


def _is_nan(k, dt, v):
    return k.b.fcmp_unordered("uno", v, v) if dt.is_floating else ir.Constant(I1, 0)


def _window_count(k, g, oh, ow):
    """How many taps of window (oh, ow) lie inside the image (an i64)."""
    b = k.b

    def span(o, s, pad, size, kk):
        lo = b.sub(b.mul(o, i64(s)), i64(pad))
        hi = b.add(lo, i64(kk))
        lo = b.select(b.icmp_signed("<", lo, i64(0)), i64(0), lo)
        return b.sub(b.select(b.icmp_signed(">", hi, i64(size)), i64(size), hi), lo)
    return b.mul(span(oh, g.sh, g.pt, g.h, g.kh), span(ow, g.sw, g.pl, g.w, g.kw))


def lower_max_pool(lw, node):
    xv = node.data_inputs[0]
    x = lw.view(xv)
    dt = x.dtype
    if dt.name == "bool":
        raise NotLowerable("bool max_pool2d runs on the interpreter")
    g = _pool_geo("MaxPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool2d"), 2, lw.annotate(node))
        b = k.b
        st, ost = x.strides, out.strides
        low = ir.Constant(reg_type(dt), _lowest(dt))

        def image(n):
            def at(oh, ow):
                ob = pixel(k, ost, n, oh, ow)
                k.loops.range(g.c, lambda c: k.store(low, k.ptrs[0], dt, b.add(ob, c)),
                              name="init")

                def tap(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = pixel(k, st, n, ih, iw)

                        def mx(c):
                            lin = b.add(ob, c)
                            cur = k.load(k.ptrs[0], dt, lin)
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            if dt.is_floating:  # NaN propagates, as NumPy's max
                                take = b.or_(_greater(k, dt, v, cur), _is_nan(k, dt, v))
                            else:
                                take = _greater(k, dt, v, cur)
                            k.store(b.select(take, v, cur), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, mx, name="c")
                taps(k, g, oh, ow, tap)
            outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


def _float_pool(dt, op):
    if dt.name not in _POOL_FLOATS:
        raise NotLowerable(f"{dt.name} {op} runs on the interpreter")


def lower_avg_pool(lw, node):
    x = lw.view(node.data_inputs[0])
    dt = x.dtype
    _float_pool(dt, "avg_pool2d")
    g = _pool_geo("AvgPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("avg_pool2d"), 2, lw.annotate(node))
        b = k.b
        st, ost = x.strides, out.strides
        ty = reg_type(dt)

        def image(n):
            def at(oh, ow):
                ob = pixel(k, ost, n, oh, ow)
                zero(k, k.ptrs[0], dt, g.c, ob)

                def tap(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = pixel(k, st, n, ih, iw)

                        def acc(c):
                            lin = b.add(ob, c)
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, acc, name="c")
                taps(k, g, oh, ow, tap)
                count = b.sitofp(_window_count(k, g, oh, ow), ty)

                def div(c):
                    lin = b.add(ob, c)
                    k.store(b.fdiv(k.load(k.ptrs[0], dt, lin), count), k.ptrs[0], dt, lin)
                k.loops.range(g.c, div, name="d")
            outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


def lower_avg_pool_grad(lw, node):
    gv = node.data_inputs[1]
    gr = lw.view(gv)
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    _float_pool(dt, "avg_pool_grad")
    g = _pool_geo("AvgPoolGrad", node, out_spec.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("avg_pool_grad"), 2, lw.annotate(node))
        b = k.b
        gst, ost = gr.strides, out.strides
        ty = reg_type(dt)
        zero(k, k.ptrs[0], dt, out.size)

        def image(n):
            def tap(oh, ow, i, j, ih, iw, inside):
                with b.if_then(inside):
                    gb = pixel(k, gst, n, oh, ow)
                    count = b.sitofp(_window_count(k, g, oh, ow), ty)
                    xb = pixel(k, ost, n, ih, iw)

                    def add(c):
                        lin = b.add(xb, c)
                        v = b.fdiv(k.load(k.ptrs[1], dt, b.add(gb, b.mul(c, i64(gst[3])))),
                                   count)
                        k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                    k.loops.range(g.c, add, name="c")
            taps_outermost(k, g, tap)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, gr])
    lw.bind(node.outputs[0], out)


def lower_max_pool_grad(lw, node):
    """Each window's gradient goes to its first maximum in row-major tap order (NaN counts as
    the maximum, as NumPy's argmax); a first maximum on padding is dropped, as the interpreter's
    crop. Two passes a window, channels innermost: the max of every channel, then each tap adds
    g (or 0, as the interpreter's where) where it is the first tap equal to that max."""
    xv, gv = node.data_inputs
    x, gr = lw.view(xv), lw.view(gv)
    dt = x.dtype
    _float_pool(dt, "max_pool_grad")
    g = _pool_geo("MaxPoolGrad", node, x.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    row_max = lw.alloc_spec(dt, (max(g.c, 1),))
    done = lw.alloc_spec(dtypes.uint8, (max(g.c, 1),))
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool_grad"), 5, lw.annotate(node))
        b = k.b
        st, gst, ost = x.strides, gr.strides, out.strides
        ty = reg_type(dt)
        low = ir.Constant(ty, _lowest(dt))
        nothing = ir.Constant(ty, 0.0)
        mx, dn = k.ptrs[3], k.ptrs[4]
        u8 = dtypes.uint8
        zero(k, k.ptrs[0], dt, out.size)

        def first_max(v, m):
            return b.or_(b.fcmp_ordered("==", v, m), b.and_(_is_nan(k, dt, v), _is_nan(k, dt, m)))

        def image(n):
            def at(oh, ow):
                gb = pixel(k, gst, n, oh, ow)

                def init(c):
                    k.store(low, mx, dt, c)
                    k.store(ir.Constant(I8, 0), dn, u8, c)
                k.loops.range(g.c, init, name="init")

                def window_max(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = pixel(k, st, n, ih, iw)

                        def upd(c):
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            cur = k.load(mx, dt, c)
                            take = b.or_(_greater(k, dt, v, cur), _is_nan(k, dt, v))
                            k.store(b.select(take, v, cur), mx, dt, c)
                        k.loops.range(g.c, upd, name="m")
                taps(k, g, oh, ow, window_max)

                def route(i, j, ih, iw, inside):
                    with b.if_else(inside) as (then, other):
                        with then:
                            xb = pixel(k, st, n, ih, iw)
                            ob = pixel(k, ost, n, ih, iw)

                            def add(c):
                                v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                                was = k.load(dn, u8, c)
                                hit = b.and_(b.icmp_unsigned("==", was, ir.Constant(I8, 0)),
                                             first_max(v, k.load(mx, dt, c)))
                                gval = k.load(k.ptrs[2], dt, b.add(gb, b.mul(c, i64(gst[3]))))
                                lin = b.add(ob, c)
                                share = b.select(hit, gval, nothing)
                                k.store(b.fadd(k.load(k.ptrs[0], dt, lin), share), k.ptrs[0], dt,
                                        lin)
                                k.store(b.or_(was, b.zext(hit, I8)), dn, u8, c)
                            k.loops.range(g.c, add, name="r")
                        with other:  # a padded tap holds the lowest value: it may be the max
                            def pad(c):
                                hit = b.fcmp_ordered("==", low, k.load(mx, dt, c))
                                k.store(b.or_(k.load(dn, u8, c), b.zext(hit, I8)), dn, u8, c)
                            k.loops.range(g.c, pad, name="p")
                taps(k, g, oh, ow, route)
            outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x, gr, row_max, done])
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "max_pool2d": lower_max_pool,
    "avg_pool2d": lower_avg_pool,
    "max_pool_grad": lower_max_pool_grad,
    "avg_pool_grad": lower_avg_pool_grad,
}

__all__ = ["LOWERINGS"]
