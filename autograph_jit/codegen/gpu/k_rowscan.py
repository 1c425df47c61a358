"""GPU kernels over whole rows: `argsort` (stable, as np.argsort(kind="stable")) and
`reduce_prod_grad`.

- argsort: a rank sort, one thread per element: its position in the sorted row is the number
  of row elements that come strictly before it, plus the equal ones earlier in the row (stable).
  The order is the CPU backend's (`_before` of codegen/llvm/k_rowscan.py): NaN after every
  number ascending, first descending; -0.0 equals 0.0. n comparisons a thread: right for rows
  of up to a few thousand elements, slow for very long rows. tf.sort is argsort then a batched
  gather (k_scatter.py), so it runs on the GPU too.
- reduce_prod_grad: the CPU lowering (prefix and suffix products, bit-equal) rebound to one
  thread per kept row (reuse.py).
"""
from llvmlite import ir

from ..llvm import k_rowscan as _cpu
from ..llvm.emit import I64, i64
from ..llvm.k_rowscan import _before
from .k_map import unravel
from .kernel import GpuKernel
from .reuse import rebind


def lower_argsort(lw, node):
    x = lw.view(node.data_inputs[0])
    out = lw.alloc_for(node.outputs[0])
    lw.bind(node.outputs[0], out)
    if out.size == 0:
        return
    axis = node.attrs["axis"] % len(x.shape)
    desc = node.attrs["direction"] == "DESCENDING"
    n = x.shape[axis]
    dt = x.dtype
    k = GpuKernel(lw.module, lw.fresh_name("argsort"), 2, lw.annotate(node, "rank sort"))
    b = k.b

    def element(flat):
        idx = unravel(b, flat, list(x.shape))
        i = idx[axis]

        def at(j):
            return k.linear(x.offset, x.strides, idx[:axis] + [j] + idx[axis + 1:])
        key = k.load(k.ptrs[1], dt, at(i))
        rank = k.alloca(I64)
        b.store(i64(0), rank)

        def count(j):
            xj = k.load(k.ptrs[1], dt, at(j))
            first = _before(b, dt, xj, key, desc)
            tie = b.and_(b.not_(first), b.not_(_before(b, dt, key, xj, desc)))
            ahead = b.or_(first, b.and_(tie, b.icmp_signed("<", j, i)))
            b.store(b.add(b.load(rank, typ=I64), b.zext(ahead, I64)), rank)
        k.loops.range(n, count, name="j")
        pos = idx[:axis] + [b.load(rank, typ=I64)] + idx[axis + 1:]
        k.store(b.trunc(i, ir.IntType(out.dtype.size * 8)), k.ptrs[0], out.dtype, k.linear(out.offset, out.strides, pos))
    k.grid_stride(x.size, element)
    lw.launch(k, n_threads=x.size, views=[out, x])


LOWERINGS = {"argsort": lower_argsort}
LOWERINGS.update(rebind(_cpu, ["lower_prod_grad"]))
LOWERINGS["reduce_prod_grad"] = LOWERINGS.pop("lower_prod_grad")

__all__ = ["LOWERINGS"]
