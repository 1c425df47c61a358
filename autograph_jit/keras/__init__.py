"""`tf.keras`: Keras 3 for autograph_jit — layers, models, training (`compile`/`fit`), callbacks,
saving, optimizers, losses, metrics, and utilities; one module or subpackage each.

Both `tf.keras.layers.Dense` and `from autograph_jit.keras import layers` work."""
from . import backend  # noqa: F401
from . import optimizers  # noqa: F401
from . import metrics  # noqa: F401
from . import layers  # noqa: F401
from . import models  # noqa: F401
from . import callbacks  # noqa: F401
from . import utils  # noqa: F401
from . import saving  # noqa: F401
from .layers import Input  # noqa: F401
from .layers import InputSpec  # noqa: F401
from .layers import Layer  # noqa: F401
from .layers.keras_tensor import KerasTensor  # noqa: F401
from .models import Model  # noqa: F401
from .models import Sequential  # noqa: F401
from . import activations  # noqa: F401
from . import constraints  # noqa: F401
from . import initializers  # noqa: F401
from . import losses  # noqa: F401
from . import regularizers  # noqa: F401
from . import datasets  # noqa: F401
