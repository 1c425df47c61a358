"""Sliding-window indexing for the GPU convolution and pooling kernels (k_conv.py, k_pool.py).

The geometry (Geo: sizes, strides, dilations, padding before) and the output-side tap loop
(`taps`: for one output position, every kernel tap and whether it lies inside the image) are
the CPU backend's (codegen/llvm/k_window.py). The gradient kernels here run one thread per input
element and need the other direction: for an input pixel and a kernel tap, the output position
whose window puts that tap on the pixel (`source`), if there is one.
"""
from ..llvm.emit import i64
from ..llvm.k_window import Geo, taps

__all__ = ["Geo", "taps", "source", "input_taps", "at"]


def at(k, view, idx):
    """Element offset of index `idx` (i64 values) in `view` (its offset and strides)."""
    return k.linear(view.offset, view.strides, idx)


def source(k, g, ih, iw, i, j):
    """(oh, ow, valid: i1) of the output whose tap (i, j) reads input pixel (ih, iw):
    oh * sh - pt + i * dh == ih with 0 <= oh < OH (and the same along the width)."""
    b = k.b

    def one(x, tap, pad, dil, stride, size):
        t = b.sub(b.add(x, i64(pad)), b.mul(tap, i64(dil)))
        o = b.sdiv(t, i64(stride))
        ok = b.and_(b.icmp_signed(">=", t, i64(0)),
                    b.icmp_signed("==", b.srem(t, i64(stride)), i64(0)))
        return o, b.and_(ok, b.icmp_signed("<", o, i64(size)))
    oh, ok_h = one(ih, i, g.pt, g.dh, g.sh, g.oh)
    ow, ok_w = one(iw, j, g.pl, g.dw, g.sw, g.ow)
    return oh, ow, b.and_(ok_h, ok_w)


def input_taps(k, g, ih, iw, body):
    """body(i, j, oh, ow) for every tap (i, j), row-major, whose window puts it on input pixel
    (ih, iw) (the row-major tap order is the eager kernels' order of adds)."""
    b = k.b

    def ti(i):
        def tj(j):
            oh, ow, ok = source(k, g, ih, iw, i, j)
            with b.if_then(ok):
                body(i, j, oh, ow)
        k.loops.range(g.kw, tj, name="tj")
    k.loops.range(g.kh, ti, name="ti")
