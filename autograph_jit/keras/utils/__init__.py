"""`tf.keras.utils`: to_categorical, set_random_seed, Progbar, and data helpers."""
from .progbar import Progbar  # noqa: F401
from .numerical import normalize, to_categorical  # noqa: F401
from .random import set_random_seed  # noqa: F401
from ..models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401
from ..layers.keras_tensor import is_keras_tensor  # noqa: F401
from ..saving.serialization import get_registered_object  # noqa: F401
from ..saving.serialization import register_keras_serializable  # noqa: F401
from .plot import model_to_dot, plot_model  # noqa: F401
