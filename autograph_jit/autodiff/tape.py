"""GradientTape: records ops applied to watched tensors and replays their VJPs backwards.

Recording happens in `record` (ops/recording.py, a leaf below the op families, so `apply` needs
no import of this module), called by `apply` for every op while any tape is active. A tape
records an op when one of its inputs is watched (directly, or as the output of an op it recorded);
the op's floating outputs then become watched. Variables are watched by identity; reading one
(`read_variable`) is recorded as an edge from the Variable to the tensor read.

The backward pass runs each recorded op's VJP (written with public ops), so it works eagerly and
while tracing, and tapes active during a `gradient()` call record the backward ops themselves —
which is how nested tapes give higher-order derivatives.
"""
import warnings

import numpy as np

from .. import nest
from ..ops import array_ops, math_ops
from ..ops.linalg_ops import diag_part
from ..ops.recording import (ACTIVE_TAPES, Call, key as _key, record,
                             trainable_dtype as _trainable_dtype)
from ..tensor import EagerTensor, convert_to_tensor
from ..variables import Variable

__all__ = ["GradientTape", "ACTIVE_TAPES", "record", "stop_recording", "UnconnectedGradients"]


class UnconnectedGradients:
    """What `GradientTape.gradient` returns for sources not connected to the target:
    `NONE` (None, the default) or `ZERO` (zeros shaped like the source).

    >>> x, y = tf.constant(1.0), tf.constant(2.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch([x, y])
    ...     z = x * 3
    >>> float(tape.gradient(z, y, unconnected_gradients=tf.UnconnectedGradients.ZERO))
    0.0
    """

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """TF's `tf.GradientTape(persistent=False, watch_accessed_variables=True)`.

    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> print(tape.gradient(y, x))
    tf.Tensor(6.0, shape=(), dtype=float32)
    >>> with tf.GradientTape() as outer:
    ...     with tf.GradientTape() as inner:
    ...         y = x ** 3
    ...     dy = inner.gradient(y, x)
    >>> print(outer.gradient(dy, x))
    tf.Tensor(18.0, shape=(), dtype=float32)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._watched = {}        # id -> tensor or Variable (kept alive so ids stay unique)
        self._records = []
        self._recording = False
        self._used = False
        self._accessed = {}

    # -- recording ------------------------------------------------------------------------------
    def __enter__(self):
        if self in ACTIVE_TAPES:
            raise ValueError("This GradientTape is already recording; it cannot be entered twice.")
        ACTIVE_TAPES.append(self)
        self._recording = True
        return self

    def __exit__(self, *exc):
        self._recording = False
        if self in ACTIVE_TAPES:
            ACTIVE_TAPES.remove(self)
        return False

    def watch(self, tensor):
        """Watch a tensor, a Variable, or a nested structure of them."""
        for t in nest.flatten(tensor):
            dtype = getattr(t, "dtype", None)
            if dtype is None:
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__!r}, not a "
                                 "tensor or a Variable, to tape.watch().")
            if not _trainable_dtype(dtype):
                warnings.warn(f"The dtype of the watched tensor must be floating (e.g. "
                              f"tf.float32), got {dtype!r}", stacklevel=2)
                continue
            self._watched[_key(t)] = t

    def _variable_accessed(self, var):
        self._accessed[_key(var)] = var
        if self._watch_accessed_variables and var.trainable and _trainable_dtype(var.dtype):
            self._watched[_key(var)] = var

    def watched_variables(self):
        return tuple(v for v in self._watched.values() if isinstance(v, Variable))

    def stop_recording(self):
        return stop_recording(self)

    def reset(self):
        self._records = []
        self._watched = {}
        self._accessed = {}

    # -- differentiation ------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(sources), with the structure of `sources`."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                               "of gradients (or jacobians). Use tf.GradientTape(persistent=True) "
                               "to call gradient() more than once.")
        if self._recording and self._persistent:
            warnings.warn("Calling GradientTape.gradient on a persistent tape inside its context "
                          "is significantly less efficient than calling it outside the context "
                          "(it causes the gradient ops to be recorded on the tape, leading to "
                          "increased CPU and memory usage).", stacklevel=2)
        unconnected_gradients = getattr(unconnected_gradients, "value", unconnected_gradients)
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")

        targets = nest.flatten(target)
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            if getattr(s, "dtype", None) is None:
                raise ValueError(f"GradientTape.gradient: source {s!r} is not a tensor or Variable")
        if output_gradients is not None:
            out_grads = [None if g is None else convert_to_tensor(g)
                         for g in nest.flatten(output_gradients)]
            if len(out_grads) != len(targets):
                raise ValueError(f"output_gradients has {len(out_grads)} entries but there are "
                                 f"{len(targets)} targets")
        else:
            out_grads = [None] * len(targets)

        was_recording = self._recording
        self._recording = False  # the tape does not record its own backward pass
        try:
            grads = {}
            for t, g in zip(targets, out_grads):
                value = _as_value(t)
                if g is None:
                    g = array_ops.ones_like(value)
                # a Variable target is its own source: d v / d v = 1, as in TF
                _accumulate(grads, t if value is not t else value, g)
            self._backprop(grads)
            result = []
            for s in flat_sources:
                g = grads.get(_key(s))
                if g is None and unconnected_gradients == "zero":
                    g = array_ops.zeros_like(_as_value(s))
                result.append(g)
        finally:
            self._recording = was_recording
        if not self._persistent:
            self._used = True
            self._records = []
        return nest.pack_sequence_as(sources, result)

    def _backprop(self, grads):
        # (records are (op, inputs, outputs, attrs) tuples: ops/recording.py `record`)
        for op, inputs, outputs, attrs in reversed(self._records):
            out_grads = [grads.get(id(o) if type(o) is EagerTensor else _key(o)) for o in outputs]
            if all(g is None for g in out_grads):
                continue
            if op.reads_variable:
                _accumulate(grads, inputs[0], out_grads[0])
                continue
            call = Call(op, inputs, outputs, attrs)
            if call.op.interpret is None:
                out_grads = [array_ops.zeros_like(o) if g is None else g
                             for o, g in zip(call.outputs, out_grads)]
            # (ops holding regions get None for an unused output: their VJPs leave it out
            # instead of multiplying a zero into partials that may be inf, as eagerly)
            watched = self._watched
            call.skip_input_indices = tuple(i for i, x in enumerate(call.inputs)
                                            if _key(x) not in watched)
            in_grads = call.op.vjp(call, *out_grads)
            if not isinstance(in_grads, (tuple, list)):
                in_grads = (in_grads,)
            for x, g in zip(call.inputs, in_grads):
                if g is not None and _key(x) in self._watched:
                    _accumulate(grads, x, g)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Computes the Jacobian of each example's `target` with respect to its `source`.

        Row i of `target` (shape `[batch, ...]`) must depend only on row i of `source`; the
        result has shape `target.shape + source.shape[1:]` (the batch axis once), as in TF.

        >>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.batch_jacobian(y, x).shape
        TensorShape([2, 2, 2])
        """
        value = _as_value(target)
        if value.shape.rank is None or value.shape.rank < 1 or source.shape.rank < 1:
            raise ValueError("batch_jacobian needs a target and a source with a leading batch "
                             f"dimension; got shapes {value.shape} and {source.shape}")
        if value.shape[0] != source.shape[0]:
            raise ValueError(f"batch_jacobian: the target's batch dimension {value.shape[0]} "
                             f"differs from the source's {source.shape[0]}")
        full = self.jacobian(target, source, unconnected_gradients=unconnected_gradients)
        if full is None:
            return None
        ty, tx = value.shape.rank - 1, source.shape.rank - 1
        # [b, *ty, b, *tx] -> [*ty, *tx, b, b] -> diagonal [*ty, *tx, b] -> [b, *ty, *tx]
        perm = list(range(1, 1 + ty)) + list(range(2 + ty, 2 + ty + tx)) + [0, 1 + ty]
        diag = array_ops.transpose(full, perm)
        diag = diag_part(diag)
        rank = ty + tx + 1
        return array_ops.transpose(diag, [rank - 1] + list(range(rank - 1)))

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE):
        """d target[i...] / d source, stacked: shape target.shape + source.shape (small targets)."""
        persistent, self._persistent = self._persistent, True
        try:
            flat_sources = nest.flatten(sources)
            target = _as_value(target)
            n = int(np.prod(target.shape.as_list()))
            rows = []
            for i in range(n):
                onehot = np.zeros(n, dtype=target.dtype.np_dtype)
                onehot[i] = 1
                seed = array_ops.reshape(array_ops.constant(onehot), target.shape.as_list())
                rows.append(self.gradient(target, flat_sources, output_gradients=seed,
                                          unconnected_gradients=unconnected_gradients))
        finally:
            self._persistent = persistent
        out = []
        for j, s in enumerate(flat_sources):
            col = [r[j] for r in rows]
            if any(c is None for c in col):
                out.append(None)
                continue
            stacked = array_ops.stack(col) if col else array_ops.zeros([0] + s.shape.as_list())
            out.append(array_ops.reshape(stacked, target.shape.as_list() + s.shape.as_list()))
        if not persistent:
            self._used = True
        return nest.pack_sequence_as(sources, out)


def _as_value(x):
    conv = getattr(x, "_as_tensor", None)
    return conv() if conv is not None else x


def _accumulate(grads, x, g):
    key = _key(x)
    prev = grads.get(key)
    grads[key] = g if prev is None else math_ops.add(prev, g)


class stop_recording:
    """`with tape.stop_recording():` pauses recording on one tape (or all active ones)."""

    def __init__(self, tape=None):
        self._tapes = [tape] if tape is not None else list(ACTIVE_TAPES)

    def __enter__(self):
        self._prev = [t._recording for t in self._tapes]
        for t in self._tapes:
            t._recording = False
        return self

    def __exit__(self, *exc):
        for t, p in zip(self._tapes, self._prev):
            t._recording = p
        return False
