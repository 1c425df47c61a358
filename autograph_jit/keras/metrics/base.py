"""The `Metric` base class (state in non-trainable variables, `update_state`, `result`,
`reset_state`, calling a metric updates it and returns the result), `Mean`, `Sum` and
`MeanMetricWrapper` (the weighted mean of a per-sample function of (y_true, y_pred)).

Metric state lives in `tf.Variable`s made by `add_weight`, so `update_state` may be a
`tf.function` (the variables are captured by reference and updated in place).
"""
from ... import dtypes as _dtypes
from ...module import Module
from ...ops import array_ops, math_ops
from ...tensor import convert_to_tensor
from ...variables import Variable
from ..losses.loss import _snake
from ..backend import get_keras_mask

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper"]

_INITIALIZERS = {"zeros": array_ops.zeros, "ones": array_ops.ones}


class Metric(Module):
    """Keras 3's `keras.metrics.Metric(dtype=None, name=None)`.

    >>> class Count(tf.keras.metrics.Metric):
    ...     def __init__(self, name='count', **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.n = self.add_weight(shape=(), initializer='zeros', name='n')
    ...     def update_state(self, values):
    ...         self.n.assign_add(tf.cast(tf.size(values), 'float32'))
    ...     def result(self):
    ...         return self.n
    >>> c = Count()
    >>> c.update_state([1, 2, 3])
    >>> float(c.result())
    3.0
    """

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

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Keras 3's `Metric.add_variable`: `add_weight` with `initializer` required and an
        `aggregation` ("sum", "mean", "only_first_replica", "none"; how replicas combine it).

        >>> m = tf.keras.metrics.Mean()
        >>> v = m.add_variable(shape=(2,), initializer="ones", name="extra")
        >>> v.numpy()
        array([1., 1.], dtype=float32)
        """
        if aggregation not in ("sum", "mean", "only_first_replica", "none"):
            raise ValueError(f"add_variable: aggregation must be 'sum', 'mean', "
                             f"'only_first_replica' or 'none', got {aggregation!r}")
        var = self.add_weight(shape=shape, initializer=initializer, dtype=dtype, name=name)
        var.aggregation = aggregation
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

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The weighted mean of every value passed to `update_state(values, sample_weight=None)`.

    >>> m = tf.keras.metrics.Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> float(m.result())
    4.0
    >>> m.update_state([1.0], sample_weight=[4.0])
    >>> round(float(m.result()), 4)
    2.5
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_weight(name="total")
        self.count = self.add_weight(name="count")

    def update_state(self, values, sample_weight=None):
        values = math_ops.cast(convert_to_tensor(values), self.dtype)
        if sample_weight is None:
            weights = array_ops.ones_like(values)
        else:
            weights = _broadcast_weights(sample_weight, values, self.dtype)
        self.total.assign_add(math_ops.reduce_sum(values * weights))
        self.count.assign_add(math_ops.reduce_sum(weights))

    def result(self):
        return math_ops.divide_no_nan(self.total.read_value(), self.count.read_value())


class Sum(Metric):
    """The (weighted) sum of every value passed to `update_state(values, sample_weight=None)`.

    >>> m = tf.keras.metrics.Sum()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> float(m.result())
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_weight(name="total")

    def update_state(self, values, sample_weight=None):
        values = math_ops.cast(convert_to_tensor(values), self.dtype)
        if sample_weight is not None:
            values = values * _broadcast_weights(sample_weight, values, self.dtype)
        self.total.assign_add(math_ops.reduce_sum(values))

    def result(self):
        return self.total.read_value()


def _broadcast_weights(sample_weight, values, dtype):
    """`sample_weight` matched to `values`: a trailing size-1 axis dropped, missing axes added."""
    weights = math_ops.cast(convert_to_tensor(sample_weight), dtype)
    wr, vr = weights.shape.rank, values.shape.rank
    if wr is not None and vr is not None:
        if wr == vr + 1 and weights.shape[-1] == 1:
            weights = array_ops.squeeze(weights, [-1])
        while weights.shape.rank < vr:
            weights = array_ops.expand_dims(weights, -1)
    return weights + array_ops.zeros_like(values)


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **kwargs)`: Keras's wrapper for per-sample metric
    functions (`MeanMetricWrapper(tf.keras.losses.mae, name="mae")`).

    >>> m = tf.keras.metrics.MeanMetricWrapper(lambda t, p: tf.abs(t - p), name='abs_error')
    >>> m.update_state([1.0, 2.0], [2.0, 4.0])
    >>> float(m.result())
    1.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"),
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def per_sample(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
        values = self.per_sample(y_true, y_pred)
        values_mask = get_keras_mask(values)
        if values_mask is not None and sample_weight is not None:
            # as Keras 3 (reduce_to_samplewise_values): the values' own mask (sparse CE's
            # ignore_class) weighs only weighted updates; unweighted ones average every entry
            values_mask = math_ops.cast(values_mask, self.dtype)
            sample_weight = _broadcast_weights(sample_weight, values_mask, self.dtype) * \
                values_mask
        if mask is not None:  # masked entries (e.g. padding steps) are left out, as in Keras
            mask = math_ops.cast(mask, self.dtype)
            sample_weight = mask if sample_weight is None else \
                _broadcast_weights(sample_weight, mask, self.dtype) * mask
        super().update_state(values, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config
