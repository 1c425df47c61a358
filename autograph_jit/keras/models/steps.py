"""One epoch of `fit`: feed the batches to the compiled train step, calling the callbacks'
batch hooks, and stop early when a callback sets `model.stop_training`.

In-memory data with the default `train_step`, compiled steps and no callback that reads every
batch run many steps per native call: one `tf.function` holds a `tf.while_loop` over batch
slices (rows gathered through the epoch's permutation), so Python runs once per chunk (once per
progress-bar update on a terminal, once per epoch otherwise). The arrays are packed once per fit
with their rows padded up to a bucket (at most 1/8 more; the padding is never gathered), so fits
on different sample counts in one bucket share one trace and one compiled variant; the model keeps
the padded buffers for its next fit (refilled in place, no fresh allocation). The final
partial batch, if any, runs through the ordinary compiled step, traced once with an unknown batch
dimension whatever its size. Results equal the step-by-step path.
"""
import numpy as np

from ... import nest
from ...tensor import EagerTensor, convert_to_tensor
from .data_adapter import ArrayData, executions_of
from ...tracing.signature import TensorSpec
from .trainer import Trainer
from ...ops.array_ops import range as tf_range
from ...ops.control_ops import while_loop
from ...ops.gather_ops import gather
from ...tracing.function import Function
from .graph_cache import attach

__all__ = ["StepRunner"]


