"""Deep copy of a Graph with fresh Values, regions included (contract 2 of the optimizer).

The traced graph (`cf.graph`) is shared with replay and GradientTape, so no pass may change it:
the pass pipeline rewrites copies made here. A copy has new Graph, Node and Value objects (fresh
ids), the same types, attributes (region graphs copied recursively, other attribute values such
as NumPy constants and Variables shared, since nodes never mutate them), names and locations.
"""
from .graph import Graph, Node, Value

__all__ = ["clone_graph", "clone_node"]


def clone_graph(graph, value_map=None):
    """A copy of `graph` with fresh Values. `value_map` (old id -> new Value), when given, is
    filled with the correspondence, which tests and passes use to follow values across."""
    vmap = {} if value_map is None else value_map
    new = Graph(graph.name)
    for p in graph.params:
        new.params.append(_fresh_param(p, vmap))
    for node in graph.nodes:
        new.nodes.append(clone_node(node, [vmap[v.id] for v in node.inputs], vmap))
    new.results = [vmap[r.id] for r in graph.results]
    return new  # memory_plan is not copied: it names the old values, so the copy is re-planned


def clone_node(node, inputs, value_map=None):
    """A copy of `node` reading `inputs`; its outputs are fresh Values (recorded in value_map)."""
    attrs = {k: clone_graph(v) if isinstance(v, Graph) else v for k, v in node.attrs.items()}
    copy = Node(node.op, inputs, attrs, [v.type for v in node.outputs], location=node.location,
                name=node.name)
    for old, fresh in zip(node.outputs, copy.outputs):
        fresh.name = old.name
        if value_map is not None:
            value_map[old.id] = fresh
    return copy


def _fresh_param(p, vmap):
    v = Value(p.type, name=p.name)
    vmap[p.id] = v
    return v
