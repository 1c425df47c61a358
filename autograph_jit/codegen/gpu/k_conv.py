"""GPU NHWC convolution: conv2d, conv2d_backprop_input and conv2d_backprop_filter as direct
kernels (strides, dilations, SAME / VALID / explicit padding: the CPU backend's geometry, Geo).

- conv2d: one thread per output element (n, oh, ow, o), o fastest, so a warp reads one input
  pixel (broadcast) and consecutive filter elements (coalesced); it sums its taps row-major,
  channels innermost.
- backprop_input: one thread per input element (n, ih, iw, c); for each tap (i, j) row-major
  whose window covers the pixel, the sum over output channels of dy * filter is added: no
  scatter, so no atomics.
- backprop_filter: the sum over n * OH * OW positions of each filter element, split into
  fixed-length chunks (one thread per chunk and filter element, its positions in order), then
  one thread per filter element adds its chunks in order. The chunk length depends only on
  the shapes, never on the launch size, so the result is the same on every device and every
  run (no float atomics).

float16 computes as the eager kernels (NumPy float16 products accumulate in float32 and round
once): conv2d and backprop_filter sum in float32 and round each result; backprop_input rounds
each tap's channel sum and adds the taps in float16.
"""
from llvmlite import ir

from ..llvm.emit import I64, i64, reg_type
from ..llvm.k_conv import compute_dtype
from .kernel import GpuKernel
from .k_map import emit_map, unravel
from .k_window import Geo, at, input_taps, taps

# threads the filter gradient's first pass aims for (filter elements x chunks); chunks never
# get shorter than CHUNK_MIN positions
FILTER_THREADS = 1 << 16
CHUNK_MIN = 32


def _geo(op, node, x_shape, f_shape):
    a = node.attrs
    return Geo(op, x_shape, f_shape[:2], a["strides"], a["padding"], a["dilations"])


class _Math:
    """Multiply-adds in a compute dtype (float16 widened to float32)."""

    def __init__(self, k, dt):
        self.k, self.dt = k, dt
        self.cdt = compute_dtype(dt)
        self.ty = reg_type(self.cdt)
        self.zero = ir.Constant(self.ty, 0.0)

    def load(self, ptr, view, idx):
        v = self.k.load(ptr, view.dtype, at(self.k, view, idx))
        return v if self.cdt == view.dtype else self.k.b.fpext(v, self.ty)

    def madd(self, acc, x, y):
        b = self.k.b
        b.store(b.fadd(b.load(acc, typ=self.ty), b.fmul(x, y, flags=["contract"]),
                       flags=["contract"]), acc)

    def narrow(self, v):
        return v if self.cdt == self.dt else self.k.b.fptrunc(v, reg_type(self.dt))

    def accumulator(self):
        acc = self.k.alloca(self.ty)
        self.k.b.store(self.zero, acc)
        return acc


def lower_conv2d(lw, node):
    """conv2d: one thread per output element (see the module docstring)."""
    xv, fv = node.data_inputs
    x, f = lw.view(xv), lw.view(fv)
    g = _geo("Conv2D", node, x.shape, f.shape)
    o = f.shape[3]
    g.expect("filter", f.shape, (g.kh, g.kw, g.c, o))
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if not out.size:
        return
    k = GpuKernel(lw.module, lw.fresh_name("conv2d"), 3, lw.annotate(node, "direct"))
    m = _Math(k, out.dtype)
    b = k.b

    def element(t):
        n, oh, ow, oc = unravel(b, t, out.shape)
        acc = m.accumulator()

        def tap(i, j, ih, iw, inside):
            with b.if_then(inside):
                k.loops.range(g.c, lambda c: m.madd(acc, m.load(k.ptrs[1], x, [n, ih, iw, c]),
                                                    m.load(k.ptrs[2], f, [i, j, c, oc])),
                              name="c")
        taps(k, g, oh, ow, tap)
        k.store(m.narrow(b.load(acc, typ=m.ty)), k.ptrs[0], out.dtype, at(k, out, [n, oh, ow, oc]))
    k.grid_stride(out.size, element)
    lw.launch(k, n_threads=out.size, views=[out, x, f])