class StepRunner:
    """Runs epochs of `model.train_function` over `data` (an ArrayData or IterableData)."""

    def __init__(self, model, data, callbacks):
        self.model = model
        self.data = data
        self.callbacks = callbacks
        self.built = False
        self._loop = None
        self._arrays = None
        self._partial_traced = False

    def run_epoch(self):
        """Train one epoch; returns the last step's logs ({} when there was no batch)."""
        if self._can_loop():
            return self._run_looped()
        model, callbacks = self.model, self.callbacks
        logs = {}
        fn = None
        # as Keras 3: the batch hooks fire once per execution of `steps_per_execution` steps
        # (begin with its first step's index, end with its last's)
        for begin, end, take in executions_of(self.data, model.steps_per_execution):
            callbacks.on_train_batch_begin(begin)
            batches = take()
            if not batches:   # the data ran out (warned): the epoch ends here
                break
            if fn is None:
                self._build(batches[0])
                fn = model.train_function
            for batch in batches:
                logs = fn(batch)
            callbacks.on_train_batch_end(end, logs)
            if model.stop_training:
                break
        return logs

    def _build(self, batch):
        if not self.built:
            self.model._symbolic_build(batch)
            self.built = True

    # -- many steps per native call -------------------------------------------------------------
    def _can_loop(self):
        model, data = self.model, self.data
        if not isinstance(data, ArrayData) or model.run_eagerly:
            return False
        if type(model).train_step is not Trainer.train_step or data.shuffle == "batch":
            return False
        if not data.full_pass:
            return False  # steps_per_epoch continues or cuts passes: step by step
        if data.num_samples // data.batch_size < 2:
            return False
        if self.callbacks.needs_every_batch():
            return False
        # the CPU backend compiles one variant per data shape (the first 8 at once): past a few
        # sample counts, run step by step (fixed batch shapes) rather than let a new count run
        # a whole epoch on the interpreter
        seen = model._functions.setdefault(("train_loop_sizes", data.batch_size), set())
        rows = _bucket(data.num_samples)
        if rows not in seen and len(seen) >= 6:
            return False
        seen.add(rows)
        return True

    def _chunk_size(self, full_steps):
        if self.model.steps_per_execution > 1:
            return self.model.steps_per_execution
        progbar = getattr(self.callbacks, "_progbar", None)
        bar = getattr(progbar, "progbar", None)
        if progbar is not None and progbar.verbose == 1 and bar is not None and \
                bar._dynamic_display:
            return max(1, full_steps // 20)  # about twenty redraws per epoch
        return full_steps

    def _make_loop(self, batch_size):
        model = self.model

        def loop(arrays, perm, start, count):
            def body(i):
                index = gather(perm, (start + i) * batch_size + tf_range(batch_size))
                batch = nest.map_structure(
                    lambda a: None if a is None else gather(a, index), arrays)
                model.train_step(batch)
                return (i + 1,)
            while_loop(lambda i: i < count, body, (convert_to_tensor(0),))
            return model.get_metrics_result()
        return attach(Function(loop, name="train_loop_function", reduce_retracing=True))

    def _run_looped(self):
        model, data, callbacks = self.model, self.data, self.callbacks
        n, bs = data.num_samples, data.batch_size
        full_steps, rest = divmod(n, bs)
        if self._arrays is None:
            self._arrays = _pack(data, model._functions.setdefault("train_loop_buffers", {}))
            key = ("train_loop", bs)
            self._loop = model._functions.get(key)
            if self._loop is None:  # kept with the model's steps: later fits reuse its traces
                self._loop = model._functions[key] = self._make_loop(bs)
        # the same draw as the step-by-step path (ArrayData.epoch_batches), so both agree
        order = np.random.permutation(n) if data.shuffle else np.arange(n)
        padded = np.zeros(_bucket(n), np.int32)  # (the loop's shapes depend on the bucket only)
        padded[:n] = order
        perm = convert_to_tensor(padded)
        first = data._slice(order[:bs])
        self._build(first)
        chunk = self._chunk_size(full_steps)
        logs = {}
        done = 0
        while done < full_steps:
            count = min(chunk, full_steps - done)
            callbacks.on_train_batch_begin(done)
            logs = self._loop(self._arrays, perm, convert_to_tensor(np.int32(done)),
                              convert_to_tensor(np.int32(count)))
            done += count
            callbacks.on_train_batch_end(done - 1, logs)
            if model.stop_training:
                return logs
        if rest:
            callbacks.on_train_batch_begin(full_steps)
            batch = data._slice(order[full_steps * bs:])
            if not self._partial_traced:
                _trace_unknown_batch(model.train_function, batch)
                self._partial_traced = True
            logs = model.train_function(batch)
            callbacks.on_train_batch_end(full_steps, logs)
        return logs


def _bucket(n):
    """`n` rounded up to a multiple of 2**(bits(n) - 4): at most 1/8 more, 8 buckets an octave."""
    unit = 1 << max(0, n.bit_length() - 4)
    return -(-n // unit) * unit


def _trace_unknown_batch(train_function, batch):
    """Trace the step for `batch`'s structure with an unknown batch dimension (once): a partial
    batch of any size then reuses that trace instead of tracing its own size."""

    def spec(a):
        if a is None:
            return None
        a = np.asarray(a)
        shape = (None,) + a.shape[1:] if a.ndim else ()
        return TensorSpec(shape, dtype=_dtype_of(a))
    train_function.get_concrete_function(nest.map_structure(spec, batch))


def _dtype_of(a):
    return convert_to_tensor(a[:0] if a.ndim else a).dtype


def _pack(data, buffers):
    """The epoch's arrays as tensors (converted once per fit): (x,), (x, y) or (x, y, w), their
    rows padded with zeros up to `_bucket(num_samples)`.

    Numeric arrays are copied into buffers kept in `buffers` (a dict the model keeps with its
    compiled steps) and reused by the next fit with the same shapes and dtypes: a fresh buffer of
    the data's size costs page faults, often more than the copy itself (tens to hundreds of ms
    for 40 MB on a loaded machine). Only this fit's tensors view a buffer while it runs."""
    rows = _bucket(data.num_samples)
    leaves = nest.flatten((data.x, data.y, data.sample_weight))
    key = tuple(None if a is None else (np.shape(a)[1:], str(np.asarray(a).dtype))
                for a in leaves) + (rows,)
    kept = buffers.get(key)
    fresh = []

    def conv(a):
        if a is None:
            return None
        a = np.asarray(a)
        if not a.ndim or a.dtype.kind not in "biuf":
            return convert_to_tensor(a)
        dtype = _dtype_of(a)
        buf = kept.pop(0) if kept else np.empty((rows,) + a.shape[1:], dtype.np_dtype)
        buf[:a.shape[0]] = a
        buf[a.shape[0]:] = 0
        fresh.append(buf)
        return EagerTensor(buf.view(), dtype)  # (read-only view; the buffer is ours)
    x = nest.map_structure(conv, data.x)
    if data.y is None:
        out = (x,)
    else:
        y = nest.map_structure(conv, data.y)
        out = (x, y) if data.sample_weight is None else \
            (x, y, nest.map_structure(conv, data.sample_weight))
    buffers.clear()  # (one set of buffers per model: the last fit's data shapes)
    buffers[key] = fresh
    return out
