"""Sliding-window geometry and loops shared by the NHWC convolution and pooling kernels
(k_conv.py, k_pool.py): the window of one op, tap loops that check each tap against the image
(padding is never memory), and element-offset helpers.

Geometry comes from conv_ops._geometry, the interpreter's own rule; an invalid one raises
NotLowerable so the interpreter reports it exactly as eager does.
"""
from llvmlite import ir

from ...ops.conv_ops import _geometry
from ...errors import InvalidArgumentError
from .emit import i64, reg_type
from .k_array import NotLowerable


class Geo:
    """Window geometry of one op: sizes, strides, dilations and the padding before."""

    def __init__(self, op, x_shape, ksize, strides, padding, dilations=(1, 1)):
        self.n, self.h, self.w, self.c = (int(d) for d in x_shape)
        self.kh, self.kw = (int(d) for d in ksize)
        self.sh, self.sw = strides
        self.dh, self.dw = dilations
        try:
            (self.oh, self.ow), ((self.pt, _), (self.pl, _)) = _geometry(
                op, self.h, self.w, (self.kh, self.kw), strides, padding, dilations)
        except InvalidArgumentError as e:  # the interpreter raises it, at run time
            raise NotLowerable(str(e)) from e

    def expect(self, what, shape, want):
        """Operand shapes the kernel relies on (else the interpreter runs the op: it raises or
        broadcasts exactly as eager does, and nothing is read out of bounds)."""
        if tuple(shape) != tuple(want):
            raise NotLowerable(f"{what} of shape {tuple(shape)} where {tuple(want)} is expected")

    @property
    def p(self):
        return self.oh * self.ow


def _origin(k, g, oh, ow):
    """(ih, iw) of tap (0, 0) of output (oh, ow): negative on the padding before the image."""
    b = k.b
    return b.sub(b.mul(oh, i64(g.sh)), i64(g.pt)), b.sub(b.mul(ow, i64(g.sw)), i64(g.pl))


def taps(k, g, oh, ow, body):
    """For each kernel tap (i, j) of output (oh, ow): body(i, j, ih, iw, inside: i1)."""
    b = k.b
    ih0, iw0 = _origin(k, g, oh, ow)

    def ti(i):
        ih = b.add(ih0, b.mul(i, i64(g.dh)))
        in_h = b.icmp_unsigned("<", ih, i64(g.h))  # negative wraps to huge: outside

        def tj(j):
            iw = b.add(iw0, b.mul(j, i64(g.dw)))
            body(i, j, ih, iw, b.and_(in_h, b.icmp_unsigned("<", iw, i64(g.w))))
        k.loops.range(g.kw, tj, name="tj")
    k.loops.range(g.kh, ti, name="ti")


def unrolled_taps(k, g, oh, ow):
    """`taps` unrolled at build time, for windows small enough to keep in registers:
    [(inside: i1, ih, iw)] for each tap of output (oh, ow) in row-major order, where a tap
    outside the image names pixel (0, 0) instead (a safe address to load from)."""
    b = k.b
    ih0, iw0 = _origin(k, g, oh, ow)
    out = []
    for i in range(g.kh):
        ih = b.add(ih0, i64(i * g.dh))
        in_h = b.icmp_unsigned("<", ih, i64(g.h))  # negative wraps to huge: outside
        for j in range(g.kw):
            iw = b.add(iw0, i64(j * g.dw))
            inside = b.and_(in_h, b.icmp_unsigned("<", iw, i64(g.w)))
            out.append((inside, b.select(inside, ih, i64(0)), b.select(inside, iw, i64(0))))
    return out


def taps_outermost(k, g, body):
    """body(oh, ow, i, j, ih, iw, inside) over every output and tap, taps outermost: scatters add
    tap by tap, as the eager kernels' per-tap slice adds (float16 rounds every add, so the
    order of the adds into one pixel is part of the result)."""
    b = k.b

    def ti(i):
        def tj(j):
            def at(oh, ow):
                ih0, iw0 = _origin(k, g, oh, ow)
                ih, iw = b.add(ih0, b.mul(i, i64(g.dh))), b.add(iw0, b.mul(j, i64(g.dw)))
                inside = b.and_(b.icmp_unsigned("<", ih, i64(g.h)),
                                b.icmp_unsigned("<", iw, i64(g.w)))
                body(oh, ow, i, j, ih, iw, inside)
            outputs(k, g, at)
        k.loops.range(g.kw, tj, name="tj")
    k.loops.range(g.kh, ti, name="ti")


def outputs(k, g, body):
    """body(oh, ow) over every output position."""
    k.loops.range(g.oh, lambda oh: k.loops.range(g.ow, lambda ow: body(oh, ow), name="ow"),
                  name="oh")


def pixel(k, st, n, ih, iw):
    """Element offset of pixel (n, ih, iw) under strides st (channel 0)."""
    b = k.b
    return b.add(b.add(b.mul(n, i64(st[0])), b.mul(ih, i64(st[1]))), b.mul(iw, i64(st[2])))


def zero(k, ptr, dt, count, base=None):
    """ptr[base + i] = 0 for i < count."""
    b = k.b
    zero = ir.Constant(reg_type(dt), 0)
    k.loops.range(count, lambda i: k.store(zero, ptr, dt, i if base is None else b.add(base, i)),
                  name="zero")