def _gradient_output(lw, node, op, filter_arg, x_shape, f_shape, dy):
    """(geometry, output channels, bound output buffer) of a conv2d gradient, its filter and
    out_backprop shapes checked against the geometry as TF checks them."""
    g = _geo(op, node, x_shape, f_shape)
    o = f_shape[3]
    g.expect(filter_arg, f_shape, (g.kh, g.kw, g.c, o))
    g.expect("out_backprop", dy.shape, (g.n, g.oh, g.ow, o))
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    return g, o, out


def lower_backprop_input(lw, node):
    """conv2d_backprop_input: one thread per input element, gathering its windows' taps."""
    _, fv, dyv = node.data_inputs
    f, dy = lw.view(fv), lw.view(dyv)
    g, o, out = _gradient_output(lw, node, "Conv2DBackpropInput", "filter",
                                 lw.spec(node.outputs[0]).shape, f.shape, dy)
    if not out.size:
        return
    dt = out.dtype
    k = GpuKernel(lw.module, lw.fresh_name("conv2d_backprop_input"), 3,
                  lw.annotate(node, "direct, per input element"))
    m = _Math(k, dt)
    b = k.b
    ty = reg_type(dt)

    def element(t):
        n, ih, iw, c = unravel(b, t, out.shape)
        total = k.alloca(ty)
        b.store(ir.Constant(ty, 0.0), total)

        def tap(i, j, oh, ow):
            col = m.accumulator()
            k.loops.range(o, lambda oc: m.madd(col, m.load(k.ptrs[2], dy, [n, oh, ow, oc]),
                                               m.load(k.ptrs[1], f, [i, j, c, oc])),
                          name="o")
            b.store(b.fadd(b.load(total, typ=ty), m.narrow(b.load(col, typ=m.ty))), total)
        input_taps(k, g, ih, iw, tap)
        k.store(b.load(total, typ=ty), k.ptrs[0], dt, at(k, out, [n, ih, iw, c]))
    k.grid_stride(out.size, element)
    lw.launch(k, n_threads=out.size, views=[out, f, dy])


