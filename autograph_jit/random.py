"""`tf.random` namespace."""
from .ops.random_ops import (  # noqa: F401
    normal, set_seed, shuffle, truncated_normal, uniform)
