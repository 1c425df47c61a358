"""Nadam (Adam with Nesterov momentum), Keras 3's update rule."""
import numpy as np

from ...ops.math_ops import cast, pow, sqrt, square  # noqa: A004
from ...variables import Variable
from .optimizer import Optimizer

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """`tf.keras.optimizers.Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.

    With `t = iterations + 1` and `u_t = beta_1 * (1 - 0.5 * 0.96**t)`, the running product
    `u_prod *= u_t` (once per step); `m`, `v` as Adam;
    `m_hat = u_{t+1} * m / (1 - u_prod * u_{t+1}) + (1 - u_t) * g / (1 - u_prod)`,
    `v_hat = v / (1 - beta_2**t)`, `var -= lr * m_hat / (sqrt(v_hat) + epsilon)`.
    Example: `model.compile(optimizer="nadam", loss="mse")`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Nadam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.8937, 2.1063], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        dtype = var_list[0].dtype if var_list else "float32"
        # last, outside the optimizer's name scope and named "variable", as Keras 3 makes it
        self._u_product = Variable(np.ones((), getattr(dtype, "np_dtype", dtype)),
                                   trainable=False, name="variable", dtype=dtype)
        self._variables.append(self._u_product)

    def _update_variables(self, grads, trainable_variables, learning_rate):
        # the momentum-schedule product advances once per update (not per accumulated step)
        dtype = self._u_product.dtype
        step = cast(self.iterations + 1, dtype)
        self._u_product.assign(self._u_product * cast(self.beta_1, dtype) *
                               (1.0 - 0.5 * pow(cast(np.float32(0.96), dtype), step)))
        super()._update_variables(grads, trainable_variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        gradient = cast(gradient, dtype)
        local_step = cast(self.iterations + 1, dtype)
        next_step = cast(self.iterations + 2, dtype)
        decay = cast(np.float32(0.96), dtype)
        beta_1 = cast(self.beta_1, dtype)
        beta_2 = cast(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * pow(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * pow(decay, next_step))
        u_product_t = cast(self._u_product, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = pow(beta_2, local_step)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        m.assign_add((gradient - m) * (1 - beta_1))
        v.assign_add((square(gradient) - v) * (1 - beta_2))
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * gradient / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        variable.assign_sub((m_hat * lr) / (sqrt(v_hat) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
