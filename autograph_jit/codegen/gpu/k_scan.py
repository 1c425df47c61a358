"""GPU kernels that walk one axis in order: cumsum (inclusive/exclusive, forward/reverse) and
argmax/argmin (first index wins ties, NaN wins, as NumPy). One thread per line along the axis
(lines in a grid-stride loop), each a serial loop: the CPU backend's order of operations, so
integer results are exact and float sums equal the CPU's.
"""
from llvmlite import ir

from ... import dtypes
from ..llvm.emit import View, i64, reg_type
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import ScalarEmitter, cast_value
from .kernel import GpuKernel
from .k_map import emit_copy, unravel


def _lines(lw, node, name, out, x, axis, per_line):
    """One thread per line of x along `axis`; per_line(k, s, x_base, out_index) emits it."""
    shape = x.shape
    kept = [d for d in range(len(shape)) if d != axis]
    kshape = [shape[d] for d in kept]
    n_lines = 1
    for d in kshape:
        n_lines *= d
    k = GpuKernel(lw.module, lw.fresh_name(name), 2, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))

    def line(i):
        oidx = unravel(k.b, i, kshape)
        per_line(k, s, k.linear(x.offset, [x.strides[d] for d in kept], oidx), oidx)
    k.grid_stride(n_lines, line)
    lw.launch(k, n_threads=n_lines, views=[out, x])


def lower_cumsum(lw, node):
    x = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if len(spec.shape) == 0 or spec.size == 0:
        if spec.size:
            emit_copy(lw, out, x)
        return
    axis = node.attrs["axis"] % len(spec.shape)
    exclusive, reverse = node.attrs["exclusive"], node.attrs["reverse"]
    n = spec.shape[axis]
    kept = [d for d in range(len(spec.shape)) if d != axis]
    ty = reg_type(spec.dtype)
    zero = ir.Constant(ty, 0.0 if spec.dtype.is_floating else 0)

    def per_line(k, s, xb, oidx):
        b = k.b
        ob = k.linear(out.offset, [out.strides[d] for d in kept], oidx)
        acc = k.alloca(ty)
        b.store(zero, acc)

        def step(i):
            j = b.sub(i64(n - 1), i) if reverse else i
            v = k.load(k.ptrs[1], spec.dtype, b.add(xb, b.mul(j, i64(x.strides[axis]))))
            cur = b.load(acc, typ=ty)
            nxt = b.fadd(cur, v) if spec.dtype.is_floating else b.add(cur, v)
            k.store(cur if exclusive else nxt, k.ptrs[0], spec.dtype,
                    b.add(ob, b.mul(j, i64(out.strides[axis]))))
            b.store(nxt, acc)
        k.loops.range(n, step, name="c")
    _lines(lw, node, "cumsum", out, x, axis, per_line)


def lower_arg(lw, node):
    x = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    axis = node.attrs["axis"] % len(spec.shape)
    n = spec.shape[axis]
    if n == 0:
        raise NotLowerable("argmax/argmin over an empty axis (the interpreter raises)")
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if not out.size:
        return
    kept = [d for d in range(len(spec.shape)) if d != axis]
    out_str = View(None, out.dtype, [spec.shape[d] for d in kept]).strides
    pred = ">" if node.op.name == "argmax" else "<"
    dt = spec.dtype
    ty = reg_type(dt)

    def per_line(k, s, xb, oidx):
        b = k.b
        best, best_i = k.alloca(ty), k.alloca(ir.IntType(64))
        b.store(k.load(k.ptrs[1], dt, xb), best)
        b.store(i64(0), best_i)

        def step(i):
            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(i, i64(x.strides[axis]))))
            cur = b.load(best, typ=ty)
            if dt.is_floating:
                better = b.or_(b.fcmp_ordered(pred, v, cur),
                               b.and_(b.fcmp_unordered("uno", v, v),
                                      b.fcmp_ordered("ord", cur, cur)))
            else:
                cmp = b.icmp_unsigned if (dt.is_unsigned or dt.name == "bool") else b.icmp_signed
                better = cmp(pred, v, cur)
            b.store(b.select(better, v, cur), best)
            b.store(b.select(better, i, b.load(best_i, typ=ir.IntType(64))), best_i)
        k.loops.range(n, step, name="a")
        res = cast_value(s, b.load(best_i, typ=ir.IntType(64)), dtypes.int64, out.dtype)
        k.store(res, k.ptrs[0], out.dtype, k.linear(out.offset, out_str, oidx))
    _lines(lw, node, node.op.name, out, x, axis, per_line)


LOWERINGS = {"cumsum": lower_cumsum, "argmax": lower_arg, "argmin": lower_arg}

__all__ = ["LOWERINGS"]
