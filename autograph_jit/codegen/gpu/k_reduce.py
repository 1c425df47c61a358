"""GPU reductions: reduce_* and reduction fusion nodes (row, column and full reductions).

Deterministic, no atomics: blocks take output elements in a grid-stride loop (one block per
output element at a time); each thread accumulates a strided share of the reduced elements in
the CPU backend's accumulator type (float64 for float32 sums), then the block combines the
partial values in a fixed tree (warp shuffles, one shared slot a warp, warp 0 finishes) and
thread 0 stores. Only that grid structure is this module's: the per-element body (loads,
the fusion prefix, widening, combine: `accumulate`), identity, mean and narrowing (`finish`)
and the lowerings of the nodes (`reduction_lowerings`) are the CPU backend's
(codegen/llvm/k_reduce.py), so integer results equal the CPU's bit for bit and float sums
differ only by summation order.
"""
from ..llvm.emit import I64, i64
from ..llvm.k_reduce import _acc_type, _combine, _identity, accumulate, finish, \
    reduction_layout, reduction_lowerings
from ..llvm.scalar import ScalarEmitter
from .kernel import GpuKernel
from .k_map import unravel


def emit_reduce(lw, node, op, x_spec, axes, out, ins, produce, annotation):
    """out: output View; ins: input Views (broadcast to x_spec.shape); produce(s, vals) -> x."""
    dt = x_spec.dtype
    k_shape, k_str, r_shape, r_str = reduction_layout(x_spec.shape, axes, out, ins)
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
            accumulate(s, op, dt, acc_ty, slot, ins, bases, r_str, unravel(b, r, r_shape),
                       produce)
        tid = b.zext(k.sreg("tid"), I64)
        ntid = b.zext(k.sreg("ntid"), I64)
        k.strided_range(tid, i64(n_red), ntid, inner, "r")
        acc = k.block_reduce(b.load(slot), lambda x, y: _combine(s, op, dt, x, y),
                             _identity(op, dt, acc_ty))
        with b.if_then(b.icmp_unsigned("==", tid, i64(0))):
            k.store(finish(s, op, dt, acc, n_red, out.dtype), k.ptrs[0], out.dtype,
                    k.linear(out.offset, k_str[0], oidx))
    k.grid_stride(n_out, per_output, per_block=True)
    cfg = lw.launch_config
    lw.launch(k, grid=(max(1, min(n_out, cfg.max_blocks)), 1, 1), block=(cfg.reduce_block, 1, 1),
              views=[out] + list(ins))


# the CPU backend's lowerings of reduce_* and reduction fusion nodes, with this emit_reduce
lower_reduce, lower_fusion_reduction = reduction_lowerings(emit_reduce)


__all__ = ["emit_reduce", "lower_reduce", "lower_fusion_reduction"]
