"""GraphBuilder: what `apply` talks to while a function (or a region of one) is being traced.

It turns op applications into Nodes with the user's source location, converts eager tensors into
constant nodes, turns uses of outer symbolic tensors inside a region into explicit region
parameters (captures), threads the effect token through effectful ops, and reports errors with
the user's file, line and source text.
"""
import linecache
import sys

import numpy as np

from .. import tracebacks as _tracebacks
from ..ir.graph import TOKEN, Graph, Node, SourceLocation, Value
from ..ir.types import TensorType
from ..tensor import EagerTensor, Tensor
from .symbolic import SymbolicTensor
from ..ops.array_ops import constant_op
from ..ops.opdef import infer_types
from ..runtime.interpreter import run_node

# (the one rule for "a frame of this library": tracebacks.py)
is_library_file = _tracebacks.is_library


# Code objects of this library's own source files that origin.py maps to nothing: frames that
# user_location passes over at once (each node's search walks ~13 of them). Valid while origin's
# registrations() stays at _SKIPPED_AT[0]; cleared when it moves.
_SKIPPED = set()
_SKIPPED_AT = [-1]


def user_location(skip=1):
    """The innermost stack frame outside this library, as a SourceLocation (None if none)."""
    from ..autograph import origin  # maps converted code back to the user's lines
    if _SKIPPED_AT[0] != origin.registrations():
        _SKIPPED.clear()
        _SKIPPED_AT[0] = origin.registrations()
    frame = sys._getframe(skip)
    while frame is not None:
        code = frame.f_code
        if code in _SKIPPED:
            frame = frame.f_back
            continue
        filename = code.co_filename
        mapped = origin.map_frame(frame)
        if mapped is not None:
            return mapped
        if not is_library_file(filename):
            line = linecache.getline(filename, frame.f_lineno).strip()
            return SourceLocation(filename, frame.f_lineno, line, code.co_name)
        if not filename.startswith("<") and origin.maps_nothing_of(code):
            _SKIPPED.add(code)  # (a source file's code lives as long as its module)
        frame = frame.f_back
    return None


