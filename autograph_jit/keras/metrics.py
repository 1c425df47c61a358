"""`tf.keras.metrics`: the `Metric` base class (state in non-trainable variables, `update_state`,
`result`, `reset_state`, calling a metric updates it and returns the result) and the metrics of
API.md: Mean, Accuracy, SparseCategoricalAccuracy, MeanSquaredError (Keras 3 semantics).

Metric state lives in `tf.Variable`s made by `add_weight`, so `update_state` may be a
`tf.function` (the variables are captured by reference and updated in place).
"""
from .. import dtypes as _dtypes
from ..module import Module
from ..ops import array_ops, math_ops
from ..tensor import convert_to_tensor
from ..variables import Variable

__all__ = ["Metric", "Mean", "Accuracy", "SparseCategoricalAccuracy", "MeanSquaredError"]

_INITIALIZERS = {"zeros": array_ops.zeros, "ones": array_ops.ones}


class Metric(Module):
    """Keras 3's `keras.metrics.Metric(dtype=None, name=None)`."""

    def __init__(self, dtype=None, name=None):
        super().__init__(name=name or _snake(type(self).__name__))
        self._dtype = _dtypes.as_dtype(dtype or "float32")
        self._metric_variables = []

    @property
    def dtype(self):
        return self._dtype

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None):
        """A non-trainable state variable of this metric, created under its name scope."""
        dtype = _dtypes.as_dtype(dtype or self._dtype)
        if isinstance(initializer, str):
            if initializer not in _INITIALIZERS:
                raise ValueError(f"add_weight: unknown initializer {initializer!r}; use one of "
                                 f"{sorted(_INITIALIZERS)} or a callable(shape, dtype)")
            value = _INITIALIZERS[initializer](list(shape), dtype=dtype)
        else:
            value = initializer(shape, dtype)
        with self.name_scope:
            var = Variable(value, trainable=False, name=name or "variable", dtype=dtype)
        self._metric_variables.append(var)
        return var

    @property
    def variables(self):
        return tuple(self._metric_variables)

    def update_state(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} must define update_state(...) (a Metric subclass "
                        "accumulates its inputs into variables made with add_weight)")

    def result(self):
        raise TypeError(f"{type(self).__name__} must define result()")

    def reset_state(self):
        for v in self._metric_variables:
            v.assign(array_ops.zeros_like(v))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class Mean(Metric):
    """The weighted mean of every value passed to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_weight(name="total")
        self.count = self.add_weight(name="count")

    def update_state(self, values, sample_weight=None):
        values = math_ops.cast(convert_to_tensor(values), self.dtype)
        if sample_weight is None:
            weights = array_ops.ones_like(values)
        else:
            weights = math_ops.cast(convert_to_tensor(sample_weight), self.dtype)
            while weights.shape.rank is not None and values.shape.rank is not None and \
                    weights.shape.rank < values.shape.rank:
                weights = array_ops.expand_dims(weights, -1)
            weights = weights + array_ops.zeros_like(values)
        self.total.assign_add(math_ops.reduce_sum(values * weights))
        self.count.assign_add(math_ops.reduce_sum(weights))

    def result(self):
        return math_ops.divide_no_nan(self.total.read_value(), self.count.read_value())


class _MeanOf(Mean):
    """A Mean of a per-sample value computed from (y_true, y_pred)."""

    def per_sample(self, y_true, y_pred):
        raise TypeError(f"{type(self).__name__} must define per_sample(y_true, y_pred)")

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.per_sample(convert_to_tensor(y_true),
                                             convert_to_tensor(y_pred)), sample_weight)


class Accuracy(_MeanOf):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def per_sample(self, y_true, y_pred):
        y_true = math_ops.cast(y_true, y_pred.dtype)
        return math_ops.cast(math_ops.equal(y_true, y_pred), self.dtype)


class SparseCategoricalAccuracy(_MeanOf):
    """How often argmax(y_pred, -1) equals the integer label y_true."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def per_sample(self, y_true, y_pred):
        if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
                y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
            y_true = array_ops.squeeze(y_true, [-1])
        predicted = math_ops.argmax(y_pred, axis=-1)
        return math_ops.cast(math_ops.equal(math_ops.cast(y_true, predicted.dtype), predicted),
                             self.dtype)


class MeanSquaredError(_MeanOf):
    """The mean over samples of mean((y_true - y_pred)^2) over the last axis."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def per_sample(self, y_true, y_pred):
        y_pred = math_ops.cast(y_pred, self.dtype)
        y_true = math_ops.cast(y_true, self.dtype)
        return math_ops.reduce_mean(math_ops.square(y_true - y_pred), axis=-1)
