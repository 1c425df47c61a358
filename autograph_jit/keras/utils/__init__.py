"""`tf.keras.utils`: to_categorical, set_random_seed, Progbar, plotting, serialization names,
PyDataset, sequence/image/file helpers and datasets built from arrays."""
from .progbar import Progbar  # noqa: F401
from .numerical import normalize, to_categorical  # noqa: F401
from .random import set_random_seed  # noqa: F401
from ..models.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401
from ..layers.keras_tensor import is_keras_tensor  # noqa: F401
from ..saving.serialization import CustomObjectScope, custom_object_scope  # noqa: F401
from ..saving.serialization import deserialize_keras_object  # noqa: F401
from ..saving.serialization import get_registered_object  # noqa: F401
from ..saving.serialization import register_keras_serializable  # noqa: F401
from ..saving.serialization import serialize_keras_object  # noqa: F401
from ..backend import clear_session  # noqa: F401
from ..saving.serialization import get_custom_objects, get_registered_name  # noqa: F401
from .plot import model_to_dot, plot_model  # noqa: F401
from .py_dataset import PyDataset, Sequence  # noqa: F401
from .sequence_utils import pad_sequences  # noqa: F401
from .layer_utils import get_source_inputs  # noqa: F401
import importlib as _importlib

# loaded on first use (PEP 562): `fit` imports this package, and these pull in urllib/ssl,
# tarfile, PIL and tf.data (tens of ms that a first training step should not pay)
_LAZY = {"get_file": "file_utils",
         "array_to_img": "image_utils", "img_to_array": "image_utils", "load_img": "image_utils",
         "save_img": "image_utils",
         "split_dataset": "dataset_utils", "timeseries_dataset_from_array": "dataset_utils"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
