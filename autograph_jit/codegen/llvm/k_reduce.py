"""Reduction kernels: reduce_* (and reduction fusion nodes), argmax/argmin, cumsum.

One loop nest over the kept dimensions, an inner loop nest over the reduced ones with the
accumulator in a register. Float sums and means accumulate in float64 for float16/float32 inputs
and carry the `reassoc` flag, so LLVM vectorizes them into several partial sums: both faster and
more accurate than a sequential float32 sum (NumPy's pairwise sum is the reference; the harness
allows a relative tolerance of 1e-5 for float32 reductions). Never `nsz` with it: `reassoc nsz`
lets LLVM's Reassociate pass pull a fused element's `x - y` into the sum and cancel terms
(sum(x - x) became 0 for NaN/inf inputs).

Reductions over outer axes that keep the contiguous innermost axis (reduce_sum(x, axis=0), a
Dense bias gradient) would be one strided scalar loop per column; they instead add whole rows
into a stack block of column accumulators (`_emit_columns`), a unit-stride loop LLVM vectorizes,
with the same per-column order and accumulator types.
"""
from llvmlite import ir
import numpy as np

from .emit import F32, F64, I1, Kernel, View, collapse, i64, lanes_short, reg_type
from .scalar import ScalarEmitter, cast_value
from .symdim import Dim
from ... import dtypes
from .k_map import emit_copy, fusion_compute

_FLOAT_ACC = {"float16": F32, "float32": F64, "float64": F64}


def _identity(op, dt, acc_ty):
    if op in ("reduce_sum", "reduce_mean"):
        return ir.Constant(acc_ty, 0.0 if dt.is_floating else 0)
    if op == "reduce_prod":
        return ir.Constant(acc_ty, 1.0 if dt.is_floating else 1)
    if op == "reduce_any":
        return ir.Constant(I1, 0)
    if op == "reduce_all":
        return ir.Constant(I1, 1)
    big = op == "reduce_min"
    if dt.is_floating:
        return ir.Constant(acc_ty, float("inf") if big else float("-inf"))
    info = np.iinfo(dt.np_dtype)
    return ir.Constant(acc_ty, int(info.max if big else info.min))


def _combine(s, op, dt, acc, x):
    b = s.b
    if op in ("reduce_sum", "reduce_mean"):
        if dt.is_floating:
            return b.fadd(acc, x, flags=["reassoc"])
        return b.add(acc, x)
    if op == "reduce_prod":
        return b.fmul(acc, x, flags=["reassoc"]) if dt.is_floating else b.mul(acc, x)
    if op == "reduce_any":
        return b.or_(acc, x)
    if op == "reduce_all":
        return b.and_(acc, x)
    if dt.is_floating:
        return s.intrinsic("maximum" if op == "reduce_max" else "minimum", acc, x)
    pred = ">" if op == "reduce_max" else "<"
    cmp = b.icmp_unsigned if dt.is_unsigned else b.icmp_signed
    return b.select(cmp(pred, x, acc), x, acc)


def _acc_type(op, dt):
    if dt.is_floating and op in ("reduce_sum", "reduce_mean", "reduce_prod"):
        return _FLOAT_ACC[dt.name]
    if op == "reduce_mean" and dt.is_integer:
        return ir.IntType(64)
    return reg_type(dt)


def norm_axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    return tuple(sorted({a % rank for a in axis})) if rank else ()


def accumulate(s, op, dt, acc_ty, slot, ins, bases, r_str, ridx, produce):
    """One reduced element into the accumulator: each input loaded at its base plus the reduced
    index's offset (`r_str[j]`: input j's strides over the reduced dims), the element produced
    from them, widened and combined into `slot`. The body both backends' reduction kernels run
    per element (the CPU's inner loop nest, each GPU thread's strided share).

    Args:
      s: the ScalarEmitter (its kernel `s.k`: the CPU's Kernel or the GPU's GpuKernel).
      op, dt, acc_ty: the reduction, the element dtype, the accumulator type (_acc_type).
      slot: the accumulator's stack slot; ins: the input Views; bases: each input's linear
        index of the output element; ridx: the reduced index (empty: nothing reduced).
      produce: produce(s, vals) -> the element (a fusion body's elementwise prefix).
    """
    k, b = s.k, s.b
    vals = []
    for j, v in enumerate(ins):
        lin = b.add(bases[j], k.linear(0, r_str[j], ridx)) if ridx else bases[j]
        vals.append(k.load(k.ptrs[1 + j], v.dtype, lin))
    x = _widen(b, produce(s, vals), dt, acc_ty)
    b.store(_combine(s, op, dt, b.load(slot), x), slot)


