"""Normalization layers (Keras 3): BatchNormalization (moving statistics as non-trainable
weights, batch statistics only when `training=True`, optional batch renormalization),
LayerNormalization (with Keras 3's deprecated `rms_scaling`) and RMSNormalization."""
import warnings

from ...ops import array_ops as A
from ...ops import math_ops as M
from ...tensor import Tensor
from .. import initializers
from ._args import add_optioned_weight, ser, set_weight_options
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["BatchNormalization", "LayerNormalization", "RMSNormalization"]


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


def _check_renorm_clipping(clipping):
    """Keras 3's checks of BatchNormalization's `renorm_clipping` dict."""
    keys = ["rmax", "rmin", "dmax"]
    if set(clipping) - set(keys):
        raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {clipping}. "
                         f"Supported values: {keys}.")
    rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(f"rmax should be greater than rmin in the `renorm_clipping` argument. "
                         f"Received: rmax={rmax}, rmin={rmin}.")
    if dmax is not None and dmax < 0:
        raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. "
                         f"Received: dmax={dmax}.")
    return clipping


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
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         **kwargs)
        self.momentum = float(momentum)
        self.synchronized = synchronized
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = renorm
        if renorm:
            renorm_clipping = _check_renorm_clipping(renorm_clipping or {})
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum

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
        if self.renorm:
            self._add_renorm_weights(shape)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})

    def _add_renorm_weights(self, shape):
        """Keras 3's batch renormalization weights, after the moving statistics: the inference
        `moving_stddev` and the training-time `renorm_mean`/`renorm_stddev` (the stddevs start
        at the square root of the moving variance initializer)."""
        def stddev_initializer(shape, dtype=None):
            return M.sqrt(self.moving_variance_initializer(shape, dtype=dtype))

        self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev",
                                             initializer=stddev_initializer, trainable=False)
        self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev",
                                             initializer=stddev_initializer, trainable=False)

    def _affine(self, rank, axes, dtype):
        """gamma and beta broadcast against the input (None where absent)."""
        gamma = None if self.gamma is None else _broadcast(M.cast(self.gamma, dtype), rank, axes)
        beta = None if self.beta is None else _broadcast(M.cast(self.beta, dtype), rank, axes)
        return gamma, beta

    def _normalize(self, x, mean, variance, gamma, beta):
        inv = M.rsqrt(M.add(variance, self.epsilon))
        if gamma is not None:
            inv = M.multiply(inv, gamma)
        shift = M.negative(M.multiply(mean, inv))
        if beta is not None:
            shift = M.add(shift, beta)
        return M.add(M.multiply(x, inv), shift)

    def _renorm_transform(self, mean, variance, gamma, beta, rank, axes):
        """Batch renormalization's correction (Keras 3): the batch-normalized value becomes
        `x_hat * r + d`, r = batch stddev / renorm_stddev and d = (batch mean - renorm_mean) /
        renorm_stddev, clipped by `renorm_clipping` and treated as constants; folded into
        gamma and beta as (r * gamma, d * gamma + beta)."""
        stddev = M.sqrt(M.add(variance, self.epsilon))
        renorm_mean = _broadcast(M.cast(self.renorm_mean, mean.dtype), rank, axes)
        renorm_stddev = M.maximum(_broadcast(M.cast(self.renorm_stddev, mean.dtype), rank, axes),
                                  M.sqrt(M.cast(self.epsilon, mean.dtype)))
        r = M.divide(stddev, renorm_stddev)
        d = M.divide(M.subtract(mean, renorm_mean), renorm_stddev)
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = M.maximum(r, M.cast(clip["rmin"], r.dtype))
        if clip.get("rmax") is not None:
            r = M.minimum(r, M.cast(clip["rmax"], r.dtype))
        if clip.get("dmax") is not None:
            d = M.clip_by_value(d, -float(clip["dmax"]), float(clip["dmax"]))
        r, d = A.stop_gradient(r), A.stop_gradient(d)
        new_gamma = r if gamma is None else M.multiply(r, gamma)
        new_beta = d if gamma is None else M.multiply(d, gamma)
        if beta is not None:
            new_beta = M.add(new_beta, beta)
        return new_gamma, new_beta

    def _moving_updates(self, mean, variance):
        """[(variable, its new value)] after a training batch with statistics (mean, variance)."""
        def average(var, value, momentum):
            value = M.cast(A.reshape(value, var.shape.as_list()), var.dtype)
            return M.add(M.multiply(var, momentum), M.multiply(value, 1.0 - momentum))

        if not self.renorm:
            return [(self.moving_mean, average(self.moving_mean, mean, self.momentum)),
                    (self.moving_variance, average(self.moving_variance, variance,
                                                   self.momentum))]
        stddev = M.sqrt(M.add(variance, self.epsilon))
        moving_stddev = average(self.moving_stddev, stddev, self.momentum)
        # the inference variance follows the moving stddev (ReLU guards against rounding)
        moving_variance = M.maximum(M.subtract(M.square(moving_stddev), self.epsilon), 0.0)
        return [(self.renorm_mean, average(self.renorm_mean, mean, self.renorm_momentum)),
                (self.renorm_stddev, average(self.renorm_stddev, stddev, self.renorm_momentum)),
                (self.moving_mean, average(self.moving_mean, mean, self.momentum)),
                (self.moving_stddev, moving_stddev), (self.moving_variance, moving_variance)]

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
        gamma, beta = self._affine(rank, axes, x.dtype)
        inference = self._normalize(x, moving_mean, moving_var, gamma, beta)
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
            if self.renorm:
                gamma, beta = self._renorm_transform(mean, variance, gamma, beta, rank, axes)
            batch = self._normalize(x, mean, variance, gamma, beta)
            updates = self._moving_updates(mean, variance)
            if isinstance(training, Tensor):
                flag = M.cast(training, "bool")
                updates = [(var, M.where(flag, new, var)) for var, new in updates]
                out = M.where(flag, batch, inference)
            else:
                out = batch
            for var, new in updates:
                var.assign(A.stop_gradient(new))
        if compute_f32:
            out = M.cast(out, inputs.dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            **self._affine_config("moving_mean_initializer", "moving_variance_initializer"),
            "synchronized": self.synchronized, "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum})
        return config


class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis` (-1): `LayerNormalization(axis=-1, epsilon=0.001,
    center=True, scale=True, rms_scaling=False, ...)`; weights `gamma` then `beta`.

    `rms_scaling=True` is Keras 3's deprecated option, computed as Keras 3 does (with a
    warning): `x * rsqrt(variance(x) + epsilon) * gamma` — the variance, not the mean square,
    and no `beta`. `RMSNormalization` is the true RMS normalization.

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
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                          "incorrectly scales the input by the variance, not the root mean "
                          "square. To correctly use RMS Normalization, please use "
                          "`keras.layers.RMSNormalization` instead.", stacklevel=2)
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
        if self.rms_scaling:  # Keras 3's definition: the variance, not the mean square
            mean = M.reduce_mean(x, axis=axes, keepdims=True)
            variance = M.reduce_mean(M.squared_difference(x, mean), axis=axes, keepdims=True)
            out = M.multiply(x, M.rsqrt(M.add(variance, self.epsilon)))
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


class RMSNormalization(Layer):
    """Root-mean-square normalization (Keras 3): `x * rsqrt(mean(square(x)) + epsilon) * scale`
    over `axis` (-1); `RMSNormalization(axis=-1, epsilon=1e-6)`, one weight `scale` (ones).
    Computes in at least float32; after building, `axis` is a sorted list, as in Keras.

    >>> layer = tf.keras.layers.RMSNormalization()
    >>> np.round(layer(tf.constant([[3.0, 4.0]])).numpy(), 4)
    array([[0.8485, 1.1314]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        shape = _param_shape(input_shape, self.axis, self.name)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs):
        rank = inputs.shape.rank
        axes = sorted(a % rank for a in self.axis)
        x = inputs if inputs.dtype.name in ("float32", "float64") else M.cast(inputs, "float32")
        rrms = M.rsqrt(M.add(M.reduce_mean(M.square(x), axis=axes, keepdims=True),
                             self.epsilon))
        out = M.multiply(M.multiply(x, rrms), _broadcast(M.cast(self.scale, x.dtype), rank, axes))
        return M.cast(out, self.compute_dtype) if out.dtype.name != self.compute_dtype else out

    def compute_output_shape(self, input_shape):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        for axis in axes:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(f"Axis {axis} is out of bounds for input shape "
                                 f"{tuple(input_shape)}. Received: axis={self.axis}")
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
