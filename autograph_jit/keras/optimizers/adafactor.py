"""Adafactor (factored second moments, relative step sizes), Keras 3's update rule."""
import numpy as np

from ...ops.array_ops import expand_dims
from ...ops.math_ops import cast, maximum, minimum, pow, reduce_mean, sqrt, square  # noqa: A004
from ...variables import Variable
from .optimizer import Optimizer

__all__ = ["Adafactor"]


def _rms(x):
    return sqrt(reduce_mean(square(x)))


class Adafactor(Optimizer):
    """`tf.keras.optimizers.Adafactor(learning_rate=0.001, beta_2_decay=-0.8,
    epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0, relative_step=True)`.

    Variables of rank >= 2 keep row and column averages `r`, `c` of `g**2 + epsilon_1` (decay
    `1 - t**beta_2_decay`) and the factored second moment `v = (r / mean(r)) * c`; others keep
    `v` whole. The step is `max(epsilon_2, rms(var)) * min(lr, 1 / sqrt(t))` times
    `g / sqrt(v)` clipped to RMS `clip_threshold`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Adafactor(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.8419, 2.1581], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, name="adafactor", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            shape = var.shape.as_list()
            name = var.name.rsplit(":", 1)[0].rsplit("/", 1)[-1]
            if len(shape) < 2:
                # unused int32 placeholders, outside the optimizer's scope and named after the
                # variable: Keras 3 keeps (and saves) them in `variables` all the same
                for kind in (self._r, self._c):
                    kind.append(Variable(np.int32(0), trainable=False, name=name,
                                         dtype="int32"))
                    self._variables.append(kind[-1])
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        gradient = cast(gradient, dtype)
        step = cast(self.iterations + 1, dtype)
        if not callable(self._learning_rate) and self.relative_step:
            lr = minimum(lr, 1 / sqrt(step))
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]
        rho = minimum(lr, 1 / sqrt(step))
        alpha = maximum(cast(self.epsilon_2, dtype), _rms(variable)) * rho
        grad_sq = square(gradient) + self.epsilon_1
        beta_2 = 1 - pow(step, self.beta_2_decay)
        if variable.shape.rank >= 2:
            r.assign(beta_2 * r + (1 - beta_2) * reduce_mean(grad_sq, axis=-1))
            c.assign(beta_2 * c + (1 - beta_2) * reduce_mean(grad_sq, axis=-2))
            v.assign(expand_dims(r / reduce_mean(r, axis=-1, keepdims=True), -1) *
                     expand_dims(c, -2))
        else:
            v.assign(beta_2 * v + (1 - beta_2) * grad_sq)
        u = gradient / sqrt(v)
        u = u / maximum(cast(1.0, dtype), _rms(u) / self.clip_threshold)
        variable.assign_sub(alpha * u)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
