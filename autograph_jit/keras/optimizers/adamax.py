"""Adamax (Adam with the infinity norm), Keras 3's update rule."""
from ...ops.math_ops import abs as _abs
from ...ops.math_ops import cast, maximum, pow  # noqa: A004
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """`tf.keras.optimizers.Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999,
    epsilon=1e-7)`.

    With `t = iterations + 1`: `m += (g - m) * (1 - beta_1)`, `u = max(beta_2 * u, |g|)`,
    `var -= lr * m / ((1 - beta_1**t) * (u + epsilon))`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Adamax(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.9, 2.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        gradient = cast(gradient, dtype)
        beta_1_power = pow(cast(self.beta_1, dtype), cast(self.iterations + 1, dtype))
        index = self._get_variable_index(variable)
        m, u = self._m[index], self._u[index]
        m.assign_add((gradient - m) * (1 - self.beta_1))
        u.assign(maximum(u * self.beta_2, _abs(gradient)))
        variable.assign_sub((lr * m) / ((1 - beta_1_power) * (u + self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
