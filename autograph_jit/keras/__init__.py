"""`tf.keras`: the Keras 3 pieces autograph_jit provides, one subpackage each (optimizers so far)."""
from . import optimizers  # noqa: F401
