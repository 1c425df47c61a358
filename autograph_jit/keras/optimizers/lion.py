"""Lion (evolved sign momentum), Keras 3's update rule."""
from ...ops.math_ops import cast, sign
from .optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """`tf.keras.optimizers.Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)`:
    `var -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Lion(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.9, 2.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        gradient = cast(gradient, dtype)
        b1, b2 = cast(self.beta_1, dtype), cast(self.beta_2, dtype)
        m = self._momentums[self._get_variable_index(variable)]
        variable.assign_sub(lr * sign(m * b1 + gradient * (1.0 - b1)))
        m.assign(m * b2 + gradient * (1.0 - b2))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
