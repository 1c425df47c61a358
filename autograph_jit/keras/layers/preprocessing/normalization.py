"""Numeric feature preprocessing (Keras 3): `Normalization` (feature-wise standardization, its
statistics given or learned by `adapt`) and `Discretization` (bucketize by boundaries, given or
learned as approximate quantiles by `adapt`)."""
import numpy as np

from ....ops import array_ops as A
from ....ops import math_ops as M
from ... import backend
from ..layer import Layer
from ._adapt import adapt_batches
from .encoding import encode_categorical, check_output_mode

__all__ = ["Normalization", "Discretization"]


def _axis_tuple(axis):
    if axis is None:
        return ()
    if isinstance(axis, int):
        return (axis,)
    return tuple(int(a) for a in axis)


class Normalization(Layer):
    """Standardizes features: `(inputs - mean) / sqrt(variance)` per position of the kept
    `axis` (`invert=True`: `mean + inputs * sqrt(variance)`).

    Args: `axis=-1` (an int, a tuple of kept axes, or None: one scalar mean/variance),
    `mean=None`, `variance=None` (given statistics, broadcast to the kept axes; else call
    `adapt(data)` on an array, a tensor or a `tf.data.Dataset` of batches), `invert=False`.
    The square root is floored at `keras.backend.epsilon()`. Adapted statistics are the
    non-trainable weights `mean`, `variance` and `count`.

    >>> layer = tf.keras.layers.Normalization()
    >>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> layer(np.array([[2.0, 20.0], [3.0, 40.0]])).numpy()
    array([[0., 0.],
           [1., 2.]], dtype=float32)
    >>> tf.keras.layers.Normalization(mean=2.0, variance=4.0, axis=None,
    ...                               invert=True)(np.array([1.0])).numpy()
    array([4.], dtype=float32)
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Received: mean={mean} and variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._adapted = mean is not None

    def build(self, input_shape):
        if input_shape is None:
            raise ValueError("Normalization: the input rank must be known to build the layer")
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        keep_shape = tuple(input_shape[d] for d in self._keep_axis)
        if any(d is None for d in keep_shape):
            raise ValueError(f"Normalization: all `axis` values to be kept must have a known "
                             f"shape. Received axis={self.axis}, inputs.shape={input_shape}, "
                             f"with unknown axis at index {keep_shape.index(None)}")
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1
                                 for d in range(ndim)]
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=keep_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=keep_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            mean = np.broadcast_to(np.asarray(self.input_mean, "float64"),
                                   self._broadcast_shape)
            var = np.broadcast_to(np.asarray(self.input_variance, "float64"),
                                  self._broadcast_shape)
            self._fixed = (mean.astype(self.compute_dtype), var.astype(self.compute_dtype))

    @property
    def mean(self):
        """The mean in the inputs' broadcast shape (given, or adapted)."""
        if self.input_mean is not None:
            return self._fixed[0] if self.built else self.input_mean
        return A.reshape(self.adapt_mean, self._broadcast_shape)

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape (given, or adapted)."""
        if self.input_variance is not None:
            return self._fixed[1] if self.built else self.input_variance
        return A.reshape(self.adapt_variance, self._broadcast_shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of `data` (array, tensor or Dataset of batches) over
        every axis but the kept ones."""
        if self.input_mean is not None:
            raise ValueError("Normalization.adapt: this layer was given `mean` and `variance`; "
                             "create it without them to adapt")
        total = mean = m2 = None
        for batch in adapt_batches(data, batch_size, steps):
            batch = np.asarray(batch, "float64")
            if not self.built:  # as Keras: the data's shape (a kept batch axis keeps its size)
                keep = {a % batch.ndim for a in self.axis} if batch.ndim else set()
                self._run_build(tuple(None if d == 0 and 0 not in keep else n
                                      for d, n in enumerate(batch.shape)))
            if batch.ndim != len(self._broadcast_shape):
                raise ValueError(f"Normalization.adapt: data of rank {batch.ndim} given to a "
                                 f"layer built for rank {len(self._broadcast_shape)}")
            reduce = tuple(d for d in range(batch.ndim) if d not in self._keep_axis)
            n = int(np.prod([batch.shape[d] for d in reduce]))
            if n == 0:
                continue
            b_mean = batch.mean(axis=reduce)
            b_m2 = ((batch - batch.mean(axis=reduce, keepdims=True)) ** 2).sum(axis=reduce)
            if total is None:
                total, mean, m2 = n, b_mean, b_m2
            else:  # Chan et al.'s parallel update of the mean and sum of squares
                delta = b_mean - mean
                new_total = total + n
                mean = mean + delta * n / new_total
                m2 = m2 + b_m2 + delta ** 2 * total * n / new_total
                total = new_total
        if total is None:
            raise ValueError("Normalization.adapt: the data holds no values")
        self.adapt_mean.assign(np.asarray(mean, self.adapt_mean.dtype.np_dtype).reshape(
            self.adapt_mean.shape))
        self.adapt_variance.assign(np.asarray(m2 / total, self.adapt_variance.dtype.np_dtype)
                                   .reshape(self.adapt_variance.shape))
        self.count.assign(np.int64(total))
        self._adapted = True

    @property
    def is_adapted(self):
        return self._adapted

    def call(self, inputs):
        x = inputs if inputs.dtype.name == self.compute_dtype else M.cast(inputs,
                                                                           self.compute_dtype)
        mean = M.cast(self.mean, x.dtype)
        std = M.maximum(M.sqrt(M.cast(self.variance, x.dtype)), backend.epsilon())
        if self.invert:
            return M.add(mean, M.multiply(x, std))
        return M.divide(M.subtract(x, mean), std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, invert=self.invert,
                      mean=np.array(self.input_mean).tolist(),
                      variance=np.array(self.input_variance).tolist())
        return config


