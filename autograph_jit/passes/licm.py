"""Loop-invariant code motion: work a while_loop repeats identically on every iteration moves
before the loop.

A node of a loop's body (or cond) region is invariant when it is pure, holds no regions, and every
input is invariant: a capture (a value from outside the loop, passed in as a region parameter), a
loop variable the body passes through unchanged, a constant, or the output of another invariant
node. Such a node computes the same value every iteration, so it runs once, before the loop.
Regions are closed, so a moved value re-enters the region as a new capture: a region parameter,
and an operand of the while_loop node.

Moving work before the loop also runs it when the loop runs zero times, so only ops that cannot
fail are moved: elementwise and shape ops on inputs whose shapes are fully known (the type rules
then guarantee they are compatible), never integer division (TF raises on division by zero) or
integer pow. Inner loops are handled first, so invariants climb out of nested loops one level per
loop.
"""
from ..ir.clone import clone_node
from ..ir.graph import Value
from .rewrite import control_regions, graph_pass, replace_uses

NAME = "licm"
SUMMARY = "hoist loop-invariant computations out of while_loop bodies"


def licm(graph):
    """The pass: `graph` itself when it holds no while_loop (nothing to hoist, no copy), else a
    copy with the invariants hoisted."""
    if not any(n.op.name == "while_loop" for n in graph.walk()):
        return graph
    return _licm_copy(graph)


@graph_pass
def _licm_copy(graph):
    _licm(graph)


def _licm(graph):
    new_nodes = []
    for node in graph.nodes:
        for region in control_regions(node).values():
            _licm(region)
        if node.op.name == "while_loop":
            new_nodes.extend(_hoist_from_loop(node))
        new_nodes.append(node)
    graph.nodes = new_nodes


def _speculatable(node):
    op = node.op
    if op.effects or node.regions or op.name == "fusion":
        return False
    if not op.speculatable:
        return False
    for v in node.inputs:
        if v.is_token or not v.type.shape.is_fully_defined():
            return False
        if op.traps_on_integers and not v.type.dtype.is_floating:
            return False
    return True


def _hoist_from_loop(node):
    """Hoist invariants out of the loop's cond and body regions; return the nodes to place
    before the loop."""
    cond_g, body_g, n = node.attrs["cond_graph"], node.attrs["body"], node.attrs["n_vars"]
    passthrough = {i for i in range(n) if body_g.results[i] is body_g.params[i]}
    hoisted = []
    for which in ("cond_graph", "body"):
        region = node.attrs[which]
        nc = len(cond_g.data_params) - n
        nb = len(body_g.data_params) - n
        n_caps = nc if which == "cond_graph" else nb
        cap_start = n if which == "cond_graph" else n + nc
        outer = {}
        for i in passthrough:
            outer[region.params[i].id] = node.inputs[i]
        for k in range(n_caps):
            outer[region.params[n + k].id] = node.inputs[cap_start + k]
        moved, new_caps = _hoist_region(region, outer)
        hoisted.extend(moved)
        if not new_caps:
            continue
        at = cap_start + n_caps
        node.inputs[at:at] = [outer_v for outer_v, _ in new_caps]
        tok = [p for p in region.params if p.is_token]
        region.params = [p for p in region.params if not p.is_token] + [
            p for _, p in new_caps] + tok
    return hoisted


def _hoist_region(region, outer):
    """Move invariant nodes out of `region`. `outer` maps invariant param ids to the outer values
    they stand for. Returns (outer copies in order, [(outer value, new region param)])."""
    invariant = dict(outer)  # region value id -> outer value
    moved, keep = [], []
    for node in region.nodes:
        if node.op.name == "constant":
            copy = clone_node(node, [])
            invariant[node.outputs[0].id] = copy.outputs[0]
            keep.append((node, copy))
            continue
        if _speculatable(node) and all(v.id in invariant for v in node.inputs):
            copy = clone_node(node, [invariant[v.id] for v in node.inputs])
            for old, new in zip(node.outputs, copy.outputs):
                invariant[old.id] = new
            moved.append(copy)
            continue
        keep.append((node, None))
    if not moved:
        return [], []
    moved_ids = {v.id for c in moved for v in c.outputs}
    # constants the moved nodes read go out too (copies); the region keeps its own if it uses them
    used_outside = {v.id for c in moved for v in c.inputs}
    consts = [copy for _, copy in keep if copy is not None and copy.outputs[0].id in used_outside]
    region.nodes = [n for n, _ in keep]
    new_caps, mapping = [], {}
    needed = [v for n in region.nodes for v in n.inputs] + list(region.results)
    for v in needed:
        if v.id in mapping or v.id not in invariant or invariant[v.id].id not in moved_ids:
            continue
        param = Value(v.type, name=v.name)
        mapping[v.id] = param
        new_caps.append((invariant[v.id], param))
    replace_uses(region, mapping)
    return consts + moved, new_caps


run = licm
