"""AdamW: Adam with decoupled weight decay (Keras 3)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """`tf.keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
    beta_2=0.999, epsilon=1e-7, amsgrad=False)`: before each Adam step,
    `var -= var * weight_decay * lr` (variables excluded by `exclude_from_weight_decay` keep
    their value). Example: `tf.keras.optimizers.AdamW(weight_decay=1e-4)`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.01)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), v)])
    >>> np.round(v.numpy(), 4)
    array([0.899, 2.098], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
