"""Common-subexpression elimination that respects effects.

Pure nodes: two nodes with the same op, the same inputs and equal attributes compute the same
value, so the later one is replaced by the earlier (constants compare by dtype, shape and bytes).
Pure control flow (a cond/while without effects) is compared by identity of its regions only,
i.e. never merged.

Effectful nodes are never merged with each other — two `tf.print`s print twice, two RNG draws
differ — with one exception that is not an observable effect: reading a variable. Along the
effect-token chain (program order), a `read_variable` of a variable whose value is already known
(read before, or just assigned with a value of the same type, and not written since) is dropped,
its value replaced by the known one and the token passed through. A node whose regions write
variables, or any op whose effects are not understood here, forgets what was known.

Then each remaining read moves up the token chain to just after the last node that may write its
variable (or to the start). Moving a read past a write of *another* variable, a print or an RNG
draw changes nothing observable (a call into Python, tf.py_function or tf.numpy_function, may
write any variable: its effects are opdef.PYTHON, not IO alone, so reads stay after it), and it
frees later passes: an optimizer's update of `m` and of `v` then fuse into one loop instead of
two separated by the assign of `m`. Prints, writes and RNG
draws keep their exact order.
"""
import numpy as np

from .rewrite import control_regions, effect_token_in, effect_token_out, graph_pass, replace_uses

NAME = "cse"
SUMMARY = "merge identical pure nodes; forward known variable values to later reads"

_MAX_CONSTANT_KEY_BYTES = 1 << 16


@graph_pass
def cse(graph):
    _cse(graph)


def _cse(graph):
    mapping = {}
    seen = {}
    known = {}  # id(Variable) -> Value holding its current value
    kept = []
    for node in graph.nodes:
        node.inputs = [mapping.get(v.id, v) for v in node.inputs]
        for region in control_regions(node).values():
            _cse(region)
        if node.op.name == "read_variable":
            var = node.attrs["var"]
            value = known.get(id(var))
            if value is not None and value.type == node.outputs[0].type:
                mapping[node.outputs[0].id] = value
                mapping[effect_token_out(node).id] = effect_token_in(node)
                continue
            known[id(var)] = node.outputs[0]
            kept.append(node)
            continue
        if node.op.name == "assign_variable":
            var = node.attrs["var"]
            value = node.data_inputs[0]
            known[id(var)] = value if value.type.shape == var.shape else None
            kept.append(node)
            continue
        if node.has_effects:
            _forget_written(node, known)
            kept.append(node)
            continue
        key = _key(node)
        if key is not None:
            earlier = seen.get(key)
            if earlier is not None:
                for old, new in zip(node.outputs, earlier.outputs):
                    mapping[old.id] = new
                continue
            seen[key] = node
        kept.append(node)
    graph.nodes = kept
    replace_uses(graph, mapping)
    _hoist_reads(graph)


def _writes(node, var):
    """May `node` (an effectful node) change variable `var`?"""
    if node.op.name == "assign_variable":
        return node.attrs["var"] is var
    if node.op.effects and node.op.effects <= {"io", "rng", "read_variable"}:
        return False
    if not node.regions:
        return True
    for region in node.regions.values():
        for inner in region.walk():
            if inner.op.name == "assign_variable" and inner.attrs["var"] is var:
                return True
            if inner.op.effects and not inner.op.effects <= {"io", "rng", "read_variable",
                                                             "write_variable"}:
                return True
    return False


def _hoist_reads(graph):
    """Move each read_variable right after the last earlier node that may write its variable,
    then rethread the effect token in the new order."""
    token_params = [p for p in graph.params if p.is_token]
    if not token_params:
        return
    chain = [n for n in graph.nodes if effect_token_in(n) is not None]
    keys = []
    for i, node in enumerate(chain):
        if node.op.name != "read_variable":
            keys.append((i, 0, i))
            continue
        var = node.attrs["var"]
        barrier = next((j for j in range(i - 1, -1, -1) if chain[j].op.name != "read_variable"
                        and _writes(chain[j], var)), -1)
        keys.append((barrier, 1, i))
    after = {}  # id(barrier node) or None (the chain's start) -> reads placed right after it
    moved = set()
    for node, key in zip(chain, keys):
        if key[1] == 1:
            anchor = None if key[0] < 0 else id(chain[key[0]])
            after.setdefault(anchor, []).append(node)
            moved.add(id(node))
    if all(key[1] == 0 or key[0] == i - 1 for i, key in enumerate(keys)):
        return  # every read already sits right after its barrier
    nodes = list(after.get(None, []))
    for node in graph.nodes:
        if id(node) in moved:
            continue
        nodes.append(node)
        nodes.extend(after.get(id(node), []))
    graph.nodes = nodes
    prev = token_params[0]
    final = None
    for node in [n for n in nodes if effect_token_in(n) is not None]:
        old_in = effect_token_in(node)
        node.inputs = [prev if v is old_in else v for v in node.inputs]
        prev = effect_token_out(node)
        final = prev
    if final is not None:
        graph.results = [final if r.is_token else r for r in graph.results]


def _forget_written(node, known):
    """Effects other than reads/assigns: forget variables the node (or its regions) may write."""
    effects = node.op.effects
    if effects and effects <= {"io", "rng"}:
        return
    if not node.regions:
        known.clear()
        return
    for region in node.regions.values():
        for inner in region.walk():
            if inner.op.name == "assign_variable":
                known.pop(id(inner.attrs["var"]), None)
            elif inner.op.effects and not inner.op.effects <= {"io", "rng", "read_variable"}:
                known.clear()
                return


def _key(node):
    if node.regions:
        return None
    try:
        attrs = tuple(sorted((k, _attr_key(v)) for k, v in node.attrs.items()))
    except _Unhashable:
        return None
    return (node.op.name, tuple(v.id for v in node.inputs), attrs)


class _Unhashable(Exception):
    pass


def _attr_key(value):
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.nbytes > _MAX_CONSTANT_KEY_BYTES:
            raise _Unhashable
        return ("array", arr.dtype.str, arr.shape, arr.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_attr_key(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, _attr_key(v)) for k, v in value.items()))
    if isinstance(value, float):
        return ("float", value.hex() if value == value else "nan")
    try:
        hash(value)
    except TypeError:
        raise _Unhashable from None
    if isinstance(value, (int, str, bool, type(None))):
        return (type(value).__name__, value)
    return ("object", id(value))


run = cse
