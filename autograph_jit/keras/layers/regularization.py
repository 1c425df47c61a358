"""Regularization layers (Keras 3): Dropout, SpatialDropout1D/2D, GaussianNoise, ActivityRegularization."""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import nn_ops as N
from ...ops import random_ops as R
from ...tensor import Tensor
from .. import regularizers
from ...ops.random_ops import stream_seed
from .layer import Layer
from ._args import normalize_data_format

__all__ = ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
           "ActivityRegularization"]


def _when_training(training, train_fn, inputs):
    """`train_fn()` when training is True, the inputs when False/None; a boolean tensor selects."""
    if training is None or training is False:
        return inputs
    if isinstance(training, Tensor):
        return M.where(M.cast(training, "bool"), train_fn(), inputs)
    return train_fn() if training else inputs


class Dropout(Layer):
    """Zeroes a `rate` fraction of inputs and scales the rest by 1 / (1 - rate) — only when called
    with `training=True` (as `fit` does); otherwise the identity.

    Args: `rate` in [0, 1), `noise_shape=None` (None entries take the input's dims), `seed=None`
    (a seeded layer draws a reproducible sequence of masks).

    >>> layer = tf.keras.layers.Dropout(0.5, seed=1)
    >>> layer(tf.ones([1, 4]), training=False).numpy()
    array([[1., 1., 1., 1.]], dtype=float32)
    >>> sorted(set(layer(tf.ones([1, 100]), training=True).numpy().ravel().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.supports_masking = True
        # the layer's own random stream, fixed now (Keras 3's SeedGenerator): each call draws
        # its next mask, the same whether the step runs eagerly or compiled
        self._seed_pair = stream_seed(seed)

    def call(self, inputs, training=False):
        if self.rate == 0:
            return inputs
        if self.rate == 1:
            return _when_training(training, lambda: A.zeros_like(inputs), inputs)
        return _when_training(training, lambda: N.dropout(
            inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=self._seed_pair),
            inputs)

    def _noise_shape(self, inputs):
        return self.noise_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config


class SpatialDropout1D(Dropout):
    """Drops whole feature channels of (batch, steps, channels) inputs.

    >>> layer = tf.keras.layers.SpatialDropout1D(0.5)
    >>> layer(tf.ones([2, 5, 3]), training=True).shape
    TensorShape([2, 5, 3])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def _noise_shape(self, inputs):
        return [None, 1, None]

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout2D(Dropout):
    """Drops whole feature maps of (batch, rows, cols, channels) inputs.

    >>> layer = tf.keras.layers.SpatialDropout2D(0.5)
    >>> layer(tf.ones([2, 6, 6, 3]), training=True).shape
    TensorShape([2, 6, 6, 3])
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def _noise_shape(self, inputs):
        return [None, None, 1, 1] if self.data_format == "channels_first" else [None, 1, 1, None]

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        config["data_format"] = self.data_format
        return config


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of `stddev` when training.

    >>> layer = tf.keras.layers.GaussianNoise(0.1)
    >>> layer(tf.ones([1, 3]), training=False).numpy()
    array([[1., 1., 1.]], dtype=float32)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float "
                             f"value between 0 and 1. Received: stddev={stddev}")
        self.stddev, self.seed = stddev, seed
        self._seed_pair = stream_seed(seed)   # (see Dropout)
        self.supports_masking = True

    def call(self, inputs, training=False):
        return _when_training(training, lambda: M.add(inputs, R.normal(
            A.shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self._seed_pair)), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class ActivityRegularization(Layer):
    """The identity, adding `l1 * sum(|x|) + l2 * sum(x^2)` of its input to the losses.

    >>> layer = tf.keras.layers.ActivityRegularization(l1=0.1)
    >>> layer(tf.constant([[1.0, -2.0]])).numpy()
    array([[ 1., -2.]], dtype=float32)
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config
