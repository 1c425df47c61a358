"""Native NHWC pooling: max/avg pool and their gradients, as direct loop nests with channels
innermost (the loop LLVM vectorizes); every tap is checked against the image before it is read
or written (k_window.py).

Max pooling and its gradient, for windows of up to UNROLL_TAPS taps (every Keras MaxPooling2D
in practice), unroll the taps: one channel loop a window keeps the window's max, and the
gradient's first-maximum flag, in registers. A tap on padding loads pixel 0 of the image in
place of the missing one and uses the lowest value (what the interpreter pads with), and its
gradient share is 0 added there. Each image is its own function with `noalias` pointers (so the
channel loop vectorizes after inlining), and large batches split images across cores
(chunks.py). Wider windows loop over taps.

float16 arithmetic is float16 itself (LLVM rounds every add and divide), as NumPy's float16
loops in the eager kernels: window sums add tap by tap in row-major tap order, and the gradient
scatters add tap by tap (taps outermost), so float16 results equal eager's.
"""
from llvmlite import ir

from .chunks import parallel_chunks
from .emit import I1, I8, Kernel, i64, lanes_short, reg_type
from .k_array import NotLowerable
from .k_window import Geo, outputs, pixel, taps, taps_outermost, unrolled_taps, zero
from ... import dtypes

_POOL_FLOATS = ("float16", "float32", "float64")
UNROLL_TAPS = 16  # windows up to this many taps: unrolled, the max kept in registers
PARALLEL_ELEMENTS = 1 << 15  # input elements from which images are split across cores


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


def _max_pool_looped(lw, node, x, g):
    """max_pool2d for windows of more than UNROLL_TAPS taps: loops over the taps, the window's
    max in the output row."""
    dt = x.dtype
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


def _tap_values(k, dt, ptr, st, n, window, c, low):
    """The value of channel c at each tap of `window` (the lowest value on padding)."""
    b = k.b
    return [b.select(inside, k.load(ptr, dt, b.add(pixel(k, st, n, ih, iw),
                                                     b.mul(c, i64(st[3])))), low)
            for inside, ih, iw in window]


def _max_of(k, dt, values, low):
    """The max of `values` in order, from `low`; a NaN propagates, as in NumPy's max and the
    interpreter's max pool."""
    b = k.b
    m = low
    for v in values:
        take = b.or_(_greater(k, dt, v, m), _is_nan(k, dt, v))
        m = b.select(take, v, m)
    return m


def _per_image(lw, k, g, n_ptrs, body):
    """body(image, n) emits image n's work into `image` (a Kernel of its own: `noalias`
    pointers, image number in ints[0]); k calls it for every image, images split across cores
    when the batch is large."""
    image = Kernel(lw.module, f"{k.fn.name}_image", n_ptrs, n_ints=1)
    body(image, image.ints[0])
    fn = image.finish()
    null = ir.Constant(ir.PointerType(), None)

    def run(begin, end):
        b = k.b  # the chunk function's builder when split across cores
        k.loops.range(b.sub(end, begin),
                      lambda j: b.call(fn, list(k.ptrs[:n_ptrs]) + [b.add(begin, j), null]),
                      name="n")
    if g.n > 1 and g.n * g.h * g.w * g.c >= PARALLEL_ELEMENTS:
        parallel_chunks(k, g.n, 1, run)
    else:
        run(i64(0), i64(g.n))


def lower_max_pool(lw, node):
    xv = node.data_inputs[0]
    x = lw.view(xv)
    dt = x.dtype
    if dt.name == "bool":
        raise NotLowerable("bool max_pool2d runs on the interpreter")
    g = _pool_geo("MaxPool", node, x.shape)
    if g.kh * g.kw > UNROLL_TAPS:
        _max_pool_looped(lw, node, x, g)
        return
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool2d"), 2, lw.annotate(node))
        st, ost = x.strides, out.strides
        low = ir.Constant(reg_type(dt), _lowest(dt))

        def image(ik, n):
            def at(oh, ow):
                window = unrolled_taps(ik, g, oh, ow)
                ob = pixel(ik, ost, n, oh, ow)

                def channel(c):
                    values = _tap_values(ik, dt, ik.ptrs[1], st, n, window, c, low)
                    ik.store(_max_of(ik, dt, values, low), ik.ptrs[0], dt, ik.b.add(ob, c))
                ik.loops.range(g.c, channel, name="c", short=lanes_short(g.c))
            outputs(ik, g, at)
        _per_image(lw, k, g, 2, image)
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


def _max_pool_grad_looped(lw, node, x, gr, g):
    """max_pool_grad for windows of more than UNROLL_TAPS taps. Two passes a window, channels
    innermost: the max of every channel into a scratch row, then each tap adds g (or 0, as the
    interpreter's where) where it is the first tap equal to that max."""
    dt = x.dtype
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


def lower_max_pool_grad(lw, node):
    """Each window's gradient goes to its first maximum in row-major tap order (NaN counts as
    the maximum, as NumPy's argmax); a first maximum on padding is dropped, as the interpreter's
    crop. Per window and channel: the max over the taps, then each tap adds g (or 0, as the
    interpreter's where) where it is the first tap equal to that max, windows in row-major order
    (the order of the adds into a pixel that overlapping windows share)."""
    xv, gv = node.data_inputs
    x, gr = lw.view(xv), lw.view(gv)
    dt = x.dtype
    _float_pool(dt, "max_pool_grad")
    g = _pool_geo("MaxPoolGrad", node, x.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    if g.kh * g.kw > UNROLL_TAPS:
        _max_pool_grad_looped(lw, node, x, gr, g)
        return
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool_grad"), 3, lw.annotate(node))
        st, gst, ost = x.strides, gr.strides, out.strides
        ty = reg_type(dt)
        low = ir.Constant(ty, _lowest(dt))
        nothing = ir.Constant(ty, 0.0)

        def image(ik, n):
            b = ik.b
            zero(ik, ik.ptrs[0], dt, g.h * g.w * g.c, b.mul(n, i64(ost[0])))

            def at(oh, ow):
                window = unrolled_taps(ik, g, oh, ow)
                gb = pixel(ik, gst, n, oh, ow)

                def channel(c):
                    values = _tap_values(ik, dt, ik.ptrs[1], st, n, window, c, low)
                    m = _max_of(ik, dt, values, low)
                    share = ik.load(ik.ptrs[2], dt, b.add(gb, b.mul(c, i64(gst[3]))))
                    done = ir.Constant(I1, 0)
                    for v, (inside, ih, iw) in zip(values, window):
                        first = b.or_(b.fcmp_ordered("==", v, m),
                                      b.and_(_is_nan(ik, dt, v), _is_nan(ik, dt, m)))
                        hit = b.and_(b.not_(done), first)
                        done = b.or_(done, hit)
                        lin = b.add(pixel(ik, ost, n, ih, iw), c)
                        add = b.select(b.and_(hit, inside), share, nothing)
                        ik.store(b.fadd(ik.load(ik.ptrs[0], dt, lin), add), ik.ptrs[0], dt, lin)
                ik.loops.range(g.c, channel, name="c", short=lanes_short(g.c))
            outputs(ik, g, at)
        _per_image(lw, k, g, 3, image)
        lw.call_kernel(k, [out, x, gr])
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "max_pool2d": lower_max_pool,
    "avg_pool2d": lower_avg_pool,
    "max_pool_grad": lower_max_pool_grad,
    "avg_pool_grad": lower_avg_pool_grad,
}

__all__ = ["LOWERINGS"]
