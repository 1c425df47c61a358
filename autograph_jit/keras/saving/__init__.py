"""`tf.keras.saving`: `.keras` model files, `.weights.h5` weights, and object serialization."""
from .serialization import CustomObjectScope  # noqa: F401
from .serialization import custom_object_scope  # noqa: F401
from .serialization import deserialize_keras_object  # noqa: F401
from .serialization import get_registered_object  # noqa: F401
from .serialization import register_keras_serializable  # noqa: F401
from .serialization import serialize_keras_object  # noqa: F401
from ..models.saving_api import load_model  # noqa: F401


def save_model(model, filepath, overwrite=True, **kwargs):
    """`keras.saving.save_model(model, "m.keras")`: same as `model.save(filepath)`.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> path = os.path.join(d, 'model.keras')
    >>> tf.keras.saving.save_model(model, path)
    >>> tf.keras.saving.load_model(path).output_shape
    (None, 1)
    """
    model.save(filepath, overwrite=overwrite, **kwargs)
