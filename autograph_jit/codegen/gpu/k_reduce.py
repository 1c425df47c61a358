"""GPU reductions: reduce_* and reduction fusion nodes (row, column and full reductions).

Deterministic, no atomics: blocks take output elements in a grid-stride loop (one block per
output element at a time); each thread accumulates a strided share of the reduced elements in
the CPU backend's accumulator type (float64 for float32 sums), then the block combines the
partial values in a fixed tree (warp shuffles, one shared slot a warp, warp 0 finishes) and
thread 0 stores. Identity, combine, mean and narrowing are the CPU backend's (k_reduce.py), so
integer results equal the CPU's bit for bit and float sums differ only by summation order.
"""
from ..llvm.emit import I64, View, collapse, i64
from ..llvm.k_map import fusion_compute
from ..llvm.k_reduce import _Prefix, _acc_type, _combine, _identity, _mean, _narrow, _widen, \
    norm_axes
from ..llvm.scalar import ScalarEmitter
from .kernel import GpuKernel
from .k_map import unravel


def emit_reduce(lw, node, op, x_spec, axes, out, ins, produce, annotation):
    """out: output View; ins: input Views (broadcast to x_spec.shape); produce(s, vals) -> x."""
    dt = x_spec.dtype
    shape = x_spec.shape
    kept = [d for d in range(len(shape)) if d not in axes]
    red = list(axes)
    in_strides = [v.broadcast_strides(shape) for v in ins]
    out_full = View(None, out.dtype, [shape[d] for d in kept])
    k_shape, k_str = collapse([shape[d] for d in kept],
                              [out_full.strides] + [[st[d] for d in kept] for st in in_strides])
    r_shape, r_str = collapse([shape[d] for d in red], [[st[d] for d in red] for st in in_strides])
    n_out = 1
    for d in k_shape:
        n_out *= d
    n_red = 1
    for d in r_shape:
        n_red *= d
    if not n_out or not out.size:
        return
    k = GpuKernel(lw.module, lw.fresh_name(op), 1 + len(ins), annotation)
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    acc_ty = _acc_type(op, dt)
    b = k.b

    def per_output(o):
        oidx = unravel(b, o, k_shape)
        bases = [k.linear(v.offset, k_str[1 + j], oidx) for j, v in enumerate(ins)]
        slot = k.alloca(acc_ty)
        b.store(_identity(op, dt, acc_ty), slot)

        def inner(r):
            ridx = unravel(b, r, r_shape)
            vals = []
            for j, v in enumerate(ins):
                lin = b.add(bases[j], k.linear(0, r_str[j], ridx)) if r_shape else bases[j]
                vals.append(k.load(k.ptrs[1 + j], v.dtype, lin))
            x = _widen(b, produce(s, vals), dt, acc_ty)
            b.store(_combine(s, op, dt, b.load(slot), x), slot)
        tid = b.zext(k.sreg("tid"), I64)
        ntid = b.zext(k.sreg("ntid"), I64)
        k.strided_range(tid, i64(n_red), ntid, inner, "r")
        acc = k.block_reduce(b.load(slot), lambda x, y: _combine(s, op, dt, x, y),
                             _identity(op, dt, acc_ty))
        with b.if_then(b.icmp_unsigned("==", tid, i64(0))):
            if op == "reduce_mean":
                acc = _mean(s, dt, acc, n_red)
            acc = _narrow(s, acc, dt, out.dtype) if out.dtype.name != "bool" else acc
            k.store(acc, k.ptrs[0], out.dtype, k.linear(out.offset, k_str[0], oidx))
    k.grid_stride(n_out, per_output, per_block=True)
    cfg = lw.launch_config
    lw.launch(k, grid=(max(1, min(n_out, cfg.max_blocks)), 1, 1), block=(cfg.reduce_block, 1, 1),
              views=[out] + list(ins))


def lower_reduce(lw, node):
    x = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    axes = norm_axes(node.attrs["axis"], len(spec.shape))
    out = lw.alloc_for(node.outputs[0])
    emit_reduce(lw, node, node.op.name, spec, axes, out, [x], lambda s, vals: vals[0],
                lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_fusion_reduction(lw, node):
    body = node.attrs["body"]
    red = [n for n in body.nodes if n.op.name.startswith("reduce_")][-1]
    x_val = red.data_inputs[0]
    spec = lw.spec(x_val)
    ins = [lw.view(v) for v in node.data_inputs]
    compute = fusion_compute(lw, _Prefix(body, red), [x_val])
    axes = norm_axes(red.attrs["axis"], len(spec.shape))
    out = lw.alloc_for(node.data_outputs[0])
    emit_reduce(lw, node, red.op.name, spec, axes, out, ins,
                lambda s, vals: compute(s, vals)[0],
                lw.annotate(node, node.attrs.get("label", "fusion")))
    lw.bind(node.data_outputs[0], out)


__all__ = ["emit_reduce", "lower_reduce", "lower_fusion_reduction"]
