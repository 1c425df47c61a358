"""GPU NHWC pooling: max_pool2d, avg_pool2d and their gradients as direct kernels, one thread
per element (grid-stride), channels fastest so a warp reads consecutive channels.

- max_pool2d / avg_pool2d: one thread per output element walks its window's taps row-major
  (taps on padding are skipped: padding is never memory). max: NaN propagates, as NumPy's max;
  avg: the sum of the taps inside the image over their count (SAME divides by the real taps).
- max_pool_grad: two kernels. The first finds each window's first maximum in row-major tap
  order (a padded tap holds the dtype's lowest value; NaN counts as the maximum, as NumPy's
  argmax) and stores its tap number, or -1 where that maximum is on padding (dropped, as the
  interpreter's crop). The second runs one thread per input element and adds, taps row-major,
  the gradient of every window whose first maximum it is: a gather, no atomics.
- avg_pool_grad: one thread per input element adds, taps row-major, g / count of every window
  covering it.

The order of adds into one input element is the eager kernels' (tap by tap, row-major), so
float16 results, computed in float16 as there, equal eager's.
"""
from llvmlite import ir

from ... import dtypes
from ..llvm.emit import I32, i32, i64, reg_type
from ..llvm.k_array import NotLowerable
from ..llvm.k_pool import _greater, _is_nan, _lowest, _window_count
from .kernel import GpuKernel
from .k_map import unravel
from .k_window import Geo, at, input_taps, taps

_FLOATS = ("float16", "float32", "float64")


def _geo(op, node, x_shape):
    a = node.attrs
    return Geo(op, x_shape, a["ksize"], a["strides"], a["padding"])


def _numeric(dt, op):
    if dt.name == "bool":
        raise NotLowerable(f"bool {op} runs on the interpreter")


def _float(dt, op):
    if dt.name not in _FLOATS:
        raise NotLowerable(f"{dt.name} {op} runs on the interpreter")


def _per_element(lw, node, name, label, out, views, body):
    """One thread per element of `out` (a grid-stride loop): body(k, b, index of out)."""
    if not out.size:
        return
    k = GpuKernel(lw.module, lw.fresh_name(name), len(views), lw.annotate(node, label))
    k.grid_stride(out.size, lambda t: body(k, k.b, unravel(k.b, t, out.shape)))
    lw.launch(k, n_threads=out.size, views=views)