def filter_chunks(positions, elements):
    """(chunk length, chunk count) of the filter gradient's sum over `positions`: enough chunks
    that elements x chunks reaches FILTER_THREADS, none shorter than CHUNK_MIN; shapes only.

    Example: filter_chunks(64 * 26 * 26, 3 * 3 * 1 * 16) == (96, 451)."""
    if positions <= 0:
        return 0, 0
    want = max(1, FILTER_THREADS // max(elements, 1))
    length = max(CHUNK_MIN, -(-positions // want))
    return length, -(-positions // length)


def lower_backprop_filter(lw, node):
    """conv2d_backprop_filter: chunked sums over positions, then the chunks added in order."""
    xv, _, dyv = node.data_inputs
    x, dy = lw.view(xv), lw.view(dyv)
    g, o, out = _gradient_output(lw, node, "Conv2DBackpropFilter", "filter_sizes", x.shape,
                                 lw.spec(node.outputs[0]).shape, dy)
    if not out.size:
        return
    dt = out.dtype
    if not g.n * g.p:   # no positions (an empty batch or image): the gradient is zero
        zero = ir.Constant(reg_type(dt), 0.0)
        emit_map(lw, "zeros", [out], [], lambda s, vals: [zero], lw.annotate(node, "zeros"))
        return
    elements = out.size
    pos_shape = (g.n, g.oh, g.ow)
    length, chunks = filter_chunks(g.n * g.p, elements)
    partial = (lw.alloc_spec(compute_dtype(dt), (chunks, elements)) if chunks > 1 else None)
    k = GpuKernel(lw.module, lw.fresh_name("conv2d_backprop_filter"), 3,
                  lw.annotate(node, f"direct, {max(chunks, 1)} chunk(s) of {length} positions"))
    m = _Math(k, dt)
    b = k.b

    def element(t):
        chunk = b.udiv(t, i64(elements))
        e = b.urem(t, i64(elements))
        i, j, c, oc = unravel(b, e, out.shape)
        acc = m.accumulator()
        start = b.mul(chunk, i64(length))
        end = b.add(start, i64(length))
        end = b.select(b.icmp_signed("<", end, i64(g.n * g.p)), end, i64(g.n * g.p))

        # (n, oh, ow) of the chunk's first position, then stepped without a division
        cursor = [k.alloca(I64) for _ in pos_shape]
        for slot, v in zip(cursor, unravel(b, start, pos_shape)):
            b.store(v, slot)

        def position(r):
            n, oh, ow = (b.load(slot, typ=I64) for slot in cursor)
            wrap_w = b.icmp_signed("==", b.add(ow, i64(1)), i64(g.ow))
            b.store(b.select(wrap_w, i64(0), b.add(ow, i64(1))), cursor[2])
            oh1 = b.select(wrap_w, b.add(oh, i64(1)), oh)
            wrap_h = b.icmp_signed("==", oh1, i64(g.oh))
            b.store(b.select(wrap_h, i64(0), oh1), cursor[1])
            b.store(b.select(wrap_h, b.add(n, i64(1)), n), cursor[0])
            ih = b.add(b.sub(b.mul(oh, i64(g.sh)), i64(g.pt)), b.mul(i, i64(g.dh)))
            iw = b.add(b.sub(b.mul(ow, i64(g.sw)), i64(g.pl)), b.mul(j, i64(g.dw)))
            inside = b.and_(b.icmp_unsigned("<", ih, i64(g.h)),
                            b.icmp_unsigned("<", iw, i64(g.w)))
            with b.if_then(inside):
                m.madd(acc, m.load(k.ptrs[1], x, [n, ih, iw, c]),
                       m.load(k.ptrs[2], dy, [n, oh, ow, oc]))
        k.strided_range(start, end, i64(1), position, "r")
        total = b.load(acc, typ=m.ty)
        if partial is None:
            k.store(m.narrow(total), k.ptrs[0], dt, at(k, out, [i, j, c, oc]))
        else:
            k.store(total, k.ptrs[0], partial.dtype, t)
    n_threads = elements * max(chunks, 1)
    k.grid_stride(n_threads, element)
    lw.launch(k, n_threads=n_threads, views=[partial or out, x, dy])
    if partial is None:
        return
    k2 = GpuKernel(lw.module, lw.fresh_name("conv2d_backprop_filter_sum"), 2,
                   lw.annotate(node, f"sum of {chunks} chunks in order"))
    m2 = _Math(k2, dt)
    b2 = k2.b

    def finish(e):
        acc = m2.accumulator()

        def add(ch):
            v = k2.load(k2.ptrs[1], partial.dtype, b2.add(b2.mul(ch, i64(elements)), e))
            b2.store(b2.fadd(b2.load(acc, typ=m2.ty), v), acc)
        k2.loops.range(chunks, add, name="ch")
        k2.store(m2.narrow(b2.load(acc, typ=m2.ty)), k2.ptrs[0], dt,
                 at(k2, out, unravel(b2, e, out.shape)))
    k2.grid_stride(elements, finish)
    lw.launch(k2, n_threads=elements, views=[out, partial])


LOWERINGS = {
    "conv2d": lower_conv2d,
    "conv2d_backprop_input": lower_backprop_input,
    "conv2d_backprop_filter": lower_backprop_filter,
}

__all__ = ["LOWERINGS", "filter_chunks", "lower_conv2d", "lower_backprop_input",
           "lower_backprop_filter"]
