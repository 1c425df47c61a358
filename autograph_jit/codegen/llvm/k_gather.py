"""Native gathers and scatter-adds driven by index tensors or compile-time tables.

- `gather_nd`: for each index tuple, every component is bounds-checked (TF's message) and picks
  a slice of params.
- `gather_grad` / `gather_nd_grad` (the gathers' VJPs): zeros, then a sequential scatter-add over
  the gradient's elements, every index checked; duplicates accumulate (as np.add.at).
- `pad` REFLECT / SYMMETRIC: separable, so each dimension gets a compile-time table (output index
  -> input element offset, from np.pad on an arange) and the kernel is a table-driven gather.
  `mirror_pad_grad` is the same tables used as a scatter-add target (borders fold back).
Batched forms (batch_dims > 0, e.g. tf.sort of a matrix) are native too.
"""
import numpy as np

from ... import dtypes
from .emit import Kernel, i64, contiguous_strides
from .k_array import (NotLowerable, lower_gather as lower_plain_gather,
                      lower_pad as lower_constant_pad)
from .k_map import emit_map, emit_copy
from .scalar import ScalarEmitter, cast_value


def _zeros(lw, node, out):
    dt = out.dtype
    emit_map(lw, "zeros", [out], [], lambda s, vals: [s.const(dt, 0)], lw.annotate(node))


def _add(k, dtype, ptr, lin, value):
    b = k.b
    old = k.load(ptr, dtype, lin)
    k.store(b.fadd(old, value) if dtype.is_floating else b.add(old, value), ptr, dtype, lin)


# ----------------------------------------------------------------------------------------------
# gather_nd and the scatter-add gradients
# ----------------------------------------------------------------------------------------------