# -- Discretization's approximate quantiles (Keras's summary: sorted values with weights) -------

def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    increment = values.size * epsilon
    step = max(increment, 1)
    points = values[int(increment)::int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_pct = cum / cum[-1]
    bins = np.interp(percents, cum_pct, summary[0])
    cum = np.interp(percents, cum_pct, cum)
    weights = cum - np.concatenate(([0.0], cum[:-1]))
    return np.stack((bins, weights)).astype("float32")


def _merge(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    merged = np.take(merged, np.argsort(merged[0], kind="stable"), axis=1)
    return _compress(merged, epsilon)


class Discretization(Layer):
    """Buckets numeric inputs by boundaries: value `x` goes to bucket `i` when
    `bin_boundaries[i-1] <= x < bin_boundaries[i]` (bucket 0 below the first boundary).

    Args: `bin_boundaries=None` (sorted floats) or `num_bins` with `adapt(data)` (boundaries
    at approximate quantiles, accuracy `epsilon=0.01`), `output_mode='int'` (`'one_hot'`,
    `'multi_hot'`, `'count'`: a float vector of `len(bin_boundaries) + 1` per sample),
    `sparse=False` (True, in a non-int mode: a `tf.sparse.SparseTensor`, eager calls only).

    >>> tf.keras.layers.Discretization(bin_boundaries=[0.0, 1.0])(
    ...     np.array([[-0.5, 0.0, 0.5, 2.0]])).numpy()
    array([[0, 1, 1, 2]], dtype=int32)
    >>> layer = tf.keras.layers.Discretization(num_bins=2)
    >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    >>> layer.bin_boundaries
    [2.5]
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse and output_mode == "int":
            raise ValueError(f"`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                             f"`'multi_hot'`, or `'count'`. Received: sparse=True and "
                             f"output_mode={output_mode}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            if len(bin_boundaries) != num_bins - 1:
                raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. "
                                 f"Received: `num_bins={num_bins}` and "
                                 f"`bin_boundaries={bin_boundaries}`")
        self.input_bin_boundaries = bin_boundaries
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._summary = None

    def adapt(self, data, batch_size=None, steps=None):
        """Learn `num_bins - 1` boundaries at the approximate quantiles of `data`."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        summary = np.array([[], []], dtype="float32")
        for batch in adapt_batches(data, batch_size, steps):
            summary = _merge(_summarize(np.asarray(batch, "float64"), self.epsilon), summary,
                             self.epsilon)
        self._summary = summary
        self.bin_boundaries = [float(b) for b in _compress(summary, 1.0 / self.num_bins)[0, :-1]]

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can start "
                             "using the `Discretization` layer.")
        x = inputs if inputs.dtype.is_floating else M.cast(inputs, "float64")
        bounds = A.constant(np.asarray(self.bin_boundaries, x.dtype.np_dtype))
        # the bucket index counts the boundaries <= x (TF's Bucketize)
        above = M.cast(M.greater_equal(A.expand_dims(x, -1), bounds), "int32")
        indices = M.reduce_sum(above, axis=-1)
        if self.output_mode == "int":
            return indices
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1,
                                  self.compute_dtype, check_range=False, sparse=self.sparse,
                                  layer_name=self.name)

    def get_config(self):
        config = {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                  "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name,
                  "dtype": self.dtype}
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        config.pop("trainable", None)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # adapted: Keras stores both; the boundaries are set after creation
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)
