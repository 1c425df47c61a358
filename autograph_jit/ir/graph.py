"""The IR: Value, Node, Graph (typed SSA with structured regions and an effect token).

- A `Value` is produced once, by a node output or a graph parameter, and has a type: a
  TensorType, or TOKEN for the effect token.
- A `Node` applies one OpDef to input values with static attributes; `regions` holds the region
  graphs of control-flow nodes (cond: then/else; while_loop: cond/body). Regions are closed: every
  outer value they use is an explicit parameter, passed as an operand of the node.
- Effectful nodes take the current token as their last input and produce the next one as their
  last output; a graph whose body has effects takes a token parameter and returns one, so the
  order of effects is data flow that every pass respects.
"""
import itertools
import os

__all__ = ["Value", "Node", "Graph", "TOKEN", "EffectType", "SourceLocation"]

_ids = itertools.count(1)


class EffectType:
    """The type of the effect token (prints as `!effect`)."""

    dtype = None
    shape = None

    def __str__(self):
        return "!effect"

    __repr__ = __str__


TOKEN = EffectType()


class SourceLocation:
    __slots__ = ("filename", "lineno", "source", "function")

    def __init__(self, filename, lineno, source="", function=""):
        self.filename = filename
        self.lineno = lineno
        self.source = source
        self.function = function

    def short(self):
        return f"{os.path.basename(self.filename)}:{self.lineno}"

    def __repr__(self):
        return f"{self.filename}:{self.lineno}"


class Value:
    __slots__ = ("type", "node", "index", "name", "id")

    def __init__(self, type, node=None, index=0, name=None):  # noqa: A002
        self.type = type
        self.node = node
        self.index = index
        self.name = name
        self.id = next(_ids)

    @property
    def is_token(self):
        return self.type is TOKEN

    def __repr__(self):
        return f"<Value %{self.name or self.id}: {self.type}>"


class Node:
    __slots__ = ("op", "inputs", "attrs", "outputs", "location", "name")

    def __init__(self, op, inputs, attrs, out_types, location=None, name=None):
        self.op = op
        self.inputs = list(inputs)
        self.attrs = dict(attrs)
        self.outputs = [Value(t, self, i) for i, t in enumerate(out_types)]
        self.location = location
        self.name = name or op.name

    @property
    def regions(self):
        """Region graphs are attributes whose value is a Graph (cond: then/else, ...)."""
        return {k: v for k, v in self.attrs.items() if isinstance(v, Graph)}

    @property
    def has_effects(self):
        return bool(self.op.effects) or any(g.has_effects for g in self.regions.values())

    @property
    def data_inputs(self):
        return [v for v in self.inputs if not v.is_token]

    @property
    def data_outputs(self):
        return [v for v in self.outputs if not v.is_token]

    def __repr__(self):
        return f"<Node {self.name}: {self.op.name}>"


class Graph:
    """A function body: typed parameters, nodes in program order, results."""

    def __init__(self, name, params=None, nodes=None, results=None):
        self.name = name
        self.params = list(params or [])
        self.nodes = list(nodes or [])
        self.results = list(results or [])
        # set by the buffer-planning pass (passes/buffer_plan.py): a MemoryPlan for backends
        self.memory_plan = None

    @property
    def has_effects(self):
        return any(p.is_token for p in self.params)

    @property
    def data_params(self):
        return [p for p in self.params if not p.is_token]

    @property
    def data_results(self):
        return [r for r in self.results if not r.is_token]

    def walk(self):
        """Every node, regions included (pre-order)."""
        for node in self.nodes:
            yield node
            for region in node.regions.values():
                yield from region.walk()

    def node_count(self):
        return sum(1 for _ in self.walk())

    def __str__(self):
        from .printer import format_graph
        return format_graph(self)

    def __repr__(self):
        return f"<Graph {self.name}: {len(self.params)} params, {len(self.nodes)} nodes>"