def finish(s, op, dt, acc, n_red, out_dtype):
    """The accumulated value as the output element: divided by the count for reduce_mean,
    narrowed to the output type (both backends, CPU and GPU, store this)."""
    if op == "reduce_mean":
        acc = _mean(s, dt, acc, n_red)
    return _narrow(s, acc, dt, out_dtype)


def reduction_layout(shape, axes, out, ins):
    """The index spaces of a reduction, each collapsed where strides allow: (k_shape, k_str,
    r_shape, r_str): the kept dims with k_str[0] the output's strides and k_str[1 + j] input
    j's, the reduced dims with r_str[j] input j's (inputs broadcast to `shape`). Both backends'
    emit_reduce start from it.

    Example: shape (4, 5), axes (1,): k_shape [4], r_shape [5].
    """
    kept = [d for d in range(len(shape)) if d not in axes]
    red = list(axes)
    in_strides = [v.broadcast_strides(shape) for v in ins]
    # output strides indexed by kept dims (keepdims only adds size-1 dims)
    out_full = View(None, out.dtype, [shape[d] for d in kept])
    k_shape, k_str = collapse([shape[d] for d in kept],
                              [out_full.strides] + [[st[d] for d in kept] for st in in_strides])
    r_shape, r_str = collapse([shape[d] for d in red], [[st[d] for d in red] for st in in_strides])
    return k_shape, k_str, r_shape, r_str


def emit_reduce(lw, node, op, x_spec, axes, out, ins, produce, annotation):
    """out: output View; ins: input Views (broadcast to x_spec.shape); produce(s, vals) -> x."""
    dt = x_spec.dtype
    shape = x_spec.shape
    k_shape, k_str, r_shape, r_str = reduction_layout(shape, axes, out, ins)
    n_red = 1
    for d in axes:
        n_red *= shape[d]
    k = Kernel(lw.module, lw.fresh_name(op), 1 + len(ins), annotation)
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    acc_ty = _acc_type(op, dt)
    if _columns_ok(op, shape, axes, k_shape, k_str, r_shape):
        _emit_columns(k, s, op, dt, out, ins, produce, acc_ty, k_shape, k_str, r_shape, r_str,
                      n_red)
        lw.call_kernel(k, [out] + list(ins))
        return
    b = k.b
    slot = k.alloca(acc_ty)
    in_bases = [None] * len(ins)

    def outer(oidx):
        for j in range(len(ins)):
            in_bases[j] = k.linear(0, k_str[1 + j], oidx)
        b.store(_identity(op, dt, acc_ty), slot)

        def inner(ridx):
            accumulate(s, op, dt, acc_ty, slot, ins, in_bases, r_str, ridx, produce)
        if all(_positive(d) for d in r_shape):
            k.loops.nest(r_shape, inner, name="r")
        acc = finish(s, op, dt, b.load(slot), n_red, out.dtype)
        k.store(acc, k.ptrs[0], out.dtype, k.linear(0, k_str[0], oidx))
    if all(_positive(d) for d in k_shape):
        k.loops.nest(k_shape, outer, name="k")
    lw.call_kernel(k, [out] + list(ins))


COLUMN_BLOCK = 512   # accumulators per column block (on the stack: 4 KiB of float64)
_COLUMN_OPS = ("reduce_sum", "reduce_mean", "reduce_prod", "reduce_max", "reduce_min")


def _columns_ok(op, shape, axes, k_shape, k_str, r_shape):
    """Reduction over outer axes of rows whose innermost axis is kept and contiguous for every
    operand (e.g. reduce_sum(x, axis=0), a Dense bias gradient): accumulate whole rows into a
    block of column accumulators, a unit-stride loop LLVM vectorizes, instead of one strided
    scalar loop per column."""
    if op not in _COLUMN_OPS or not shape or (len(shape) - 1) in axes:
        return False
    if not k_shape or not r_shape or not all(_positive(d) for d in r_shape) \
            or isinstance(k_shape[-1], Dim) or k_shape[-1] < 8:
        return False
    return all(st[-1] in (0, 1) for st in k_str)


