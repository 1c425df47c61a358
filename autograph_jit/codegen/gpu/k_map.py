"""GPU map kernels: elementwise ops, elementwise fusion nodes, casts and strided copies.

One grid-stride loop over the flat output index (thread i handles i, i + gridDim*blockDim, ...);
the index is split into the output's dimensions (adjacent dimensions contiguous for every operand
merged first, so a same-shape chain does no division) and every operand is read through its
strides. The element code is the CPU backend's (`fusion_compute`, `emit_scalar`) through the
GpuKernel adapter, so both backends compute each element the same way.
"""

from ..llvm.emit import collapse, i64
from ..llvm.k_map import fusion_compute
from ..llvm.scalar import ScalarEmitter, emit_scalar
from .kernel import GpuKernel


def unravel(b, i, shape):
    """Indices (i64 values) of flat index `i` in row-major `shape`."""
    if len(shape) <= 1:
        return [i] if shape else []
    idx, rest = [], i
    for d in reversed(shape[1:]):
        idx.append(b.urem(rest, i64(d)))
        rest = b.udiv(rest, i64(d))
    idx.append(rest)
    return list(reversed(idx))


def emit_map(lw, name, outs, ins, compute, annotation="", location=""):
    """outs: output Views (one shape); ins: Views broadcastable to it;
    compute(s, values) -> output register values."""
    shape = outs[0].shape
    size = 1
    for d in shape:
        size *= d
    if not size:
        return
    strides = [o.strides for o in outs] + [v.broadcast_strides(shape) for v in ins]
    cshape, cstrides = collapse(shape, strides)
    views = list(outs) + list(ins)
    k = GpuKernel(lw.module, lw.fresh_name(name), len(views), annotation)
    s = ScalarEmitter(k, lw.errors, location)
    s.math = lw.math_provider

    def body(i):
        idx = unravel(k.b, i, cshape)
        vals = []
        for j, v in enumerate(ins):
            p = len(outs) + j
            vals.append(k.load(k.ptrs[p], v.dtype, k.linear(v.offset, cstrides[p], idx)))
        results = compute(s, vals)
        for j, o in enumerate(outs):
            k.store(results[j], k.ptrs[j], o.dtype, k.linear(o.offset, cstrides[j], idx))
    k.grid_stride(size, body)
    lw.launch(k, n_threads=size, views=views)


def emit_copy(lw, dst, src, annotation="copy"):
    emit_map(lw, "copy", [dst], [src], lambda s, vals: vals, annotation)


def lower_elementwise(lw, node):
    ins = [lw.view(v) for v in node.data_inputs]
    out = lw.alloc_for(node.outputs[0])
    in_dtypes = [v.dtype for v in ins]

    def compute(s, vals):
        return [emit_scalar(s, node.op.name, in_dtypes, out.dtype, vals, node.attrs)]
    emit_map(lw, node.op.name, [out], ins, compute, lw.annotate(node), lw.where(node))
    lw.bind(node.outputs[0], out)


def lower_fusion_elementwise(lw, node):
    body = node.attrs["body"]
    ins = [lw.view(v) for v in node.data_inputs]
    outs = [lw.alloc_for(v) for v in node.data_outputs]
    compute = fusion_compute(lw, body, body.data_results)
    emit_map(lw, "fusion", outs, ins, compute,
             lw.annotate(node, node.attrs.get("label", "fusion")), lw.where(node))
    for v, o in zip(node.data_outputs, outs):
        lw.bind(v, o)


__all__ = ["emit_map", "emit_copy", "lower_elementwise", "lower_fusion_elementwise", "unravel"]