class GraphBuilder:
    def __init__(self, name, parent=None):
        self.graph = Graph(name)
        self.parent = parent
        self.root = self if parent is None else parent.root
        self.token = None          # the current effect token (None: no effect yet)
        self.token_param = None
        self.captures = []         # (outer Value, region param Value), in order of first use
        self._capture_index = {}
        self._names = {} if parent is None else parent._names
        self._constants = {}       # id(EagerTensor) -> (tensor, Value): one node per constant
        self.allow_variable_creation = True
        self.created_variables = []
        self.location_override = None  # set while replaying another graph's nodes

    # -- values ---------------------------------------------------------------------------------
    def add_param(self, ty, name=None):
        v = Value(ty, name=name)
        self.graph.params.append(v)
        return v

    def symbolic(self, value):
        return SymbolicTensor(value, self)

    def is_ancestor_of(self, builder):
        b = builder
        while b is not None:
            if b is self:
                return True
            b = b.parent
        return False

    def value_of(self, t):
        """The Value standing for tensor `t` in this graph (capturing or embedding as needed)."""
        if isinstance(t, SymbolicTensor):
            owner = t._builder
            if owner is self:
                return t._val
            if owner.is_ancestor_of(self):
                return self._capture(t)
            raise TypeError(
                f"The symbolic tensor {t!r} belongs to another function's graph "
                f"({owner.root.graph.name}) and cannot be used here. Pass it as an argument "
                "or return it from that function instead.")
        if isinstance(t, EagerTensor):
            return self._constant_value(t)
        conv = getattr(t, "_as_tensor", None)
        if conv is not None:
            return self.value_of(conv())
        raise TypeError(f"Expected a tensor, got {type(t).__name__}: {t!r}")

    def _capture(self, t):
        key = t._val.id
        param = self._capture_index.get(key)
        if param is None:
            outer = self.parent.value_of(t)
            param = Value(outer.type, name=outer.name)
            self.graph.params.append(param)
            self.captures.append((outer, param))
            self._capture_index[key] = param
        return param

    def _constant_value(self, t):
        hit = self._constants.get(id(t))
        if hit is not None:
            return hit[1]
        value = t._value
        node = self._new_node(constant_op, [], {"value": value, "dtype": t.dtype},
                              [TensorType(t.dtype, value.shape, value)])
        self._constants[id(t)] = (t, node.outputs[0])
        return node.outputs[0]

    def constant(self, arr, dtype):
        """A constant node for a value converted while tracing (tf.constant inside a function)."""
        arr = np.asarray(arr, dtype=dtype.np_dtype)
        arr.flags.writeable = False
        node = self._new_node(constant_op, [], {"value": arr, "dtype": dtype},
                              [TensorType(dtype, arr.shape, arr)])
        return SymbolicTensor(node.outputs[0], self)

    def evaluate_constant(self, value, limit=10000):
        """Compute `value` now when it depends only on constants through pure, region-free
        ops (e.g. a tf.Variable initializer `tf.zeros([2])` inside a first trace); else None."""
        order, seen, stack = [], set(), [value]
        while stack:
            v = stack.pop()
            node = v.node
            if node is None or node.op.effects or node.regions:
                return None
            if id(node) in seen:
                continue
            seen.add(id(node))
            order.append(node)
            if len(order) > limit:
                return None
            stack.extend(node.data_inputs)
        env = {}
        for node in sorted(order, key=lambda n: self._position(n)):
            outs = run_node(node, [env[v.id] for v in node.inputs])
            for v, o in zip(node.outputs, outs):
                env[v.id] = o
        return env[value.id]

    def _position(self, node):
        b = self
        while b is not None:
            try:
                return b.graph.nodes.index(node)
            except ValueError:
                b = b.parent
        return 0

    # -- nodes ----------------------------------------------------------------------------------
    def unique_name(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def current_token(self):
        if self.token is None:
            self.token_param = Value(TOKEN)
            self.token = self.token_param
        return self.token

    def _new_node(self, op, values, attrs, out_types, effects=False):
        if effects:
            values = list(values) + [self.current_token()]
            out_types = list(out_types) + [TOKEN]
        node = Node(op, values, attrs, out_types, location=self.location_override or
                    user_location(2), name=self.unique_name(op.name))
        self.graph.nodes.append(node)
        if effects:
            self.token = node.outputs[-1]
        return node

    def add_node(self, op, inputs, attrs):
        values = [self.value_of(t) for t in inputs]
        try:
            out_types = infer_types(op, [v.type for v in values], attrs)
        except (TypeError, ValueError) as e:
            raise self.located(e) from None
        effects = bool(op.effects) or any(
            isinstance(g, Graph) and g.has_effects for g in attrs.values())
        node = self._new_node(op, values, attrs, out_types, effects)
        return tuple(SymbolicTensor(v, self) for v in node.data_outputs)

    def finish(self, result_values):
        """Seal the graph: results, then the token (when any effect happened)."""
        self.graph.results = list(result_values)
        if self.token_param is not None:
            self.graph.params.append(self.token_param)
            self.graph.results.append(self.token)
        return self.graph

    # -- variables ------------------------------------------------------------------------------
    def on_variable_created(self, var):
        root = self.root
        if not root.allow_variable_creation:
            if getattr(root, "variable_refusal", "later") == "every_call":
                why = ("This function creates a new tf.Variable every time it runs: the first "
                       "call traced it twice, as TF does, and the second trace made another one. ")
            else:
                why = ("This trace (for new argument types or shapes) is not the first call, "
                       "and it creates a tf.Variable. ")
            raise ValueError(
                "tf.function only supports singleton tf.Variables created on the first call. "
                + why + "Make sure the tf.Variable is only created once (the tf.Module "
                "singleton pattern: `if self.v is None: self.v = tf.Variable(...)`) or created "
                "outside tf.function and passed in or captured."
                + self.location_text(prefix="\n  at "))
        root.created_variables.append(var)

    # -- errors ---------------------------------------------------------------------------------
    def location_text(self, prefix=" at "):
        loc = user_location(2)
        if loc is None:
            return ""
        source = f": {loc.source}" if loc.source else ""  # (no source text: python -c, exec)
        return f'{prefix}File "{loc.filename}", line {loc.lineno}{source}'

    def located(self, exc):
        """`exc` with the user's file, line and source text added (once)."""
        if getattr(exc, "_agj_located", False):
            return exc
        loc = user_location(2)
        if loc is None:
            return exc
        text = (f'{exc}\n\n  File "{loc.filename}", line {loc.lineno}, in {loc.function}\n'
                f'    {loc.source}')
        try:
            new = type(exc)(text)
        except Exception:  # an exception type with a different constructor: keep it
            return exc
        new._agj_located = True
        return new


def is_symbolic(t):
    return isinstance(t, Tensor) and t._is_symbolic
