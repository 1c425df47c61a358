"""Adadelta, Keras 3's update rule."""
from ...ops.math_ops import cast, sqrt, square
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """`tf.keras.optimizers.Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.

    `acc_g = rho * acc_g + (1 - rho) * g**2`,
    `delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)`,
    `acc_d = rho * acc_d + (1 - rho) * delta**2`, `var += lr * delta`.
    Example: `tf.keras.optimizers.Adadelta(learning_rate=1.0)`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Adadelta(learning_rate=1.0)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.9986, 2.0014], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        grad = cast(gradient, variable.dtype)
        rho = self.rho
        index = self._get_variable_index(variable)
        acc_grad = self._accumulated_grads[index]
        acc_delta = self._accumulated_delta_vars[index]
        acc_grad.assign(rho * acc_grad + (1 - rho) * square(grad))
        delta = -(sqrt(acc_delta + self.epsilon) * grad) / sqrt(acc_grad + self.epsilon)
        acc_delta.assign(rho * acc_delta + (1 - rho) * square(delta))
        variable.assign_add(lr * delta)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
