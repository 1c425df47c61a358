"""GPU gathers driven by index tensors and the scatter-adds that are their gradients.

- `gather_nd`, batched `gather` (batch_dims > 0, e.g. tf.sort of a matrix) and REFLECT /
  SYMMETRIC `pad` are the CPU backend's lowerings (codegen/llvm/k_gather.py) rebound to GPU
  kernels (reuse.py): one thread per index tuple / output element, every index checked with
  eager's message.
- `gather_grad`, `gather_nd_grad` and `mirror_pad_grad` add gradient elements into an output
  where indices may repeat. Deterministic and without atomics: each thread *owns* output
  elements and walks, in order, every gradient element that may land there (all index tuples
  for the gathers; the at most three padded positions a core position folds from, per dim, for
  mirror pads), adding the ones that do. That is the CPU backend's sequential scatter-add order
  for each output element, so float results are bit-equal to it. The work is
  output size x index count: right for embedding-sized gradients, slow for huge index sets.
  The indices are checked by a separate kernel over the index tensor (eager's message).
"""
import numpy as np
from llvmlite import ir

from ... import dtypes
from ..llvm import k_gather as _cpu
from ..llvm.emit import i64, reg_type
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import ScalarEmitter, cast_value
from . import k_array
from .k_map import emit_copy, unravel
from .kernel import GpuKernel
from .reuse import rebind

_REBOUND = rebind(_cpu, ["lower_gather_nd", "lower_gather", "lower_mirror_pad"])


def _prod(shape):
    return int(np.prod([int(d) for d in shape], dtype=np.int64))


def _zero(dtype):
    return ir.Constant(reg_type(dtype), 0.0 if dtype.is_floating else 0)


def _add(b, dtype, a, c):
    return b.fadd(a, c) if dtype.is_floating else b.add(a, c)


def _index(k, s, view, lin, slot=2):
    """idx[lin] (lin: element index without the view's offset; the view is argument `slot`)
    as i64."""
    return cast_value(s, k.load(k.ptrs[slot], view.dtype, k.b.add(lin, i64(view.offset))),
                      view.dtype, dtypes.int64)


def _owner_kernel(lw, node, name, out, views, per_element):
    """One thread per element of `out` (contiguous): per_element(k, s, oidx) -> its value."""
    k = GpuKernel(lw.module, lw.fresh_name(name), len(views), lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))

    def body(i):
        oidx = unravel(k.b, i, out.shape)
        k.store(per_element(k, s, oidx), k.ptrs[0], out.dtype, k.linear(0, out.strides, oidx))
    k.grid_stride(out.size, body)
    lw.launch(k, n_threads=out.size, views=views)


