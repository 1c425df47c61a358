"""Constant folding: compute at compile time every pure node whose inputs are all known.

A node folds when it is pure (no effect token), holds no regions, and each data input is either
a `constant` node's output or an input the op only reads the *shape* of (`zeros_like(x)` needs x's
shape, not its values) with a fully known static shape. The node's own eager kernel computes the
value — the same NumPy code eager mode runs, so folding can never disagree with eager — and a
`constant` node replaces it. Folding runs in program order, so whole constant subgraphs collapse
in one sweep.

A `cond` whose predicate folds to a constant is replaced by the branch it takes (its nodes move
into the enclosing graph, effects and all, in their order).

Two guards: results larger than MAX_FOLD_ELEMENTS are left to run time (a folded 1000x1000 ones
matrix would bloat the graph and the compiled module), and a kernel that raises (a reshape of the
wrong size, an out-of-range gather) is left in place, so the error still happens at run time,
where eager mode raises it too.
"""
import numpy as np

from ..ops.op_keys import by_op, op_set
from ..ir.clone import clone_node
from .rewrite import constant_value, constant_node, control_regions, graph_pass, replace_uses

NAME = "constant_fold"
SUMMARY = "compute nodes whose inputs are all constants now, with the eager kernels"

MAX_FOLD_ELEMENTS = 1 << 16

# op -> input positions whose values the kernel ignores (only their shapes matter)
SHAPE_ONLY_INPUTS = by_op({
    "zeros_like": (0,),
    "ones_like": (0,),
    "shape": (0,),
    "size": (0,),
    "broadcast_like": (1,),
    "sum_to": (1,),
})

_NEVER = op_set({"constant", "fusion"})


@graph_pass
def constant_fold(graph):
    _fold(graph)


def _fold(graph):
    mapping = {}
    new_nodes = []
    for node in graph.nodes:
        node.inputs = [mapping.get(v.id, v) for v in node.inputs]
        for region in control_regions(node).values():
            _fold(region)
        if node.op.name == "cond" and constant_value(node.inputs[0]) is not None:
            new_nodes.extend(_inline_taken_branch(node, mapping))
            continue
        folded = _try_fold(node)
        if folded is None:
            new_nodes.append(node)
            continue
        for old, const in zip(node.outputs, folded):
            const.outputs[0].name = old.name
            mapping[old.id] = const.outputs[0]
            new_nodes.append(const)
    graph.nodes = new_nodes
    replace_uses(graph, mapping)


def _inline_taken_branch(node, mapping):
    """A cond on a constant predicate is the branch it takes: copy that branch's nodes here (its
    params are the cond's operands after the predicate, token included), and send the cond's
    outputs to the branch's results."""
    taken = "then_branch" if bool(constant_value(node.inputs[0])) else "else_branch"
    branch = node.attrs[taken]
    vmap = {p.id: v for p, v in zip(branch.params, node.inputs[1:])}
    copies = []
    for inner in branch.nodes:
        copies.append(clone_node(inner, [vmap.get(v.id, v) for v in inner.inputs], vmap))
    for out, r in zip(node.outputs, branch.results):
        mapping[out.id] = vmap.get(r.id, r)
    return copies


def _try_fold(node):
    op = node.op
    if (op in _NEVER or op.effects or node.regions or op.kernel is None
            or any(v.is_token for v in node.inputs)):
        return None
    shape_only = SHAPE_ONLY_INPUTS.get(op, ())
    args = []
    for i, v in enumerate(node.inputs):
        value = constant_value(v)
        if value is None:
            if i not in shape_only or not v.type.shape.is_fully_defined():
                return None
            value = np.broadcast_to(np.zeros((), v.type.dtype.np_dtype),
                                    tuple(v.type.shape.as_list()))
        args.append(value)
    if not node.outputs:
        return None
    for out in node.outputs:
        n = out.type.shape.num_elements()
        if n is None or n > MAX_FOLD_ELEMENTS:
            return None
    try:
        with np.errstate(all="ignore"):
            result = op.kernel(*args, **node.attrs)
    except Exception:  # noqa: BLE001 — the error belongs to run time, where eager raises it too
        return None
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(node.outputs):
        return None
    consts = []
    for value, out in zip(result, node.outputs):
        arr = np.asarray(value)
        if arr.size > MAX_FOLD_ELEMENTS or not out.type.shape.is_compatible_with(arr.shape):
            return None
        consts.append(constant_node(arr, out.type.dtype, node.location, name=node.name))
    return consts


run = constant_fold
