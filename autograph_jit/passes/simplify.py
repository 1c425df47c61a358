"""Algebraic simplification: rewrite nodes by the rule table of algebra_rules.py.

One sweep in program order: each node's rules (RULES[op]) are tried in turn; when one applies,
the node's outputs are replaced by the rule's values and the node disappears. New nodes a rule
builds (a composed transpose, a reduce_sum for a sum_to) are swept too, so chains collapse in
one pass: negative(negative(negative(x))) -> negative(x). Only pure nodes are rewritten.
"""
from ..ir.clone import clone_node
from ..ir.graph import Node
from ..ops.opdef import get, infer_types
from .algebra_rules import ELEMENTWISE_RULES, RULES
from .rewrite import constant_node, control_regions, graph_pass, replace_uses
from ..dtypes import as_dtype

NAME = "simplify"
SUMMARY = ("algebraic identities from a rule table (x*1, x+0, --x, transpose∘transpose, ...; "
           "tiny conds become selects)")

_MAX_REWRITES_PER_NODE = 8


class _Context:
    """What a rule may do besides looking at its node: build nodes, find earlier ones."""

    def __init__(self):
        self.out = []          # the rewritten node list, in order
        self.by_key = {}       # (op name, first input id) -> earlier pure node
        self.current = None

    def emit(self, op_name, inputs, attrs):
        op = get(op_name)
        types = infer_types(op, [v.type for v in inputs], attrs)
        node = Node(op, inputs, attrs, types, location=self.current.location,
                    name=f"{self.current.name}.{op_name}")
        self._pending.append(node)
        return list(node.outputs)

    def copy(self, node, inputs):
        """A copy of `node` (e.g. from a region being inlined) reading `inputs`."""
        made = clone_node(node, inputs)
        self._pending.append(made)
        return list(made.outputs)

    def constant(self, array):
        node = constant_node(array, as_dtype(array.dtype), self.current.location)
        self._pending.append(node)
        return node.outputs[0]

    def find(self, op_name, first_input):
        return self.by_key.get((op_name, first_input.id))


@graph_pass
def simplify(graph):
    _simplify(graph)


def _simplify(graph):
    ctx = _Context()
    mapping = {}
    work = list(graph.nodes)
    work.reverse()
    rewrites = {}
    orphans = []  # producers whose user a rule removed: dropped below if nothing else uses them
    while work:
        node = work.pop()
        node.inputs = [_resolve(mapping, v) for v in node.inputs]
        for region in control_regions(node).values():
            _simplify(region)
        replacement = None
        if not node.has_effects and rewrites.get(id(node), 0) < _MAX_REWRITES_PER_NODE:
            ctx.current = node
            rules = tuple(RULES.get(node.op, ()))
            if node.op.elementwise:
                rules += ELEMENTWISE_RULES
            for rule in rules:
                ctx._pending = []
                replacement = rule(node, ctx)
                if replacement is not None:
                    break
        if replacement is None:
            ctx.out.append(node)
            if node.inputs and not node.has_effects:
                ctx.by_key.setdefault((node.op.name, node.inputs[0].id), node)
            continue
        orphans.extend(v.node for v in node.inputs if v.node is not None)
        for old, new in zip(node.outputs, replacement):
            if new.name is None:
                new.name = old.name
            mapping[old.id] = new
        for made in reversed(ctx._pending):  # sweep what the rule built before moving on
            rewrites[id(made)] = rewrites.get(id(node), 0) + 1
            work.append(made)
    graph.nodes = ctx.out
    replace_uses(graph, mapping)
    _drop_orphans(graph, orphans)


def _drop_orphans(graph, orphans):
    """Remove pure nodes that only the rewritten nodes used (the inner negative of --x), so the
    printed result shows the simplification; other dead code is DCE's job."""
    dead = set()
    while orphans:
        used = {v.id for n in graph.nodes if id(n) not in dead for v in n.inputs}
        used.update(r.id for r in graph.results)
        node = orphans.pop()
        if (id(node) in dead or node.has_effects or node.regions
                or any(v.id in used for v in node.outputs)):
            continue
        dead.add(id(node))
        orphans.extend(v.node for v in node.inputs if v.node is not None)
    graph.nodes = [n for n in graph.nodes if id(n) not in dead]


def _resolve(mapping, v):
    while v.id in mapping:
        v = mapping[v.id]
    return v


run = simplify
