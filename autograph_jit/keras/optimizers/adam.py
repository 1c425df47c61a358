"""Adam (with optional AMSGrad), Keras 3's update rule."""
from ...ops.math_ops import cast, maximum, pow, sqrt, square  # noqa: A004
from ...ops.training_ops import try_apply_adam
from .optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """`tf.keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    amsgrad=False)`.

    With `t = iterations + 1`: `alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`,
    `m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)`,
    `var -= alpha * m / (sqrt(v) + epsilon)` (AMSGrad uses the running max of `v`).

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.9, 2.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        # weight_decay, clipnorm, clipvalue, ... are the base Optimizer's keywords
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras 3's order: momentum and velocity variable by variable, then every velocity_hat
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _alpha(self, learning_rate, dtype):
        """`lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`, once per step and dtype (Optimizer.apply
        keeps it in `_per_step`; a direct update_step call computes it afresh)."""
        memo = getattr(self, "_per_step", None)
        if memo is not None and dtype in memo:
            return memo[dtype]
        lr = cast(learning_rate, dtype)
        # The step is read from the Variable so a compiled step sees the current count.
        local_step = cast(self.iterations + 1, dtype)
        beta_1_power = pow(cast(self.beta_1, dtype), local_step)
        beta_2_power = pow(cast(self.beta_2, dtype), local_step)
        alpha = lr * sqrt(1 - beta_2_power) / (1 - beta_1_power)
        if memo is not None:
            memo[dtype] = alpha
        return alpha

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = cast(gradient, dtype)
        alpha = self._alpha(learning_rate, dtype)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        if not self.amsgrad and try_apply_adam(variable, m, v, gradient, alpha, self.beta_1,
                                               self.beta_2, self.epsilon):
            return   # eagerly: the update below as one fused op, bit for bit
        m.assign_add((gradient - m) * (1 - self.beta_1))
        v.assign_add((square(gradient) - v) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_hat.assign(maximum(v_hat, v))
            v = v_hat
        variable.assign_sub((m * alpha) / (sqrt(v) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
