"""`keras.utils.set_random_seed`: seed Python's, NumPy's and autograph_jit's generators."""
import random as _random

import numpy as np
from ... import random as tf_random

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    """Seed `random`, `numpy.random` and `tf.random` at once (reproducible fits/initializers).

    Example: `tf.keras.utils.set_random_seed(42)`.

    >>> tf.keras.utils.set_random_seed(7)
    >>> a = tf.random.uniform([2])
    >>> tf.keras.utils.set_random_seed(7)
    >>> bool(tf.reduce_all(a == tf.random.uniform([2])))
    True
    """
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} "
                         f"(of type {type(seed)})")
    _random.seed(seed)
    np.random.seed(seed)
    tf_random.set_seed(seed)
