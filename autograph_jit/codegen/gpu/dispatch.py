"""The GPU lowering table: OpDef -> lowering function, and the choice for one node.

`LOWERINGS` is keyed by OpDef like the CPU table (ops/op_keys.py): the kernel modules'
`LOWERINGS` are written with op names and resolved as they are added (`LOWERINGS.update(
k_x.LOWERINGS)` or `LOWERINGS["name"] = fn`), so a name that is not a registered op fails at
import. Elementwise ops with a scalar lowering (codegen/llvm/scalar.py) become map kernels;
fusion nodes by kind; anything else runs as a host step and is reported (`strict=True`: an
error).
"""
from ...ops import control_ops  # noqa: F401 - registers cond and while_loop, named below
from ...ops.op_keys import op_of
from ..llvm.dispatch import _fusion_ok
from ..llvm.scalar import SCALAR_OPS
from . import (control, k_array, k_assert, k_conv, k_grow, k_index, k_map, k_matmul, k_pool,
               k_random, k_reduce, k_rows, k_rowscan, k_scan, k_scatter)
from .lower import VIEW_OPS, lower_view_gpu


class OpTable(dict):
    """A dict keyed by OpDef that also takes op names: `table["matmul"] = fn` and
    `table.update({"matmul": fn})` store under op_of("matmul") (KeyError for an unregistered
    name, at import); lookups use the node's OpDef (`table.get(node.op)`).

    Example: `LOWERINGS.update(k_conv.LOWERINGS)` with a name-keyed `k_conv.LOWERINGS`.
    """

    def __setitem__(self, key, value):
        super().__setitem__(op_of(key) if isinstance(key, str) else key, value)

    def update(self, *tables, **named):
        for table in tables + (named,):
            for k, v in dict(table).items():
                self[k] = v


LOWERINGS = OpTable()
LOWERINGS.update({name: lower_view_gpu for name in VIEW_OPS})
LOWERINGS.update({
    "reduce_sum": k_reduce.lower_reduce, "reduce_mean": k_reduce.lower_reduce,
    "reduce_max": k_reduce.lower_reduce, "reduce_min": k_reduce.lower_reduce,
    "reduce_prod": k_reduce.lower_reduce, "reduce_any": k_reduce.lower_reduce,
    "reduce_all": k_reduce.lower_reduce,
    "matmul": k_matmul.lower_matmul,
    "cond": control.lower_cond,
    "while_loop": control.lower_while,
    "read_variable": control.lower_read_variable,
    "assign_variable": control.lower_assign_variable,
})
LOWERINGS.update(k_rows.LOWERINGS)
LOWERINGS.update(k_array.LOWERINGS)
LOWERINGS.update(k_scan.LOWERINGS)
LOWERINGS.update(k_conv.LOWERINGS)
LOWERINGS.update(k_pool.LOWERINGS)
LOWERINGS.update(k_index.LOWERINGS)
LOWERINGS.update(k_scatter.LOWERINGS)
LOWERINGS.update(k_rowscan.LOWERINGS)
LOWERINGS.update(k_random.LOWERINGS)
LOWERINGS.update(k_assert.LOWERINGS)
LOWERINGS.update(k_grow.LOWERINGS)   # shape/size of a TensorArray grown at run time

FUSIONS = {"elementwise": k_map.lower_fusion_elementwise,
           "reduction": k_reduce.lower_fusion_reduction,
           "matmul": k_matmul.lower_fusion_matmul}


def lowering_for(node):
    """(lowering function, None) or (None, reason the node runs on the host; None for ops that
    are host ops by design)."""
    name = node.op.name
    if name == "fusion":
        bad = _fusion_ok(node)
        if bad:
            return None, ("fusion body has ops without a scalar lowering: "
                          f"{', '.join(sorted(set(bad)))}")
        kind = node.attrs.get("kind")
        fn = FUSIONS.get(kind)
        return (fn, None) if fn else (None, f"no GPU kernel for fusion kind {kind!r}")
    fn = LOWERINGS.get(node.op)
    if fn is None and node.op.elementwise and name in SCALAR_OPS:
        fn = k_map.lower_elementwise
    if fn is None:
        return None, None if node.op.host else f"no GPU kernel for {name}"
    return fn, None


__all__ = ["LOWERINGS", "FUSIONS", "OpTable", "lowering_for"]
