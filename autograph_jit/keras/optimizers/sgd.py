"""SGD with optional (Nesterov) momentum, Keras 3's update rule."""
from ...ops.math_ops import cast
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """`tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.

    Without momentum: `var -= lr * g`. With it: `m = momentum * m - lr * g`, then `var += m`
    (Nesterov: `var += momentum * m - lr * g`).

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.95, 2.05], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        # weight_decay, clipnorm, clipvalue, ... are the base Optimizer's keywords
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        # Keras 3 insists on a float; ints such as momentum=0 are accepted here too.
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        gradient = cast(gradient, variable.dtype)
        if self.momentum == 0:
            variable.assign_sub(gradient * lr)
            return
        m = self.momentums[self._get_variable_index(variable)]
        momentum = cast(self.momentum, variable.dtype)
        m.assign(m * momentum - gradient * lr)
        if self.nesterov:
            variable.assign_add(m * momentum - gradient * lr)
        else:
            variable.assign_add(m)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
