"""GPU array ops: concat, stack, tile, pad, fill, zeros_like/ones_like, bias_add, sum_to and
one_hot are the CPU backend's lowerings (codegen/llvm/k_array.py) run with the GPU kernel
emitters in their namespace: they only describe strided copies, maps and reductions through
`emit_copy`, `emit_map` and `emit_reduce`, whose GPU versions (k_map.py, k_reduce.py) take the
same arguments. So the index logic of each op lives in one place. gather has its own kernel (a
grid-stride loop with the CPU backend's bounds check and message).
"""
import types

from ... import dtypes
from ..llvm import k_array as _cpu
from ..llvm.emit import i64
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import ScalarEmitter, cast_value
from .kernel import GpuKernel
from .k_map import emit_copy, emit_map, unravel
from .k_reduce import emit_reduce


def _on_gpu(fn):
    """The CPU lowering `fn` with the GPU emit_copy/emit_map in its namespace: the same code,
    GPU kernels (its relative imports, e.g. `.scalar`, still reach codegen/llvm)."""
    env = dict(_cpu.__dict__)
    env.update(emit_copy=emit_copy, emit_map=emit_map)
    return types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)


def lower_sum_to(lw, node):
    """sum_to (the gradient of a broadcast): a reduction over the broadcast axes."""
    g = lw.view(node.data_inputs[0])
    g_spec = lw.spec(node.data_inputs[0])
    like = lw.spec(node.data_inputs[1]).shape
    lead = len(g.shape) - len(like)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(like)
                                      if d == 1 and g.shape[i + lead] != 1)
    out = lw.alloc_for(node.outputs[0])
    emit_reduce(lw, node, "reduce_sum", g_spec, axes, out, [g], lambda s, vals: vals[0],
                lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_gather(lw, node):
    if node.attrs["batch_dims"]:
        raise NotLowerable("gather with batch_dims")
    p_v, i_v = node.data_inputs
    p, idx = lw.view(p_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(p.shape)
    n = p.shape[axis]
    ir_ = len(idx.shape)
    lw.bind(node.outputs[0], out)
    if not out.size and not idx.size:
        return
    code = lw.errors.code(f"indices[{{1}}] = {{2}} is not in [0, {n}) [Op:gather]",
                          lw.where(node))
    k = GpuKernel(lw.module, lw.fresh_name("gather"), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b

    def check(lin_i):
        j = cast_value(s, k.load(k.ptrs[2], idx.dtype, lin_i), idx.dtype, dtypes.int64)
        k.fail(b.icmp_unsigned(">=", j, i64(n)), code, [b.sub(lin_i, i64(idx.offset)), j])
        return j

    def body(i):
        oidx = unravel(b, i, out.shape)
        pre_i, j_i, post_i = oidx[:axis], oidx[axis:axis + ir_], oidx[axis + ir_:]
        j = check(k.linear(idx.offset, idx.strides, j_i))
        lin_p = b.add(k.linear(p.offset, p.strides[:axis], pre_i),
                      b.add(b.mul(j, i64(p.strides[axis])),
                            k.linear(0, p.strides[axis + 1:], post_i)))
        k.store(k.load(k.ptrs[1], p.dtype, lin_p), k.ptrs[0], out.dtype,
                k.linear(out.offset, out.strides, oidx))
    if out.size:
        k.grid_stride(out.size, body)
        lw.launch(k, n_threads=out.size, views=[out, p, idx])
    elif idx.size:  # nothing to gather, but the indices are still checked
        k.grid_stride(idx.size, lambda i: check(k.linear(idx.offset, idx.strides,
                                                          unravel(b, i, idx.shape))))
        lw.launch(k, n_threads=idx.size, views=[out, p, idx])


LOWERINGS = {name: _on_gpu(_cpu.LOWERINGS[name])
             for name in ("concat", "stack", "tile", "pad", "fill", "bias_add", "one_hot")}
LOWERINGS.update({"zeros_like": _on_gpu(_cpu._const_fill)(0),
                  "ones_like": _on_gpu(_cpu._const_fill)(1),
                  "gather": lower_gather, "sum_to": lower_sum_to})

__all__ = ["LOWERINGS"]
