"""Helpers every pass shares: use lists, replacing uses, constants, walking regions.

Passes are `Graph -> Graph` and never change their input (the traced graph is shared with replay
and GradientTape): `graph_pass` wraps an in-place transform so that it works on a private copy
(ir/clone.py). Regions are closed, so a use of a value is always in the graph that defines it;
replacing uses never needs to look inside regions.
"""
import functools

import numpy as np

from ..ir.clone import clone_graph
from ..ir.graph import Node
from ..ir.types import TensorType
from ..ops.array_ops import constant_op

__all__ = ["graph_pass", "use_lists", "replace_uses", "constant_value", "is_constant",
           "constant_node", "control_regions", "effect_token_in", "effect_token_out"]


def graph_pass(transform):
    """Make a `Graph -> Graph` pass from `transform(graph)`, which rewrites a graph in place."""
    @functools.wraps(transform)
    def run(graph):
        copy = clone_graph(graph)
        transform(copy)
        return copy
    return run


def regions_first(transform):
    """Make `transform(graph)` run on every control-flow region of `graph` (branches, loop
    bodies, recursively, innermost first) before it runs on `graph` itself.

    Example: `@regions_first` on a fusion that rewrites one graph level at a time.
    """
    @functools.wraps(transform)
    def run(graph):
        for node in graph.nodes:
            for region in control_regions(node).values():
                run(region)
        return transform(graph)
    return run


def use_lists(graph):
    """value id -> list of nodes of `graph` reading it (a node once per input position);
    results count as uses by `None`."""
    uses = {}
    for node in graph.nodes:
        for v in node.inputs:
            uses.setdefault(v.id, []).append(node)
    for r in graph.results:
        uses.setdefault(r.id, []).append(None)
    return uses


def replace_uses(graph, mapping):
    """Make every use of value id k in `graph` (node inputs, results) read mapping[k] instead.
    Chains (a -> b, b -> c) resolve to the end."""
    if not mapping:
        return

    def resolve(v):
        seen = 0
        while v.id in mapping and seen < 1000:
            v = mapping[v.id]
            seen += 1
        return v
    for node in graph.nodes:
        node.inputs = [resolve(v) for v in node.inputs]
    graph.results = [resolve(r) for r in graph.results]


def is_constant(value):
    return value.node is not None and value.node.op.name == "constant"


def constant_value(value):
    """The NumPy value of a constant-node output, else None."""
    return np.asarray(value.node.attrs["value"]) if is_constant(value) else None


def constant_node(array, dtype, location=None, name="constant"):
    """A new `constant` node holding `array` (converted to `dtype`, made read-only)."""
    arr = np.array(array, dtype=dtype.np_dtype)
    arr.flags.writeable = False
    return Node(constant_op, [], {"value": arr, "dtype": dtype},
                [TensorType(dtype, arr.shape, arr)], location=location, name=name)


def control_regions(node):
    """The region graphs of a control-flow node (cond/while_loop); fusion bodies excluded, since
    they are already-optimized leaves."""
    if node.op.name == "fusion":
        return {}
    return node.regions


def effect_token_in(node):
    return next((v for v in node.inputs if v.is_token), None)


def effect_token_out(node):
    return next((v for v in node.outputs if v.is_token), None)
