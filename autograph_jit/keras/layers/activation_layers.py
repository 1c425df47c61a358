"""Activation layers (Keras 3): ReLU, LeakyReLU, Softmax, ELU, PReLU."""
from ...ops import math_ops as M
from ...ops import nn_ops as N
from .. import activations
from ._args import add_optioned_weight, ser, set_weight_options
from .layer import Layer

__all__ = ["ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU"]


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """`ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`: see `activations.relu`.

    >>> tf.keras.layers.ReLU(max_value=6.0)(tf.constant([-1.0, 3.0, 9.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: "
                             f"{max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. "
                             f"Received: {negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: "
                             f"{threshold}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(_Elementwise):
    """`x` where positive, `negative_slope * x` (default 0.3) elsewhere.

    >>> tf.keras.layers.LeakyReLU(negative_slope=0.1)(tf.constant([-2.0, 3.0])).numpy()
    array([-0.2,  3. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or "
                             f"negative. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return N.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_Elementwise):
    """`x` if positive, else `alpha * (exp(x) - 1)`.

    >>> tf.keras.layers.ELU(alpha=1.0)(tf.constant([-1.0, 2.0])).numpy()
    array([-0.63212055,  2.        ], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """Softmax along `axis` (-1); masked positions (mask False) get probability 0.

    >>> tf.keras.layers.Softmax()(tf.constant([[1.0, 1.0]])).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = M.cast(mask, inputs.dtype)
            big = -1e9 if inputs.dtype.name != "float16" else -3e4
            inputs = M.add(inputs, M.multiply(M.subtract(1.0, keep), big))
        if isinstance(self.axis, (list, tuple)):
            out = M.exp(M.subtract(inputs, M.reduce_logsumexp(inputs, axis=list(self.axis),
                                                              keepdims=True)))
        else:
            out = N.softmax(inputs, axis=self.axis)
        if mask is not None:
            out = M.multiply(out, M.cast(mask, out.dtype))
        return out

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(Layer):
    """Leaky ReLU with a learned slope per element: `PReLU(alpha_initializer='Zeros',
    alpha_regularizer=None, alpha_constraint=None, shared_axes=None)`; weight `alpha`.

    >>> layer = tf.keras.layers.PReLU(alpha_initializer=tf.keras.initializers.Constant(0.25))
    >>> layer(tf.constant([[-4.0, 2.0]])).numpy()
    array([[-1.,  2.]], dtype=float32)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        set_weight_options(self, alpha=(alpha_initializer, alpha_regularizer, alpha_constraint))
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, int):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or []:
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer {self.name}: every non-batch axis must be known or "
                             f"shared, got input shape {tuple(input_shape)}; pass "
                             f"shared_axes for the unknown axes")
        self.alpha = add_optioned_weight(self, "alpha", param_shape)

    def call(self, inputs):
        pos = N.relu(inputs)
        neg = M.multiply(M.negative(self.alpha), N.relu(M.negative(inputs)))
        return M.add(pos, neg)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=ser("initializer", self.alpha_initializer),
                      alpha_regularizer=ser("regularizer", self.alpha_regularizer),
                      alpha_constraint=ser("constraint", self.alpha_constraint),
                      shared_axes=self.shared_axes)
        return config
