"""The GPU lowering table: op name -> lowering function (keyed by registered op names, checked
by tests/codegen/gpu/test_gpu_codegen_ptx.py), and the choice for one node.

Elementwise ops with a scalar lowering (codegen/llvm/scalar.py) become map kernels; fusion
nodes by kind; anything else runs as a host step and is reported (`strict=True`: an error).
"""
from ..llvm.dispatch import _fusion_ok
from ..llvm.scalar import SCALAR_OPS
from . import control, k_array, k_map, k_matmul, k_reduce, k_rows, k_scan
from . import k_conv, k_pool
from .lower import VIEW_OPS, lower_view_gpu

LOWERINGS = {name: lower_view_gpu for name in VIEW_OPS}
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
    fn = LOWERINGS.get(name)
    if fn is None and node.op.elementwise and name in SCALAR_OPS:
        fn = k_map.lower_elementwise
    if fn is None:
        return None, None if node.op.host else f"no GPU kernel for {name}"
    return fn, None


__all__ = ["LOWERINGS", "FUSIONS", "lowering_for"]
