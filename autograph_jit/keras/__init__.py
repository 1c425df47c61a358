"""`tf.keras`: the Keras 3 pieces autograph_jit provides, one module or subpackage each
(optimizers and metrics so far)."""
from . import optimizers  # noqa: F401
from . import metrics  # noqa: F401