def _nd_emit(lw, node, op, p_shape, p_strides, idx, visit, nb=0):
    """Loop over the index tuples of idx (shape [..., k]); check each against p_shape[nb:] and
    call visit(k, s, j_idx, base) with base = the offset of the batch index (the first nb
    dims of j_idx) plus sum(component_t * p_strides[nb + t]) (an i64 value).
    Returns the kernel (ptrs[2] is idx)."""
    kdim = idx.shape[-1]
    if kdim == 0 or kdim > 5:
        raise NotLowerable(f"{op} with {kdim}-component indices")
    shape_txt = ",".join(str(d) for d in p_shape)
    row = ", ".join(f"{{{t + 2}}}" for t in range(kdim))
    code = lw.errors.code(f"indices[{{1}}] = [{row}] does not index into param shape "
                          f"[{shape_txt}] [Op:{op}]", lw.where(node))
    k = Kernel(lw.module, lw.fresh_name(op), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    lead = idx.shape[:-1]
    flat_strides = contiguous_strides(lead)

    def tuple_body(jidx):
        vals, bad = [], None
        for t in range(kdim):
            lin = k.linear(0, idx.strides, list(jidx) + [i64(t)])
            v = cast_value(s, k.load(k.ptrs[2], idx.dtype, lin), idx.dtype, dtypes.int64)
            out_of = b.icmp_unsigned(">=", v, i64(p_shape[nb + t]))
            bad = out_of if bad is None else b.or_(bad, out_of)
            vals.append(v)
        k.fail(bad, code, [k.linear(0, flat_strides, jidx)] + vals)
        base = k.linear(0, p_strides[:nb], jidx[:nb])
        for t, v in enumerate(vals):
            base = b.add(base, b.mul(v, i64(p_strides[nb + t])))
        visit(k, s, jidx, base)
    if int(np.prod(lead, dtype=np.int64)):
        k.loops.nest(lead, tuple_body, name="j")
    return k


def lower_gather_nd(lw, node):
    nb = node.attrs["batch_dims"]
    p_v, i_v = node.data_inputs
    p, idx = lw.view(p_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    kdim = idx.shape[-1]
    rest = p.shape[nb + kdim:]

    def visit(k, s, jidx, base):
        def inner(ridx):
            src = k.b.add(base, k.linear(0, p.strides[nb + kdim:], ridx))
            dst = k.linear(0, out.strides, list(jidx) + list(ridx))
            k.store(k.load(k.ptrs[1], p.dtype, src), k.ptrs[0], out.dtype, dst)
        if int(np.prod(rest, dtype=np.int64)):
            k.loops.nest(rest, inner, name="r")
    k = _nd_emit(lw, node, "gather_nd", p.shape, p.strides, idx, visit, nb)
    lw.call_kernel(k, [out, p, idx])
    lw.bind(node.outputs[0], out)


def lower_gather_nd_grad(lw, node):
    nb = node.attrs["batch_dims"]
    g_v, i_v, _ = node.data_inputs
    g, idx = lw.view(g_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])  # contiguous
    kdim = idx.shape[-1]
    rest = out.shape[nb + kdim:]
    if out.size:
        _zeros(lw, node, out)

    def visit(k, s, jidx, base):
        def inner(ridx):
            dst = k.b.add(base, k.linear(0, out.strides[nb + kdim:], ridx))
            src = k.linear(0, g.strides, list(jidx) + list(ridx))
            _add(k, out.dtype, k.ptrs[0], dst, k.load(k.ptrs[1], g.dtype, src))
        if int(np.prod(rest, dtype=np.int64)):
            k.loops.nest(rest, inner, name="r")
    k = _nd_emit(lw, node, "gather_nd_grad", out.shape, out.strides, idx, visit, nb)
    lw.call_kernel(k, [out, g, idx])
    lw.bind(node.outputs[0], out)


def _emit_gather(lw, node, op, out, src, dst_is_p, p_shape, idx, axis, nb):
    """Shared loop of gather (dst_is_p False: out[o] = p[...]) and gather_grad (True:
    out_p[...] += g[o]); `o` runs over p[:axis] + idx[nb:] + p[axis+1:]."""
    n = p_shape[axis]
    ir_ = len(idx.shape)
    if ir_ > 5:
        raise NotLowerable(f"{op} with rank-{ir_} indices")
    pos = ",".join(f"{{{t + 1}}}" for t in range(ir_))
    code = lw.errors.code(f"indices[{pos}] = {{{ir_ + 1}}} is not in [0, {n}) [Op:{op}]",
                          lw.where(node))
    k = Kernel(lw.module, lw.fresh_name(op), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    p_view = out if dst_is_p else src
    o_view = src if dst_is_p else out
    nj = ir_ - nb

    def body(oidx):
        j_i = list(oidx[:nb]) + list(oidx[axis:axis + nj])
        j = cast_value(s, k.load(k.ptrs[2], idx.dtype, k.linear(0, idx.strides, j_i)),
                       idx.dtype, dtypes.int64)
        k.fail(b.icmp_unsigned(">=", j, i64(n)), code, j_i + [j])
        p_lin = b.add(k.linear(0, p_view.strides[:axis], oidx[:axis]),
                      b.add(b.mul(j, i64(p_view.strides[axis])),
                            k.linear(0, p_view.strides[axis + 1:], oidx[axis + nj:])))
        o_lin = k.linear(0, o_view.strides, oidx)
        if dst_is_p:
            _add(k, out.dtype, k.ptrs[0], p_lin, k.load(k.ptrs[1], src.dtype, o_lin))
        else:
            k.store(k.load(k.ptrs[1], src.dtype, p_lin), k.ptrs[0], out.dtype, o_lin)
    loop = o_view.shape
    if int(np.prod(loop, dtype=np.int64)):
        k.loops.nest(loop, body)
    elif idx.size:  # nothing moves, but the indices are still checked
        def check(jidx):
            j = cast_value(s, k.load(k.ptrs[2], idx.dtype, k.linear(0, idx.strides, jidx)),
                           idx.dtype, dtypes.int64)
            k.fail(b.icmp_unsigned(">=", j, i64(n)), code, list(jidx) + [j])
        k.loops.nest(idx.shape, check)
    lw.call_kernel(k, [out, src, idx])


def lower_gather(lw, node):
    """batch_dims == 0 is k_array's gather; batched gathers (tf.sort of a matrix) here."""
    nb = node.attrs["batch_dims"]
    if not nb:
        return lower_plain_gather(lw, node)
    p_v, i_v = node.data_inputs
    p, idx = lw.view(p_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(p.shape)
    _emit_gather(lw, node, "gather", out, p, False, p.shape, idx, axis, nb)
    lw.bind(node.outputs[0], out)


def lower_gather_grad(lw, node):
    g_v, i_v, _ = node.data_inputs
    g, idx = lw.view(g_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    if out.size:
        _zeros(lw, node, out)
    _emit_gather(lw, node, "gather_grad", out, g, True, out.shape, idx, axis,
                 node.attrs["batch_dims"])
    lw.bind(node.outputs[0], out)


# ----------------------------------------------------------------------------------------------
# mirror pads: compile-time tables
# ----------------------------------------------------------------------------------------------


def _mirror_tables(lw, mode, core_shape, pads, strides):
    """Per dim: constant i64 table (padded index -> core element offset along that dim)."""
    np_mode = "reflect" if mode == "REFLECT" else "symmetric"
    tables = []
    for n, (lo, hi), st in zip(core_shape, pads, strides):
        m = np.pad(np.arange(n, dtype=np.int64), (lo, hi), mode=np_mode) if n else \
            np.zeros(lo + hi, np.int64)
        tables.append(lw.constant_view(m * int(st)))
    return tables


def _table_kernel(lw, node, name, loop_shape, views, tables, step):
    """One kernel over loop_shape; step(k, idx, table_offset) emits the per-element code."""
    k = Kernel(lw.module, lw.fresh_name(name), len(views) + len(tables), lw.annotate(node))
    b = k.b
    first = len(views)

    def body(idx):
        off = i64(0)
        for d, i in enumerate(idx):
            off = b.add(off, k.load(k.ptrs[first + d], dtypes.int64, i))
        step(k, idx, off)
    if int(np.prod(loop_shape, dtype=np.int64)):
        k.loops.nest(loop_shape, body)
    lw.call_kernel(k, list(views) + tables)


def _mirror_operands(lw, node, x_v, p_v, what):
    """(input view, output buffer, paddings as [[before, after], ...]) of a mirror pad or its
    gradient; paddings must be known at compile time. A scalar input is copied through and the
    output bound here: paddings come back None and the caller is done."""
    pads = lw.spec(p_v).value
    if pads is None:
        raise NotLowerable(f"{what} with run-time paddings")
    x = lw.view(x_v)
    out = lw.alloc_for(node.outputs[0])
    if not x.shape:
        emit_copy(lw, out, x)
        lw.bind(node.outputs[0], out)
        return x, out, None
    return x, out, np.asarray(pads).reshape(len(x.shape), 2).tolist()


def lower_mirror_pad(lw, node):
    x_v, p_v, _ = node.data_inputs
    x, out, pads = _mirror_operands(lw, node, x_v, p_v, "pad")
    if pads is None:
        return
    tables = _mirror_tables(lw, node.attrs["mode"], x.shape, pads, x.strides)

    def step(k, idx, off):
        k.store(k.load(k.ptrs[1], x.dtype, off), k.ptrs[0], out.dtype,
                k.linear(0, out.strides, idx))
    _table_kernel(lw, node, "mirror_pad", out.shape, [out, x], tables, step)
    lw.bind(node.outputs[0], out)


def lower_mirror_pad_grad(lw, node):
    g_v, p_v = node.data_inputs
    g, out, pads = _mirror_operands(lw, node, g_v, p_v, "mirror_pad_grad")
    if pads is None:
        return
    if out.size:
        _zeros(lw, node, out)
    tables = _mirror_tables(lw, node.attrs["mode"], out.shape, pads, out.strides)

    def step(k, idx, off):
        _add(k, out.dtype, k.ptrs[0], off,
             k.load(k.ptrs[1], g.dtype, k.linear(0, g.strides, idx)))
    _table_kernel(lw, node, "mirror_pad_grad", g.shape if out.size else (0,), [out, g],
                  tables, step)
    lw.bind(node.outputs[0], out)


def lower_pad(lw, node):
    """CONSTANT pads are strided copies (k_array); REFLECT / SYMMETRIC use tables."""
    if node.attrs["mode"] == "CONSTANT":
        return lower_constant_pad(lw, node)
    return lower_mirror_pad(lw, node)


LOWERINGS = {
    "pad": lower_pad,
    "gather": lower_gather,
    "gather_nd": lower_gather_nd,
    "gather_nd_grad": lower_gather_nd_grad,
    "gather_grad": lower_gather_grad,
    "mirror_pad_grad": lower_mirror_pad_grad,
}

__all__ = ["LOWERINGS"]
