"""User functions inside pipelines (map, filter, scan, ...): traced once with `tf.function`
and run compiled on flat component arrays; and the map-batch fusion test.

Calling convention (TF's): a tuple element is passed as separate arguments, anything else
(a tensor, a dict, a namedtuple) as one argument.

Functions whose inputs hold a `tf.string` component, or that call a host-only function
(tf.io.serialize_tensor, parse_*, tf.sparse: `tf.errors.HostOnlyError` while tracing), run
eagerly (autograph_jit has no string tensors inside graphs); their output spec is taken from
the first element they produce.

Fusion (`is_rowwise`): `ds.map(f).batch(n)` may run `f` once per batch instead of once per
element when the traced graph of `f` only holds elementwise ops whose non-scalar operands all
share the output's shape (rank-0 constants broadcast), no effects and no variables: then
`f(stack(rows)) == stack(f(row) for row in rows)` exactly. The batched trace must hold the same
ops in the same order, or the pipeline stays per element.
"""
import warnings

import numpy as np

from .. import dtypes, nest
from ..autograph import api as _ag
from ..tensor import Tensor, convert_to_tensor
from ..tracing.function import function
from ..tracing.signature import TensorSpec
from . import structure


def call_user(func, element):
    """`func(*element)` for a plain tuple, else `func(element)` (TF's rule)."""
    if type(element) is tuple:
        return func(*element)
    return func(element)


class DatasetFunction:
    """`func` over elements of `input_spec`; `what` names it in errors ("map", "filter")."""

    def __init__(self, func, input_spec, what, extra_spec=None):
        if not callable(func):
            raise TypeError(f"`{what}` expects a callable, got {type(func).__name__}")
        self.func = func
        self.what = what
        self.input_spec = input_spec
        self._out_struct = None
        self._out_spec = None
        self._in_specs = nest.flatten(input_spec)
        self.eager = any(not isinstance(s, TensorSpec) or s.dtype is dtypes.string
                         for s in self._in_specs)
        self._tf = None
        self._concrete = None
        self._batched_ok = None
        if not self.eager:
            try:
                self._trace()
            except structure.HostOnlyError:
                # the function calls a host-only tf.io / tf.sparse function: run it eagerly
                self.eager = True
                self._out_struct = self._out_spec = None

    # -- tracing -----------------------------------------------------------------------------------
    def _trace(self):
        # the closure holds no Python scalars: tf.function would guard on them and skip its
        # warm-call fast path
        ctx = _TraceContext(self.input_spec, _convert(self.func), self)

        def flat_fn(*flat):
            return ctx.run(flat)
        flat_fn.__name__ = getattr(self.func, "__name__", self.what)
        self._tf = function(flat_fn, autograph=False)
        self._concrete = self._tf.get_concrete_function(
            *[TensorSpec(s.shape, s.dtype) for s in self._in_specs])
        outs = self._concrete.outputs
        self._out_spec = nest.pack_sequence_as(
            self._out_struct, [TensorSpec(t.shape, t.dtype) for t in outs])

    def _flatten_result(self, out):
        if isinstance(out, list):  # TF reads a returned list as a tuple of components
            out = tuple(out)
        struct = nest.map_structure(lambda x: None, out) if nest.is_nested(out) else None
        leaves = nest.flatten(out)
        tensors = []
        for v in leaves:
            if v is None:
                raise TypeError(f"The `{self.what}` function returned None, which is not a "
                                "tensor; return a tensor (or a structure of tensors).")
            if isinstance(v, Tensor):
                tensors.append(v)
            else:
                tensors.append(convert_to_tensor(v))
        if self._out_struct is None:
            self._out_struct = struct
        return tensors

    @property
    def output_spec(self):
        return self._out_spec

    # -- calls -------------------------------------------------------------------------------------
    def __call__(self, flat):
        """Flat arrays in, flat arrays out."""
        if self.eager:
            return self._call_eager(flat)
        tensors = [structure.wrap(a, s.dtype) for a, s in zip(flat, self._in_specs)]
        out = self._tf(*tensors)
        return tuple(t._value for t in out)

    def call_batched(self, flat):
        """Flat batched arrays in and out (only when `is_rowwise()`)."""
        tensors = [structure.wrap(a, s.dtype) for a, s in zip(flat, self._in_specs)]
        out = self._tf(*tensors)
        return tuple(t._value for t in out)

    def _call_eager(self, flat):
        element = structure.to_user(self.input_spec, flat)
        out = call_user(self.func, element)
        if isinstance(out, list):
            out = tuple(out)
        spec, arrays = structure.normalize(out)
        if self._out_spec is None:
            self._out_spec = spec
        return arrays

    def user_call(self, flat):
        """The function's result on one element, as user tensors (for reduce/scan/predicates
        whose result feeds Python)."""
        out = self(flat)
        return structure.to_user(self._out_spec, out)

    # -- fusion ------------------------------------------------------------------------------------
    def is_rowwise(self):
        """True when running on a stacked batch equals stacking the per-row results."""
        if self.eager or self._concrete is None:
            return False
        if self._batched_ok is None:
            self._batched_ok = _rowwise_graph(self._concrete) and self._same_batched_graph()
        return self._batched_ok

    def _same_batched_graph(self):
        specs = [structure.batched_spec(s, None) for s in self._in_specs]
        try:
            batched = self._tf.get_concrete_function(*specs)
        except Exception:  # the function cannot take a batch (e.g. it reads a static shape)
            return False
        return _signature(self._concrete.graph) == _signature(batched.graph)


def _convert(func):
    """The AutoGraph-converted function. A lambda AutoGraph cannot locate (several on one
    line, as pipelines are often written) runs as written without a warning: it holds no
    statements, and a tensor condition in it still fails loudly while tracing."""
    if getattr(func, "__name__", "") != "<lambda>":
        return _ag.convert_for_tracing(func)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="AutoGraph could not convert")
        return _ag.convert_for_tracing(func)


class _TraceContext:
    """What the traced flat function needs: pack the arguments, call the (AutoGraph-converted)
    user function, flatten its result."""

    def __init__(self, spec, converted, owner):
        self.spec, self.converted, self.owner = spec, converted, owner
        self.unpack = type(spec) is tuple

    def run(self, flat):
        element = nest.pack_sequence_as(self.spec, list(flat))
        out = self.converted(*element) if self.unpack else self.converted(element)
        return tuple(self.owner._flatten_result(out))  # a flat tuple: the fastest warm call


def _signature(graph):
    out = []
    for n in graph.nodes:
        const = n.attrs.get("value") if n.op.name == "constant" else None
        out.append((n.op.name, None if const is None else np.asarray(const).tobytes()))
    return out


def _rowwise_graph(cf):
    graph = cf.graph
    if graph.has_effects or cf.variables:
        return False
    scalar_consts = set()
    shapes = {}
    for p in graph.params:
        shapes[p.id] = p.type.shape
    for node in graph.nodes:
        if node.regions:
            return False
        if node.op.name == "constant":
            if len(node.outputs) != 1 or node.outputs[0].type.shape.rank != 0:
                return False
            scalar_consts.add(node.outputs[0].id)
            continue
        if not node.op.elementwise or not node.op.is_pure:
            return False
        out_shape = node.outputs[0].type.shape
        if not out_shape.is_fully_defined():
            return False
        for v in node.data_inputs:
            if v.id in scalar_consts:
                continue
            if v.id not in shapes or shapes[v.id] != out_shape:
                return False
        for v in node.data_outputs:
            shapes[v.id] = v.type.shape
    for r in graph.data_results:
        if r.id not in shapes:  # a constant result would not gain the batch dimension
            return False
    return True
