"""`FlatStepFunction`: a compiled train/test/predict step called with a batch structure
(`(x, y)`, `({"a": xa}, y, w)`, ...) but traced over its tensors as flat positional arguments,
so each call takes the tf.function warm path (native argument checks, no structure walk);
one trace per batch structure, unknown batch sizes after the second size."""
from ... import nest
from . import graph_cache
from ...tracing.function import Function

__all__ = ["FlatStepFunction"]


def _structure_key(data):
    if isinstance(data, dict):
        return ("dict",) + tuple((k, _structure_key(data[k])) for k in sorted(data, key=repr))
    if isinstance(data, (list, tuple)):
        return (type(data).__name__,) + tuple(_structure_key(v) for v in data)
    return "none" if data is None else "leaf"


class FlatStepFunction:
    """Calls `step(data)` compiled, one `tf.function` per structure of `data`."""

    def __init__(self, step, name):
        self._step = step
        self._name = name
        self._compiled = {}

    def _make(self, data):
        template = nest.map_structure(lambda v: None if v is None else 0, data)
        leaves = nest.flatten(template)
        positions = [i for i, v in enumerate(leaves) if v is not None]
        step = self._step

        def run(*tensors):
            full = [None] * len(leaves)
            for position, tensor in zip(positions, tensors):
                full[position] = tensor
            return step(nest.pack_sequence_as(template, full))
        run.__name__ = self._name
        # a new process with a warm disk cache skips tracing (graph_cache.py)
        return graph_cache.attach(Function(run, name=self._name, reduce_retracing=True))

    def __call__(self, data):
        key = _structure_key(data)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = self._make(data)
        return fn(*[v for v in nest.flatten(data) if v is not None])

    def get_concrete_function(self, data):
        key = _structure_key(data)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = self._make(data)
        return fn.get_concrete_function(*[v for v in nest.flatten(data) if v is not None])

    def experimental_get_tracing_count(self):
        return sum(fn.experimental_get_tracing_count() for fn in self._compiled.values())
