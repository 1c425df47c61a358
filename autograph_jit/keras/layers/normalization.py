"""Normalization layers (Keras 3): BatchNormalization (moving statistics as non-trainable
weights, batch statistics only when `training=True`) and LayerNormalization (optionally RMS
scaling)."""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...tensor import Tensor
from .. import initializers
from ._args import add_optioned_weight, ser, set_weight_options
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _param_shape(input_shape, axes, who):
    shape = []
    for a in axes:
        d = input_shape[a]
        if d is None:
            raise ValueError(f"Layer {who}: axis {a} of the input must be known to create the "
                             f"normalization weights, got input shape {tuple(input_shape)}")
        shape.append(d)
    return tuple(shape)


def _broadcast(param, rank, axes):
    """Reshape a weight over `axes` so it broadcasts against a rank-`rank` input."""
    if list(axes) == [rank - 1]:
        return param
    shape = [1] * rank
    for i, a in enumerate(axes):
        shape[a] = param.shape[i]
    return A.reshape(param, shape)


class _Normalization(Layer):
    """What BatchNormalization and LayerNormalization share: `axis`, `epsilon`, the affine
    weights `gamma` (scale) and `beta` (center) with their initializers, regularizers and
    constraints, and their config entries."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis) if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        set_weight_options(
            self, beta=(beta_initializer, beta_regularizer, beta_constraint),
            gamma=(gamma_initializer, gamma_regularizer, gamma_constraint))
        self.supports_masking = True

    def _axes(self, rank):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        return sorted(a % rank for a in axes)

    def _add_affine(self, shape, scale, center):
        """Create `gamma` (when `scale`) and `beta` (when `center`) of `shape`; None otherwise."""
        self.gamma = add_optioned_weight(self, "gamma", shape) if scale else None
        self.beta = add_optioned_weight(self, "beta", shape) if center else None

    def _affine_config(self, *more_initializers):
        """The weights' config entries in Keras's order (`more_initializers`, attribute names,
        follow the gamma initializer)."""
        return {
            "beta_initializer": ser("initializer", self.beta_initializer),
            "gamma_initializer": ser("initializer", self.gamma_initializer),
            **{name: ser("initializer", getattr(self, name)) for name in more_initializers},
            "beta_regularizer": ser("regularizer", self.beta_regularizer),
            "gamma_regularizer": ser("regularizer", self.gamma_regularizer),
            "beta_constraint": ser("constraint", self.beta_constraint),
            "gamma_constraint": ser("constraint", self.gamma_constraint)}

    def compute_output_shape(self, input_shape):
        return input_shape


class BatchNormalization(_Normalization):
    """Normalizes with batch statistics when training (updating `moving_mean` and
    `moving_variance` with `momentum`), with the moving statistics otherwise:
    `BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, ...)`.

    Weights, in Keras's order: `gamma`, `beta` (trainable), `moving_mean`, `moving_variance`
    (non-trainable). A frozen layer (`trainable=False`) always runs in inference mode, as in
    Keras 3.

    >>> layer = tf.keras.layers.BatchNormalization()
    >>> y = layer(tf.constant([[0.0], [2.0]]), training=True)
    >>> np.round(y.numpy().ravel(), 3)
    array([-1.,  1.], dtype=float32)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.momentum = float(momentum)
        self.synchronized = synchronized
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        axes = self._axes(rank)
        shape = _param_shape(input_shape, axes, self.name)
        self._add_affine(shape, self.scale, self.center)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})

    def _normalize(self, x, mean, variance, axes, rank):
        inv = M.rsqrt(M.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = M.multiply(inv, _broadcast(self.gamma, rank, axes))
        shift = M.negative(M.multiply(mean, inv))
        if self.beta is not None:
            shift = M.add(shift, _broadcast(self.beta, rank, axes))
        return M.add(M.multiply(x, inv), shift)

    def call(self, inputs, training=None, mask=None):
        rank = inputs.shape.rank
        axes = self._axes(rank)
        reduce = [i for i in range(rank) if i not in axes]
        x = inputs
        compute_f32 = x.dtype.name == "float16"
        if compute_f32:
            x = M.cast(x, "float32")
        moving_mean = _broadcast(M.cast(self.moving_mean, x.dtype), rank, axes)
        moving_var = _broadcast(M.cast(self.moving_variance, x.dtype), rank, axes)
        inference = self._normalize(x, moving_mean, moving_var, axes, rank)
        if training is None or training is False or not self.trainable:
            out = inference
        else:
            if mask is None:
                mean = M.reduce_mean(x, axis=reduce, keepdims=True)
                variance = M.reduce_mean(M.squared_difference(x, A.stop_gradient(mean)),
                                         axis=reduce, keepdims=True)
            else:
                m = M.cast(mask, x.dtype)
                while m.shape.rank < rank:
                    m = A.expand_dims(m, -1)
                count = M.reduce_sum(M.add(m, A.zeros_like(x)), axis=reduce, keepdims=True)
                mean = M.divide_no_nan(M.reduce_sum(M.multiply(x, m), axis=reduce,
                                                    keepdims=True), count)
                variance = M.divide_no_nan(M.reduce_sum(M.multiply(M.squared_difference(
                    x, A.stop_gradient(mean)), m), axis=reduce, keepdims=True), count)
            batch = self._normalize(x, mean, variance, axes, rank)
            flat_mean = A.reshape(mean, self.moving_mean.shape.as_list())
            flat_var = A.reshape(variance, self.moving_variance.shape.as_list())
            new_mean = M.add(M.multiply(self.moving_mean, self.momentum),
                             M.multiply(M.cast(flat_mean, self.moving_mean.dtype),
                                        1.0 - self.momentum))
            new_var = M.add(M.multiply(self.moving_variance, self.momentum),
                            M.multiply(M.cast(flat_var, self.moving_variance.dtype),
                                       1.0 - self.momentum))
            if isinstance(training, Tensor):
                flag = M.cast(training, "bool")
                new_mean = M.where(flag, new_mean, self.moving_mean)
                new_var = M.where(flag, new_var, self.moving_variance)
                out = M.where(flag, batch, inference)
            else:
                out = batch
            self.moving_mean.assign(A.stop_gradient(new_mean))
            self.moving_variance.assign(A.stop_gradient(new_var))
        if compute_f32:
            out = M.cast(out, inputs.dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            **self._affine_config("moving_mean_initializer", "moving_variance_initializer"),
            "synchronized": self.synchronized})
        return config