def _emit_columns(k, s, op, dt, out, ins, produce, acc_ty, k_shape, k_str, r_shape, r_str,
                  n_red):
    """for each outer kept index, each block of <= COLUMN_BLOCK columns: acc[c] = identity;
    for each reduced index, acc[c] = combine(acc[c], x[..., c]); out[..., c] = finish(acc[c]).
    Each column still combines its values in row order (float sums in float64, as the scalar
    path), so results match it."""
    b = k.b
    cols = k_shape[-1]
    width = min(COLUMN_BLOCK, cols)
    accs = k._ab.alloca(acc_ty, size=width)
    accs.align = 64
    ident = _identity(op, dt, acc_ty)

    def slot(c):
        return b.gep(accs, [c], source_etype=acc_ty, inbounds=True)

    def outer(oidx):
        def block(blk):
            if blk is None:   # every column in one block: constant bounds, no block loop
                c0, w = i64(0), cols
            else:
                c0 = b.mul(blk, i64(width), flags=["nuw", "nsw"])
                rest = b.sub(i64(cols), c0)
                w = b.select(b.icmp_signed("<", rest, i64(width)), rest, i64(width))
            k.loops.range(w, lambda c: b.store(ident, slot(c)), name="init")

            def row(ridx):
                bases = [b.add(k.linear(0, k_str[1 + j], oidx + [c0]),
                               k.linear(0, r_str[j], ridx)) for j in range(len(ins))]

                def col(c):
                    vals = [k.load(k.ptrs[1 + j], v.dtype, b.add(bases[j], c) if
                                   k_str[1 + j][-1] else bases[j]) for j, v in enumerate(ins)]
                    x = _widen(b, produce(s, vals), dt, acc_ty)
                    b.store(_combine(s, op, dt, b.load(slot(c)), x), slot(c))
                # (columns are independent: vectorizing them keeps each column's order)
                k.loops.range(w, col, name="col", short=lanes_short(w))
            k.loops.nest(r_shape, row, name="r")

            def store(c):
                acc = finish(s, op, dt, b.load(slot(c)), n_red, out.dtype)
                k.store(acc, k.ptrs[0], out.dtype, k.linear(0, k_str[0], oidx + [b.add(c0, c)]))
            k.loops.range(w, store, name="out")
        if cols <= width:
            block(None)
        else:
            k.loops.range(-(-cols // width), block, name="blk")
    k.loops.nest(k_shape[:-1], outer, name="k")


def _widen(b, x, dt, acc_ty):
    if acc_ty == x.type:
        return x
    if dt.is_floating:
        return b.fpext(x, acc_ty)
    return b.zext(x, acc_ty) if dt.is_unsigned else b.sext(x, acc_ty)


def _positive(d):
    """A dim that may be > 0 (a symbolic one: its loop tests it at run time)."""
    return isinstance(d, Dim) or d > 0


def _mean(s, dt, acc, n):
    b = s.b
    if isinstance(n, Dim):  # a run-time count: 0/0 is NaN for floats; ints divide by max(n, 1)
        count = s.k.dim(n)
        if dt.is_floating:
            return b.fdiv(acc, b.sitofp(count, acc.type))
        count = b.select(b.icmp_signed("==", count, i64(0)), i64(1), count)
        return b.sdiv(acc, b.trunc(count, acc.type) if acc.type.width < 64 else count)
    if dt.is_floating:
        if n == 0:
            return ir.Constant(acc.type, float("nan"))
        return b.fdiv(acc, ir.Constant(acc.type, float(n)))
    if n == 0:
        return ir.Constant(acc.type, 0)
    return b.sdiv(acc, ir.Constant(acc.type, n))  # truncation toward zero, as the kernel


def _narrow(s, acc, dt, out_dt):
    b = s.b
    ty = reg_type(out_dt)
    if acc.type == ty:
        return acc
    if out_dt.is_floating:
        return b.fptrunc(acc, ty)
    return b.trunc(acc, ty)


def reduction_lowerings(emit):
    """(lower_reduce, lower_fusion_reduction) handing a reduce_* node, or a reduction fusion
    node (its elementwise prefix as `produce`), to `emit(lw, node, op, x_spec, axes, out, ins,
    produce, annotation)`: this backend's emit_reduce (loop nests) or the GPU backend's
    (codegen/gpu/k_reduce.py: a block per output element).

    Example:
        lower_reduce, lower_fusion_reduction = reduction_lowerings(emit_reduce)
    """
    def lower_reduce(lw, node):
        x = lw.view(node.data_inputs[0])
        spec = lw.spec(node.data_inputs[0])
        axes = norm_axes(node.attrs["axis"], len(spec.shape))
        out = lw.alloc_for(node.outputs[0])
        emit(lw, node, node.op.name, spec, axes, out, [x], lambda s, vals: vals[0],
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
        emit(lw, node, red.op.name, spec, axes, out, ins, lambda s, vals: compute(s, vals)[0],
             lw.annotate(node, node.attrs.get("label", "fusion")))
        lw.bind(node.data_outputs[0], out)
    return lower_reduce, lower_fusion_reduction


lower_reduce, lower_fusion_reduction = reduction_lowerings(emit_reduce)


class _Prefix:
    """The elementwise part of a reduction fusion body (the nodes before the reduce)."""

    def __init__(self, body, red):
        self.data_params = body.data_params
        self.nodes = body.nodes[:body.nodes.index(red)]


def lower_arg(lw, node):
    """argmax/argmin along one axis; first index wins ties, NaN wins (as NumPy)."""
    x = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    axis = node.attrs["axis"] % len(spec.shape)
    out = lw.alloc_for(node.outputs[0])
    shape = spec.shape
    n = shape[axis]
    code = lw.errors.code("Reduction axis is empty in argmax/argmin", lw.where(node))
    kept = [d for d in range(len(shape)) if d != axis]
    k = Kernel(lw.module, lw.fresh_name(node.op.name), 2, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    if isinstance(n, Dim):
        k.fail(b.icmp_signed("==", k.dim(n), i64(0)), code)
    elif n == 0:
        k.b.store(i64(code), k.err)
        k.b.ret(ir.Constant(ir.IntType(32), code))
        lw.call_kernel(k, [out, x])
        lw.bind(node.outputs[0], out)
        return
    best = k.alloca(reg_type(spec.dtype))
    best_i = k.alloca(ir.IntType(64))
    pred = ">" if node.op.name == "argmax" else "<"
    out_str = View(None, out.dtype, [shape[d] for d in kept]).strides

    def outer(oidx):
        base = k.linear(x.offset * 0, [x.strides[d] for d in kept], oidx)
        b.store(k.load(k.ptrs[1], spec.dtype, base), best)
        b.store(i64(0), best_i)

        def inner(i):
            lin = b.add(base, b.mul(i, i64(x.strides[axis])))
            v = k.load(k.ptrs[1], spec.dtype, lin)
            cur = b.load(best)
            if spec.dtype.is_floating:
                better = b.or_(b.fcmp_ordered(pred, v, cur),
                               b.and_(b.fcmp_unordered("uno", v, v),
                                      b.fcmp_ordered("ord", cur, cur)))
            else:
                cmp = b.icmp_unsigned if (spec.dtype.is_unsigned or spec.dtype.name == "bool") \
                    else b.icmp_signed
                better = cmp(pred, v, cur)
            b.store(b.select(better, v, cur), best)
            b.store(b.select(better, i, b.load(best_i)), best_i)
        k.loops.range(n, inner, name="a")
        res = cast_value(s, b.load(best_i), _i64_dtype(), out.dtype)
        k.store(res, k.ptrs[0], out.dtype, k.linear(0, out_str, oidx))
    k.loops.nest([shape[d] for d in kept], outer, name="k")
    lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


def _i64_dtype():
    return dtypes.int64


def lower_cumsum(lw, node):
    x = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if len(spec.shape) == 0 or spec.size == 0:
        emit_copy(lw, out, x)
        return
    axis = node.attrs["axis"] % len(spec.shape)
    exclusive, reverse = node.attrs["exclusive"], node.attrs["reverse"]
    shape = spec.shape
    n = shape[axis]
    kept = [d for d in range(len(shape)) if d != axis]
    k = Kernel(lw.module, lw.fresh_name("cumsum"), 2, lw.annotate(node))
    b = k.b
    ty = reg_type(spec.dtype)
    acc = k.alloca(ty)
    zero = ir.Constant(ty, 0.0 if spec.dtype.is_floating else 0)

    def outer(oidx):
        xb = k.linear(0, [x.strides[d] for d in kept], oidx)
        ob = k.linear(0, [out.strides[d] for d in kept], oidx)
        b.store(zero, acc)

        def inner(i):
            j = b.sub(i64(n - 1), i) if reverse else i
            v = k.load(k.ptrs[1], spec.dtype, b.add(xb, b.mul(j, i64(x.strides[axis]))))
            cur = b.load(acc)
            nxt = b.fadd(cur, v) if spec.dtype.is_floating else b.add(cur, v)
            k.store(cur if exclusive else nxt, k.ptrs[0], spec.dtype,
                    b.add(ob, b.mul(j, i64(out.strides[axis]))))
            b.store(nxt, acc)
        k.loops.range(n, inner, name="c")
    k.loops.nest([shape[d] for d in kept], outer, name="k")
    lw.call_kernel(k, [out, x])


__all__ = ["lower_reduce", "lower_fusion_reduction", "lower_arg", "lower_cumsum", "emit_reduce",
           "reduction_lowerings", "reduction_layout", "accumulate", "finish"]
