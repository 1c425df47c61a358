"""Where variable values live on the GPU, decided before lowering (top level only), so that a
training step does not copy each variable twice per call:

- `alias_reads`: reads of a variable that may use its device mirror directly: every use of the
  value (through view ops too) comes before the next write of the variable, and the value is not
  a function result. Other reads copy (they must keep the old value).
- `into_var`: {value id: variable} for values computed straight into the variable's mirror
  instead of being copied there by their assign_variable: the variable is written exactly once
  in the whole graph, by this top-level value (not a view, parameter or result, same dtype and
  shape); nothing reads the variable between the producing node and the assignment; a mirror
  alias still in use at the producing node is allowed only when that node is an elementwise
  map reading the alias itself (no view of it) at the output's shape (each element is read
  before it is written, by the same thread).
"""
from ..llvm.k_array import VIEW_OPS
from ..llvm.scalar import SCALAR_OPS

_NOT_PRODUCED = VIEW_OPS | {"read_variable", "constant"}
_FOREVER = float("inf")


def _is_map(node):
    if node.op.name == "fusion":
        return node.attrs.get("kind") == "elementwise"
    return node.op.elementwise and node.op.name in SCALAR_OPS


def plan_placement(graph):
    """Decides where variable values live (see the module docstring).

    Args:
      graph: the optimized graph (its top-level nodes are examined).
    Returns:
      (alias_reads: set of value ids, into_var: {value id: Variable}).

    Example:
        alias, into = plan_placement(cf.optimized_graph)   # Adam: every read aliased,
                                                           # every update in place
    """
    nodes = graph.nodes
    last = {}
    for i, n in enumerate(nodes):
        for v in n.inputs:
            last[v.id] = i
    for r in graph.results:
        last[r.id] = _FOREVER
    via_views = {}   # value id -> last use through a view of it
    for i in range(len(nodes) - 1, -1, -1):  # a view's uses are uses of its input
        n = nodes[i]
        if n.op.name in VIEW_OPS and n.inputs:
            src = n.inputs[0].id
            for o in n.outputs:
                last[src] = max(last.get(src, -1), last.get(o.id, -1))
                via_views[src] = max(via_views.get(src, -1), last.get(o.id, -1))
    writes, total = {}, {}
    for i, n in enumerate(nodes):
        for m in [n, *[x for g in n.regions.values() for x in g.walk()]]:
            if m.op.name == "assign_variable":
                var = m.attrs["var"]
                writes.setdefault(id(var), []).append(i)
                total[id(var)] = total.get(id(var), 0) + 1
    reads = {}   # id(var) -> [(index, value)]
    alias = set()
    for i, n in enumerate(nodes):
        for m in [x for g in n.regions.values() for x in g.walk()]:
            if m.op.name == "read_variable":   # a read inside a loop or branch at index i
                reads.setdefault(id(m.attrs["var"]), []).append((i, None))
        if n.op.name != "read_variable":
            continue
        var = n.attrs["var"]
        value = n.data_outputs[0]
        reads.setdefault(id(var), []).append((i, value))
        later = [w for w in writes.get(id(var), ()) if w > i]
        if last.get(value.id, -1) < (min(later) if later else _FOREVER):
            alias.add(value.id)
    producer = {v.id: (i, n) for i, n in enumerate(nodes) for v in n.outputs}
    into = {}
    for a, n in enumerate(nodes):
        if n.op.name != "assign_variable":
            continue
        var = n.attrs["var"]
        value = n.data_inputs[0]
        got = producer.get(value.id)
        if total.get(id(var)) != 1 or got is None or value.id in into:
            continue
        p, prod = got
        if (prod.op.name in _NOT_PRODUCED or prod.op.name in ("cond", "while_loop")
                or last.get(value.id) == _FOREVER
                or value.type.dtype is not var.dtype
                or value.type.shape.as_tuple() != tuple(var._value.shape)):
            continue
        ok = True
        for r, rv in reads.get(id(var), ()):
            if p < r < a:
                ok = False                       # would read the new value too early
            elif r < p and rv is not None and rv.id in alias and last.get(rv.id, -1) >= p:
                same_index = (last[rv.id] == p and _is_map(prod)
                              and via_views.get(rv.id, -1) < p
                              and rv.id in {v.id for v in prod.data_inputs}
                              and rv.type.shape.as_tuple() == value.type.shape.as_tuple())
                ok = ok and same_index
        if ok:
            into[value.id] = var
    return alias, into


__all__ = ["plan_placement"]