def _check_kernel(lw, node, name, idx, n_items, check):
    """One thread per item of the index tensor (argument 0): check(k, s, i) fails on a bad
    index."""
    k = GpuKernel(lw.module, lw.fresh_name(name + "_check"), 1, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    k.grid_stride(n_items, lambda i: check(k, s, i))
    lw.launch(k, n_threads=n_items, views=[idx])


def _accumulate(k, out_dtype, n, inner):
    """acc = 0; for j in range(n): acc = inner(j, acc) (serial, in order); returns acc."""
    b = k.b
    ty = reg_type(out_dtype)
    acc = k.alloca(ty)
    b.store(_zero(out_dtype), acc)
    k.loops.range(n, lambda j: b.store(inner(j, b.load(acc, typ=ty)), acc), name="j")
    return b.load(acc, typ=ty)


def lower_gather_grad(lw, node):
    """zeros of params' shape, then g added at the gathered positions (np.add.at order)."""
    g_v, i_v, _ = node.data_inputs
    g, idx = lw.view(g_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    nb = node.attrs["batch_dims"]
    axis = node.attrs["axis"] % len(out.shape)
    n = out.shape[axis]
    ir_ = len(idx.shape)
    jshape = list(idx.shape[nb:])
    n_j = _prod(jshape)
    if idx.size:
        pos = ",".join(f"{{{t + 1}}}" for t in range(ir_))
        code = lw.errors.code(f"indices[{pos}] = {{{ir_ + 1}}} is not in [0, {n}) "
                              f"[Op:gather_grad]", lw.where(node))

        def check(k, s, i):
            iidx = unravel(k.b, i, idx.shape)
            j = _index(k, s, idx, k.linear(0, idx.strides, iidx), 0)
            k.fail(k.b.icmp_unsigned(">=", j, i64(n)), code, iidx + [j])
        _check_kernel(lw, node, "gather_grad", idx, idx.size, check)
    if not out.size:
        return

    def element(k, s, oidx):
        b = k.b
        pre, a, post = oidx[:axis], oidx[axis], oidx[axis + 1:]

        def add(jf, acc):
            jidx = unravel(b, jf, jshape)
            j = _index(k, s, idx, k.linear(0, idx.strides, list(oidx[:nb]) + jidx))
            gi = k.linear(g.offset, g.strides, list(pre) + jidx + list(post))
            v = k.load(k.ptrs[1], g.dtype, gi)
            return b.select(b.icmp_signed("==", j, a), _add(b, out.dtype, acc, v), acc)
        return _accumulate(k, out.dtype, n_j, add)
    _owner_kernel(lw, node, "gather_grad", out, [out, g, idx], element)


def lower_gather_nd_grad(lw, node):
    """zeros of params' shape, then g added at each index tuple's slice (np.add.at order)."""
    g_v, i_v, _ = node.data_inputs
    g, idx = lw.view(g_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    nb = node.attrs["batch_dims"]
    kdim = idx.shape[-1]
    if kdim == 0 or kdim > 5:
        raise NotLowerable(f"gather_nd_grad with {kdim}-component indices")
    lead = list(idx.shape[:-1])
    jshape = lead[nb:]
    n_j = _prod(jshape)
    p_shape = out.shape
    if _prod(lead):
        shape_txt = ",".join(str(d) for d in p_shape)
        row = ", ".join(f"{{{t + 2}}}" for t in range(kdim))
        code = lw.errors.code(f"indices[{{1}}] = [{row}] does not index into param shape "
                              f"[{shape_txt}] [Op:gather_nd_grad]", lw.where(node))

        def check(k, s, i):
            b = k.b
            jidx = unravel(b, i, lead)
            vals, bad = [], None
            for t in range(kdim):
                v = _index(k, s, idx, k.linear(0, idx.strides, jidx + [i64(t)]), 0)
                out_of = b.icmp_unsigned(">=", v, i64(p_shape[nb + t]))
                bad = out_of if bad is None else b.or_(bad, out_of)
                vals.append(v)
            k.fail(bad, code, [i] + vals)
        _check_kernel(lw, node, "gather_nd_grad", idx, _prod(lead), check)
    if not out.size:
        return

    def element(k, s, oidx):
        b = k.b
        batch, comp, rest = oidx[:nb], oidx[nb:nb + kdim], oidx[nb + kdim:]

        def add(jf, acc):
            jidx = list(batch) + unravel(b, jf, jshape)
            hit = None
            for t in range(kdim):
                v = _index(k, s, idx, k.linear(0, idx.strides, jidx + [i64(t)]))
                eq = b.icmp_signed("==", v, comp[t])
                hit = eq if hit is None else b.and_(hit, eq)
            gi = k.linear(g.offset, g.strides, jidx + list(rest))
            v = k.load(k.ptrs[1], g.dtype, gi)
            return b.select(hit, _add(b, out.dtype, acc, v), acc)
        return _accumulate(k, out.dtype, n_j, add)
    _owner_kernel(lw, node, "gather_nd_grad", out, [out, g, idx], element)


def _inverse_tables(mode, core_shape, pads):
    """Per dim: int64 [n, K] table, core position -> the padded positions it folds from
    (ascending, -1 past the end)."""
    np_mode = "reflect" if mode == "REFLECT" else "symmetric"
    tables = []
    for n, (lo, hi) in zip(core_shape, pads):
        fwd = np.pad(np.arange(n, dtype=np.int64), (lo, hi), mode=np_mode)
        lists = [np.flatnonzero(fwd == c) for c in range(n)]
        width = max(1, max(len(x) for x in lists))
        t = np.full((n, width), -1, np.int64)
        for c, x in enumerate(lists):
            t[c, :len(x)] = x
        tables.append(t)
    return tables


def lower_mirror_pad_grad(lw, node):
    """The gradient of a REFLECT / SYMMETRIC pad: each core element sums the padded positions
    that mirror onto it, in the gradient's row-major order."""
    g_v, p_v = node.data_inputs
    pads = lw.spec(p_v).value
    if pads is None:
        raise NotLowerable("mirror_pad_grad with run-time paddings")
    g = lw.view(g_v)
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if not out.size:
        return
    if not out.shape:
        emit_copy(lw, out, g)
        return
    pads = np.asarray(pads).reshape(len(out.shape), 2).tolist()
    tables = [lw.constant_view(t) for t in _inverse_tables(node.attrs["mode"], out.shape, pads)]
    widths = [t.shape[1] for t in tables]
    rank = len(out.shape)

    def element(k, s, oidx):
        b = k.b
        ty = reg_type(out.dtype)
        acc = k.alloca(ty)
        b.store(_zero(out.dtype), acc)

        def add(widx):
            ps, ok = [], None
            for d in range(rank):
                p = k.load(k.ptrs[2 + d], dtypes.int64,
                           b.add(b.mul(oidx[d], i64(widths[d])), widx[d]))
                good = b.icmp_signed(">=", p, i64(0))
                ok = good if ok is None else b.and_(ok, good)
                ps.append(b.select(good, p, i64(0)))
            v = k.load(k.ptrs[1], g.dtype, k.linear(g.offset, g.strides, ps))
            cur = b.load(acc, typ=ty)
            b.store(b.select(ok, _add(b, out.dtype, cur, v), cur), acc)
        k.loops.nest(widths, add, name="w")
        return b.load(acc, typ=ty)
    _owner_kernel(lw, node, "mirror_pad_grad", out, [out, g] + tables, element)


def lower_gather(lw, node):
    """batch_dims == 0: k_array's gather kernel; batched gathers: the CPU loop nest."""
    if not node.attrs["batch_dims"]:
        return k_array.lower_gather(lw, node)
    return _REBOUND["lower_gather"](lw, node)


def lower_pad(lw, node):
    """CONSTANT pads are strided copies (k_array); REFLECT / SYMMETRIC a table-driven gather."""
    if node.attrs["mode"] == "CONSTANT":
        return k_array.LOWERINGS["pad"](lw, node)
    if not lw.spec(node.data_inputs[0]).shape:
        raise NotLowerable("a mirror pad of a scalar (a copy; the interpreter does it)")
    return _REBOUND["lower_mirror_pad"](lw, node)


LOWERINGS = {
    "gather": lower_gather,
    "gather_nd": _REBOUND["lower_gather_nd"],
    "pad": lower_pad,
    "gather_grad": lower_gather_grad,
    "gather_nd_grad": lower_gather_nd_grad,
    "mirror_pad_grad": lower_mirror_pad_grad,
}

__all__ = ["LOWERINGS"]
