"""The CPU lowering table: op name -> lowering function, and the per-node dispatch.

A node whose outputs are known at compile time (folded by specialize.py) becomes a constant.
Elementwise ops with a scalar lowering become map kernels; the table covers the rest. Anything
else runs through the host callback (in program order, inside the compiled code) and is reported
as a fallback, except tf.print whose callback is its lowering.
"""
from . import (control, effects, k_array, k_conv, k_gather, k_index, k_map, k_matmul,
               k_random, k_reduce, k_rowscan, rowops)
from .scalar import SCALAR_OPS

LOWERINGS = dict(k_array.LOWERINGS)
LOWERINGS.update({
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
})
LOWERINGS.update(rowops.LOWERINGS)
LOWERINGS.update(k_conv.LOWERINGS)
LOWERINGS.update(k_random.LOWERINGS)
LOWERINGS.update(k_index.LOWERINGS)
LOWERINGS.update(k_gather.LOWERINGS)
LOWERINGS.update(k_rowscan.LOWERINGS)

# host callbacks that are the op's implementation, not a fallback
HOST_BY_DESIGN = {"print", "write_summary",
                  # Python called from compiled code (tf.py_function / tf.numpy_function)
                  "py_function", "py_function_grad",
                  # LAPACK through NumPy/SciPy (tf.linalg)
                  "matrix_inverse", "matrix_determinant", "log_matrix_determinant",
                  "matrix_solve", "matrix_triangular_solve", "cholesky", "self_adjoint_eig",
                  "qr", "svd"}


def _fusion_ok(node):
    body = node.attrs["body"]
    kind = node.attrs.get("kind")
    nodes = body.nodes
    if kind == "matmul":
        nodes = nodes[1:]
    elif kind == "reduction":
        nodes = [n for n in nodes if not n.op.name.startswith("reduce_")]
    bad = [n.op.name for n in nodes if n.op.name not in SCALAR_OPS and n.op.name != "constant"]
    return bad


def lower_node(lw, node):
    name = node.op.name
    outs = node.data_outputs
    if (node.op.is_pure and not node.regions and outs
            and all(lw.spec(v).value is not None for v in outs)):
        for v in outs:
            lw.bind(v, lw.constant_view(lw.spec(v).value))
        return
    if name == "fusion":
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
    fn = LOWERINGS.get(name)
    if fn is None and node.op.elementwise and name in SCALAR_OPS:
        fn = k_map.lower_elementwise
    if fn is None:
        reason = None if name in HOST_BY_DESIGN else f"no native lowering for {name}"
        return effects.lower_host(lw, node, reason)
    try:
        fn(lw, node)
    except k_array.NotLowerable as e:
        effects.lower_host(lw, node, str(e))
