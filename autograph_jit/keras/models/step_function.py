"""`FlatStepFunction`: a compiled train/test/predict step called with a batch structure
(`(x, y)`, `({"a": xa}, y, w)`, ...) but traced over its tensors as flat positional arguments,
so each call takes the tf.function warm path (native argument checks, no structure walk);
one trace per batch structure, unknown batch sizes after the second size.

Under `tf.device("/GPU:0")` (entered by the caller, or by Model.fit/evaluate/predict for a model
made or compiled under one: trainer.py) each structure's tf.function compiles its GPU twin
(tracing/function.py keeps one trace cache per device). `explain()` and `explain_steps(model)`
show what every device compiled (the GPU report lines say kernels, launches and copies).
"""
from ... import nest
from . import graph_cache
from ...tracing.function import Function

__all__ = ["FlatStepFunction", "explain_steps", "concrete_functions_of"]


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

    def concrete_functions(self):
        """Every ConcreteFunction traced so far, for every batch structure and device."""
        return [cf for fn in self._compiled.values() for cf in concrete_functions_of(fn)]

    def explain(self, verbose=False):
        """`cf.explain()` of every traced step (each device's: the GPU backend's report says
        kernels, launches, copies and any host step), one after another.

        Example: `with tf.device("/GPU:0"): model.fit(x, y)`, then
        `print(model.train_function.explain())` shows `backend 'gpu'` and its kernels."""
        return "\n\n".join(cf.explain(verbose) for cf in self.concrete_functions())


def concrete_functions_of(fn):
    """The ConcreteFunctions the tf.function `fn` traced so far on every device: its own and its
    tf.device twins' (tracing/function.py: one trace cache per device).

    Example: after `with tf.device("/GPU:0"): f(x)`, `[cf.backend for cf in
    concrete_functions_of(f)] == ["gpu"]`."""
    out = list(fn.cached_concrete_functions())
    for twin in fn._by_device.values():
        out.extend(twin.cached_concrete_functions())
    return out


def explain_steps(model, verbose=False):
    """What the model's compiled steps are, on every device: the `explain()` of each traced
    train/test/predict step and of fit's many-steps-per-call loop (steps.py), one after another.

    Args:
      model: a compiled Keras model that ran fit/evaluate/predict.
      verbose: passed to each `cf.explain()`.
    Returns:
      The text (empty when nothing was compiled yet, e.g. `run_eagerly=True`).

    Example:
        with tf.device("/GPU:0"):
            model.fit(x, y, epochs=1)
        print(explain_steps(model))    # "How `train_loop_function` is compiled (backend 'gpu')"
    """
    texts = []
    for fn in model._functions.values():
        if isinstance(fn, FlatStepFunction):
            cfs = fn.concrete_functions()
        elif isinstance(fn, Function):
            cfs = concrete_functions_of(fn)
        else:
            continue
        texts.extend(cf.explain(verbose) for cf in cfs)
    return "\n\n".join(texts)