class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis` (-1): `LayerNormalization(axis=-1, epsilon=0.001,
    center=True, scale=True, rms_scaling=False, ...)`; weights `gamma` then `beta`.

    >>> layer = tf.keras.layers.LayerNormalization()
    >>> np.round(layer(tf.constant([[1.0, 3.0]])).numpy(), 3)
    array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.rms_scaling = rms_scaling

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = _param_shape(input_shape, axes, self.name)
        self._add_affine(shape, self.scale or self.rms_scaling,
                         self.center and not self.rms_scaling)

    def call(self, inputs):
        rank = inputs.shape.rank
        axes = self._axes(rank)
        x = M.cast(inputs, "float32") if inputs.dtype.name == "float16" else inputs
        if self.rms_scaling:
            ms = M.reduce_mean(M.square(x), axis=axes, keepdims=True)
            out = M.multiply(x, M.rsqrt(M.add(ms, self.epsilon)))
            if self.gamma is not None:
                out = M.multiply(out, _broadcast(M.cast(self.gamma, x.dtype), rank, axes))
        else:
            mean = M.reduce_mean(x, axis=axes, keepdims=True)
            variance = M.reduce_mean(M.squared_difference(x, A.stop_gradient(mean)), axis=axes,
                                     keepdims=True)
            out = M.multiply(M.subtract(x, mean), M.rsqrt(M.add(variance, self.epsilon)))
            if self.gamma is not None:
                out = M.multiply(out, _broadcast(M.cast(self.gamma, x.dtype), rank, axes))
            if self.beta is not None:
                out = M.add(out, _broadcast(M.cast(self.beta, x.dtype), rank, axes))
        return M.cast(out, inputs.dtype) if out.dtype != inputs.dtype else out

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "rms_scaling": self.rms_scaling,
            **self._affine_config()})
        return config
