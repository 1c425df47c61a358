"""Keras 3's `GroupNormalization` (statistics per sample over groups of channels; `groups=-1`
is instance normalization, `groups=1` layer normalization over all features) and
`UnitNormalization` (scale each sample to unit L2 norm along `axis`)."""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ._args import add_optioned_weight, set_weight_options, weight_options_config
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["GroupNormalization", "UnitNormalization"]


class GroupNormalization(Layer):
    """Normalizes each sample over groups of channels: `GroupNormalization(groups=32, axis=-1,
    epsilon=0.001, center=True, scale=True, beta_initializer='zeros', gamma_initializer='ones',
    ...)`. The channels (`axis`) are split into `groups` groups; each group of each sample is
    normalized with its own mean and variance, then scaled by `gamma` and shifted by `beta`
    (one per channel). Weights: `gamma`, then `beta`.

    >>> layer = tf.keras.layers.GroupNormalization(groups=2)
    >>> np.round(layer(tf.constant([[1.0, 3.0, 10.0, 30.0]])).numpy(), 3)
    array([[-1.,  1., -1.,  1.]], dtype=float32)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a "
                             "positive integer (or `-1` for instance normalization). Received: "
                             f"groups={groups}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups, self.axis, self.epsilon = groups, axis, epsilon
        self.center, self.scale = center, scale
        set_weight_options(self, beta=(beta_initializer, beta_regularizer, beta_constraint),
                           gamma=(gamma_initializer, gamma_regularizer, gamma_constraint))

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension "
                             f"but the layer received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the "
                             f"number of channels ({dim}).")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = add_optioned_weight(self, "gamma", (dim,)) if self.scale else None
        self.beta = add_optioned_weight(self, "beta", (dim,)) if self.center else None

    def call(self, inputs):
        rank = inputs.shape.rank
        axis = self.axis % rank
        static = inputs.shape.as_list()
        channels = static[axis]
        per_group = channels // self.groups
        grouped = static[:axis] + [self.groups, per_group] + static[axis + 1:]
        if all(d is not None for d in grouped[1:]):
            x = A.reshape(inputs, [-1] + grouped[1:])
        else:
            dims = A.shape(inputs)
            x = A.reshape(inputs, A.concat([dims[:axis], A.constant([self.groups, per_group],
                                                                    dtype=dims.dtype),
                                            dims[axis + 1:]], 0))
        x = M.cast(x, "float32") if inputs.dtype.name == "float16" else x
        reduce = [i for i in range(1, rank + 1) if i != axis]
        mean = M.reduce_mean(x, axis=reduce, keepdims=True)
        variance = M.reduce_mean(M.squared_difference(x, A.stop_gradient(mean)), axis=reduce,
                                 keepdims=True)
        inv = M.rsqrt(M.add(variance, self.epsilon))
        shape = [1] * (rank + 1)
        shape[axis], shape[axis + 1] = self.groups, per_group
        if self.gamma is not None:
            inv = M.multiply(inv, A.reshape(M.cast(self.gamma, x.dtype), shape))
        shift = M.negative(M.multiply(mean, inv))
        if self.beta is not None:
            shift = M.add(shift, A.reshape(M.cast(self.beta, x.dtype), shape))
        out = M.add(M.multiply(x, inv), shift)
        out = A.reshape(out, A.shape(inputs))
        return M.cast(out, inputs.dtype) if out.dtype != inputs.dtype else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                       "center": self.center, "scale": self.scale,
                       **weight_options_config(self, "beta", "gamma")})
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis` (-1, or a list of axes):
    `x * min(rsqrt(sum(x ** 2)), 1e12)`.

    >>> tf.keras.layers.UnitNormalization()(tf.constant([[3.0, 4.0]])).numpy()
    array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple "
                            f"of ints. Received: axis={axis}")
        self.supports_masking = True

    def call(self, inputs):
        square_sum = M.reduce_sum(M.square(inputs), axis=self.axis, keepdims=True)
        return M.multiply(inputs, M.minimum(M.rsqrt(square_sum), 1e12))

    def compute_output_shape(self, input_shape):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        for a in axes:
            if a >= len(input_shape) or a < -len(input_shape):
                raise ValueError(f"Axis {self.axis} is out of bounds for input shape "
                                 f"{input_shape}.")
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