def lower_max_pool(lw, node):
    """max_pool2d: one thread per output element."""
    x = lw.view(node.data_inputs[0])
    dt = x.dtype
    _numeric(dt, "max_pool2d")
    g = _geo("MaxPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    ty = reg_type(dt)

    def body(k, b, idx):
        n, oh, ow, c = idx
        best = k.alloca(ty)
        b.store(ir.Constant(ty, _lowest(dt)), best)

        def tap(i, j, ih, iw, inside):
            with b.if_then(inside):
                v = k.load(k.ptrs[1], dt, at(k, x, [n, ih, iw, c]))
                cur = b.load(best, typ=ty)
                take = _greater(k, dt, v, cur)
                if dt.is_floating:  # NaN propagates, as NumPy's max
                    take = b.or_(take, _is_nan(k, dt, v))
                b.store(b.select(take, v, cur), best)
        taps(k, g, oh, ow, tap)
        k.store(b.load(best, typ=ty), k.ptrs[0], dt, at(k, out, idx))
    _per_element(lw, node, "max_pool2d", "per output", out, [out, x], body)


def lower_avg_pool(lw, node):
    """avg_pool2d: one thread per output element, sum over the taps inside."""
    x = lw.view(node.data_inputs[0])
    dt = x.dtype
    _float(dt, "avg_pool2d")
    g = _geo("AvgPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    ty = reg_type(dt)

    def body(k, b, idx):
        n, oh, ow, c = idx
        acc = k.alloca(ty)
        b.store(ir.Constant(ty, 0.0), acc)

        def tap(i, j, ih, iw, inside):
            with b.if_then(inside):
                v = k.load(k.ptrs[1], dt, at(k, x, [n, ih, iw, c]))
                b.store(b.fadd(b.load(acc, typ=ty), v), acc)
        taps(k, g, oh, ow, tap)
        count = b.sitofp(_window_count(k, g, oh, ow), ty)
        k.store(b.fdiv(b.load(acc, typ=ty), count), k.ptrs[0], dt, at(k, out, idx))
    _per_element(lw, node, "avg_pool2d", "per output", out, [out, x], body)


def lower_avg_pool_grad(lw, node):
    """avg_pool_grad: one thread per input element, g / count of each window."""
    gr = lw.view(node.data_inputs[1])
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    _float(dt, "avg_pool_grad")
    g = _geo("AvgPoolGrad", node, out_spec.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    ty = reg_type(dt)

    def body(k, b, idx):
        n, ih, iw, c = idx
        acc = k.alloca(ty)
        b.store(ir.Constant(ty, 0.0), acc)

        def tap(i, j, oh, ow):
            share = b.fdiv(k.load(k.ptrs[1], dt, at(k, gr, [n, oh, ow, c])),
                           b.sitofp(_window_count(k, g, oh, ow), ty))
            b.store(b.fadd(b.load(acc, typ=ty), share), acc)
        input_taps(k, g, ih, iw, tap)
        k.store(b.load(acc, typ=ty), k.ptrs[0], dt, at(k, out, idx))
    _per_element(lw, node, "avg_pool_grad", "per input element", out, [out, gr], body)


def lower_max_pool_grad(lw, node):
    """max_pool_grad: each window's first maximum, then a gather per input element."""
    xv, gv = node.data_inputs
    x, gr = lw.view(xv), lw.view(gv)
    dt = x.dtype
    _numeric(dt, "max_pool_grad")
    g = _geo("MaxPoolGrad", node, x.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if not out.size:
        return
    arg = lw.alloc_spec(dtypes.int32, (g.n, g.oh, g.ow, g.c))
    ty = reg_type(dt)
    low = ir.Constant(ty, _lowest(dt))

    def first_max(k, b, idx):
        n, oh, ow, c = idx
        best, best_t, best_in = k.alloca(ty), k.alloca(I32), k.alloca(ir.IntType(1))
        b.store(low, best)
        b.store(i32(-1), best_t)
        b.store(ir.Constant(ir.IntType(1), 0), best_in)

        def tap(i, j, ih, iw, inside):
            t = b.trunc(b.add(b.mul(i, i64(g.kw)), j), I32)
            slot = k.alloca(ty)
            b.store(low, slot)
            with b.if_then(inside):
                b.store(k.load(k.ptrs[1], dt, at(k, x, [n, ih, iw, c])), slot)
            v = b.load(slot, typ=ty)
            cur = b.load(best, typ=ty)
            first = b.icmp_signed("==", t, i32(0))
            better = _greater(k, dt, v, cur)
            if dt.is_floating:  # the first NaN is the maximum, as NumPy's argmax
                better = b.or_(better, b.and_(_is_nan(k, dt, v),
                                              b.not_(_is_nan(k, dt, cur))))
            take = b.or_(first, better)
            b.store(b.select(take, v, cur), best)
            b.store(b.select(take, t, b.load(best_t, typ=I32)), best_t)
            b.store(b.select(take, inside, b.load(best_in, typ=ir.IntType(1))), best_in)
        taps(k, g, oh, ow, tap)
        t = b.select(b.load(best_in, typ=ir.IntType(1)), b.load(best_t, typ=I32), i32(-1))
        k.store(t, k.ptrs[0], dtypes.int32, at(k, arg, idx))
    _per_element(lw, node, "max_pool_argmax", "first maximum of each window", arg, [arg, x],
                 first_max)

    def route(k, b, idx):
        n, ih, iw, c = idx
        acc = k.alloca(ty)
        b.store(ir.Constant(ty, 0.0 if dt.is_floating else 0), acc)

        def tap(i, j, oh, ow):
            t = b.trunc(b.add(b.mul(i, i64(g.kw)), j), I32)
            hit = b.icmp_signed("==", k.load(k.ptrs[1], dtypes.int32, at(k, arg, [n, oh, ow, c])),
                                t)
            with b.if_then(hit):
                v = k.load(k.ptrs[2], dt, at(k, gr, [n, oh, ow, c]))
                cur = b.load(acc, typ=ty)
                b.store(b.fadd(cur, v) if dt.is_floating else b.add(cur, v), acc)
        input_taps(k, g, ih, iw, tap)
        k.store(b.load(acc, typ=ty), k.ptrs[0], dt, at(k, out, idx))
    _per_element(lw, node, "max_pool_grad", "per input element", out, [out, arg, gr], route)


LOWERINGS = {
    "max_pool2d": lower_max_pool,
    "avg_pool2d": lower_avg_pool,
    "max_pool_grad": lower_max_pool_grad,
    "avg_pool_grad": lower_avg_pool_grad,
}

__all__ = ["LOWERINGS"]
