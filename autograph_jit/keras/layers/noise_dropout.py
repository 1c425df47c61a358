"""Keras 3's multiplicative-noise regularization layers: `GaussianDropout` (multiply by
N(1, rate / (1 - rate)) noise) and `AlphaDropout` (dropout that keeps a SELU network's mean and
variance). Both act only when called with `training=True`."""
import math

from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import random_ops as R
from .layer import Layer
from .regularization import _when_training

__all__ = ["GaussianDropout", "AlphaDropout"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_rate(rate):
    if not 0 <= rate <= 1:
        raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate}")


class GaussianDropout(Layer):
    """Multiplies the inputs by 1-centered Gaussian noise of stddev `sqrt(rate / (1 - rate))`
    when training: `GaussianDropout(rate, seed=None)`.

    >>> layer = tf.keras.layers.GaussianDropout(0.2, seed=3)
    >>> layer(tf.ones([1, 3]), training=False).numpy()
    array([[1., 1., 1.]], dtype=float32)
    >>> layer(tf.ones([2, 3]), training=True).shape
    TensorShape([2, 3])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate, self.seed = rate, seed
        self.supports_masking = True
        self._seed_pair = R.stream_seed(seed)   # its own stream (see Dropout)

    def call(self, inputs, training=False):
        if self.rate <= 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return _when_training(training, lambda: M.multiply(inputs, R.normal(
            A.shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self._seed_pair)),
            inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class AlphaDropout(Layer):
    """Dropout for self-normalizing (SELU) networks: dropped inputs become SELU's negative
    saturation value, then an affine map `a * x + b` restores the inputs' mean and variance.
    `AlphaDropout(rate, noise_shape=None, seed=None)`; only when training.

    >>> layer = tf.keras.layers.AlphaDropout(0.5, seed=1)
    >>> layer(tf.ones([1, 2]), training=False).numpy()
    array([[1., 1.]], dtype=float32)
    >>> out = layer(tf.ones([1, 200]), training=True).numpy().astype(np.float64)
    >>> np.unique(np.round(out, 4)).tolist()   # dropped, kept
    [-0.7792, 1.6656]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.supports_masking = True
        self._seed_pair = R.stream_seed(seed)   # its own stream (see Dropout)

    def _noise(self, inputs):
        shape = A.shape(inputs)
        if self.noise_shape is not None:
            shape = A.stack([shape[i] if d is None else A.constant(d, dtype=shape.dtype)
                             for i, d in enumerate(self.noise_shape)])
        return R.uniform(shape, dtype=inputs.dtype, seed=self._seed_pair)

    def _dropped(self, inputs):
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = M.cast(M.greater_equal(self._noise(inputs), self.rate), inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = M.add(M.multiply(inputs, kept), M.multiply(M.subtract(1.0, kept), alpha_p))
        return M.add(M.multiply(x, a), b)

    def call(self, inputs, training=False):
        if self.rate <= 0:
            return inputs
        return _when_training(training, lambda: self._dropped(inputs), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config
