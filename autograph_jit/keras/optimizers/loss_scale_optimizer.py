"""Keras 3's `LossScaleOptimizer`: dynamic loss scaling around an inner optimizer (for float16
training). `scale_loss` multiplies the loss by the current scale; `apply` divides the gradients
by it and applies them with the inner optimizer when they are all finite (doubling the scale
after `dynamic_growth_steps` such steps), or skips the step and halves the scale otherwise."""
import numpy as np

from ...ops.math_ops import cast, equal, is_finite, logical_and, reduce_all
from ...tensor import convert_to_tensor
from .optimizer import Optimizer, _branch

__all__ = ["LossScaleOptimizer"]

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """`tf.keras.optimizers.LossScaleOptimizer(inner_optimizer, initial_scale=2.0**15,
    dynamic_growth_steps=2000)`: dynamic loss scaling.

    Compute gradients of `optimizer.scale_loss(loss)` and pass them to `apply` /
    `apply_gradients` (`Model.fit` does both). Non-finite gradients skip the update and halve
    `dynamic_scale`; `dynamic_growth_steps` finite steps in a row double it. `learning_rate`
    and `iterations` are the inner optimizer's.

    >>> opt = tf.keras.optimizers.LossScaleOptimizer(tf.keras.optimizers.SGD(0.5),
    ...                                               initial_scale=4.0)
    >>> v = tf.Variable(1.0)
    >>> with tf.GradientTape() as tape:
    ...     loss = opt.scale_loss(v * v)
    >>> _ = opt.apply_gradients([(tape.gradient(loss, v), v)])
    >>> float(v.numpy()), float(opt.dynamic_scale.numpy())
    (0.0, 4.0)
    >>> _ = opt.apply_gradients([(tf.constant(float("inf")), v)])
    >>> float(v.numpy()), float(opt.dynamic_scale.numpy())
    (0.0, 2.0)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the "
                             "`inner_optimizer`.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError("LossScaleOptimizer: `inner_optimizer` must be a Keras optimizer, "
                             f"got {inner_optimizer!r}")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int64",
                                              name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=float(self.initial_scale),
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables[:] + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """`loss` times the current scale (the initial scale before the first step)."""
        scale = self.dynamic_scale if self.built else self.initial_scale
        loss = convert_to_tensor(loss)
        return loss * cast(scale, loss.dtype)

    def check_finite(self, grads):
        """A boolean tensor: every gradient is finite."""
        finite = None
        for g in grads:
            if g is None:
                continue
            ok = reduce_all(is_finite(convert_to_tensor(g)))
            finite = ok if finite is None else logical_and(finite, ok)
        return convert_to_tensor(True) if finite is None else finite

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if trainable_variables is not None:
            trainable_variables = list(trainable_variables)
        if not self.built:
            if trainable_variables is None:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            self.build(trainable_variables)
        tvs = trainable_variables or self._trainable_variables

        def finite_step():
            scale = self.dynamic_scale
            unscaled = []
            for g in grads:
                g = None if g is None else convert_to_tensor(g)
                unscaled.append(None if g is None else g / cast(scale, g.dtype))
            self.inner_optimizer.apply(unscaled, trainable_variables=tvs)

            def upscale():
                self.step_counter.assign(np.int64(0))
                self.dynamic_scale.assign(self.dynamic_scale * 2.0)

            def increment():
                self.step_counter.assign_add(np.int64(1))
            _branch(equal(self.step_counter, self.dynamic_growth_steps - 1), upscale, increment)

        def skip_step():
            self.step_counter.assign(np.int64(0))
            self.dynamic_scale.assign(self.dynamic_scale * 0.5)
        _branch(self.check_finite(grads), finite_step, skip_step)

    def apply_gradients(self, grads_and_vars, name=None, **kwargs):
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        grads, trainable_variables = zip(*pairs)
        self.apply(grads, trainable_variables)
        return self.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        from . import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
