"""ConcreteFunction: one traced graph for one input signature, callable and inspectable.

A call converts its tensor leaves, runs the graph (the interpreter, or a compiled backend), and
packs the results into the traced output structure. Variables are captured by reference: the
graph reads their current values at call time and writes them in place.
"""
import numpy as np

from .. import nest
from ..autodiff import tape as _tape
from ..runtime.interpreter import run_graph
from ..tensor import EagerTensor
from . import context
from .replay import replay, variables_read

_LEAF = object()  # marks where a graph result goes in the output structure


class ConcreteFunction:
    def __init__(self, name, graph, input_tensors, output_tensors, output_structure,
                 structured_input_signature, python_function, backend="eager", trace_seconds=0.0):
        self.name = name
        self.graph = graph
        self.inputs = input_tensors            # symbolic parameter tensors
        self.outputs = output_tensors          # symbolic result tensors
        self._output_structure = output_structure
        self.structured_input_signature = structured_input_signature
        self.python_function = python_function
        self.backend = backend
        self._variables = variables_read(graph)
        self._has_token = graph.has_effects
        self.trace_seconds = trace_seconds
        # (stage name, seconds) in the order the stages ran: "autograph convert", "trace", one
        # "pass <name>" per optimizer pass, "llvm optimize", "machine code" (see explain()).
        self.stage_times = []

    @property
    def variables(self):
        return tuple(self._variables)

    @property
    def trainable_variables(self):
        return tuple(v for v in self._variables if v.trainable)

    @property
    def optimized_graph(self):
        return self.graph

    def to_dot(self):
        from ..ir.dot import to_dot
        return to_dot(self.graph)

    def explain(self):
        lines = [f"concrete function {self.name}",
                 f"  trace: {self.trace_seconds * 1000:.2f} ms, "
                 f"{self.graph.node_count()} nodes, backend {self.backend}",
                 "", str(self.graph)]
        return "\n".join(lines)

    def pretty_printed_signature(self):
        return f"{self.name}{self.structured_input_signature}"

    def __repr__(self):
        return f"<ConcreteFunction {self.name} at 0x{id(self):X}>"

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        from .signature import call_key
        tensors = []
        for a in nest.flatten((args, kwargs)):
            call_key(a, tensors, [])
        expected = len(self.graph.data_params)
        if len(tensors) != expected:
            raise TypeError(f"{self.name}: expected {expected} tensor argument(s) matching "
                            f"{self.structured_input_signature}, got {len(tensors)}")
        for t, p in zip(tensors, self.graph.data_params):
            if t.dtype is not p.type.dtype or not p.type.shape.is_compatible_with(t.shape):
                raise TypeError(f"{self.name}: argument of type {t.dtype.name}{t.shape} does not "
                                f"match the traced parameter {p.type}")
        return self._call_flat(tensors)

    def _call_flat(self, tensors):
        builder = context.current_builder()
        if builder is not None or (_tape.ACTIVE_TAPES and self._needs_tape(tensors)):
            results = replay(self.graph, tensors)
        else:
            args = [t._value for t in tensors]
            if self._has_token:
                args.append(None)
            raw = run_graph(self.graph, args)
            results = [EagerTensor(np.asarray(v), r.type.dtype)
                       for v, r in zip(raw, self.graph.results) if not r.is_token]
        it = iter(results)
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x,
                                  self._output_structure)

    def _needs_tape(self, tensors):
        for tape in _tape.ACTIVE_TAPES:
            if any(_tape._key(t) in tape._watched for t in tensors):
                return True
            if tape._watch_accessed_variables and any(v.trainable for v in self._variables):
                return True
            if any(_tape._key(v) in tape._watched for v in self._variables):
                return True
        return False
