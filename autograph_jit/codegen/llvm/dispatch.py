"""The CPU lowering table: OpDef -> lowering function, and the per-node dispatch.

The table is keyed by OpDef (ops/op_keys.py): the kernel modules' `LOWERINGS` are written
with op names and resolved when gathered, so a name that is not a registered op fails at import.

A node whose outputs are known at compile time (folded by specialize.py) becomes a constant.
Elementwise ops with a scalar lowering become map kernels; the table covers the rest. Anything
else runs through the host callback (in program order, inside the compiled code) and is reported
as a fallback, except the ops that run on the host by design (`OpDef.host`: tf.print, summaries,
tf.py_function, the LAPACK-backed tf.linalg ops) whose callback is their lowering.
"""
from ...ops import control_ops  # noqa: F401 - registers cond and while_loop, named below
from ...ops.op_keys import by_op, op_of
from ...passes.reduction_fusion import REDUCTIONS
from . import (control, effects, k_array, k_conv, k_gather, k_index, k_map, k_matmul,
               k_random, k_reduce, k_rowscan, rowops)
from .scalar import SCALAR_OPS

LOWERINGS = by_op(k_array.LOWERINGS)
LOWERINGS.update(by_op({
    "reduce_sum": k_reduce.lower_reduce, "reduce_mean": k_reduce.lower_reduce,
    "reduce_max": k_reduce.lower_reduce, "reduce_min": k_reduce.lower_reduce,
    "reduce_prod": k_reduce.lower_reduce, "reduce_any": k_reduce.lower_reduce,
    "reduce_all": k_reduce.lower_reduce,
    "argmax": k_reduce.lower_arg, "argmin": k_reduce.lower_arg,
    "cumsum": k_reduce.lower_cumsum,
    "matmul": k_matmul.lower_matmul,
    "cond": control.lower_cond,
    "while_loop": control.lower_while,
    "read_variable": effects.lower_read_variable,
    "assign_variable": effects.lower_assign_variable,
    "assert": effects.lower_assert,
}))
for _table in (rowops.LOWERINGS, k_conv.LOWERINGS, k_random.LOWERINGS, k_index.LOWERINGS,
               k_gather.LOWERINGS, k_rowscan.LOWERINGS):
    LOWERINGS.update(by_op(_table))
del _table
_FUSION = op_of("fusion")
_CONSTANT = op_of("constant")


def _fusion_ok(node):
    body = node.attrs["body"]
    kind = node.attrs.get("kind")
    nodes = body.nodes
    if kind == "matmul":
        nodes = nodes[1:]
    elif kind == "reduction":
        nodes = [n for n in nodes if n.op not in REDUCTIONS]
    bad = [n.op.name for n in nodes if n.op.name not in SCALAR_OPS and n.op is not _CONSTANT]
    return bad


def lower_node(lw, node):
    name = node.op.name
    outs = node.data_outputs
    if (node.op.is_pure and not node.regions and outs
            and all(lw.spec(v).value is not None for v in outs)):
        for v in outs:
            lw.bind(v, lw.constant_view(lw.spec(v).value))
        return
    if node.op is _FUSION:
        bad = _fusion_ok(node)
        if bad:
            return effects.lower_host(lw, node, f"fusion body has ops without a scalar lowering: "
                                                f"{', '.join(sorted(set(bad)))}")
        kind = node.attrs.get("kind")
        lower = {"elementwise": k_map.lower_fusion_elementwise,
                 "reduction": k_reduce.lower_fusion_reduction,
                 "matmul": k_matmul.lower_fusion_matmul}.get(kind)
        if lower is None:
            return effects.lower_host(lw, node, f"unknown fusion kind {kind!r}")
        return lower(lw, node)
    fn = LOWERINGS.get(node.op)
    if fn is None and node.op.elementwise and name in SCALAR_OPS:
        fn = k_map.lower_elementwise
    if fn is None:
        reason = None if node.op.host else f"no native lowering for {name}"
        return effects.lower_host(lw, node, reason)
    try:
        fn(lw, node)
    except k_array.NotLowerable as e:
        effects.lower_host(lw, node, str(e))
