"""`tf.keras.backend`: global Keras settings (floatx, epsilon, image data format), name counters
(`clear_session`), and `get_value`/`set_value` on variables."""
import numpy as np

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
           "set_image_data_format", "clear_session", "get_value", "set_value",
           "get_keras_mask", "set_keras_mask", "backend", "is_keras_tensor"]

_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """The default float dtype of layers' weights, as a string ('float32')."""
    return _SETTINGS["floatx"]


def set_floatx(value):
    """Set the default float dtype: 'float16', 'bfloat16', 'float32' or 'float64'."""
    accepted = {"float16", "bfloat16", "float32", "float64"}
    value = str(getattr(value, "name", value))
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {accepted}")
    _SETTINGS["floatx"] = value


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7)."""
    return _SETTINGS["epsilon"]


def set_epsilon(value):
    _SETTINGS["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (the default) or 'channels_first'."""
    return _SETTINGS["image_data_format"]


def set_image_data_format(data_format):
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    _SETTINGS["image_data_format"] = data_format


def standardize_data_format(data_format):
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return data_format


def clear_session(free_memory=True):
    """Reset Keras's global state: layer auto-names start again at `dense`, `dense_1`, ..."""
    from .layers.layer import reset_object_names
    reset_object_names()


def backend():
    """The name of the backend: 'tensorflow' (autograph_jit plays TensorFlow's part)."""
    return "tensorflow"


def get_value(x):
    """The value of a variable or tensor as a NumPy array (a Python/NumPy value passes
    through)."""
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def set_value(x, value):
    """Assign `value` (NumPy or Python) to variable `x`."""
    x.assign(np.asarray(value, dtype=x.dtype.np_dtype))


def get_keras_mask(x):
    from .layers.layer import get_keras_mask as get
    return get(x)


def set_keras_mask(x, mask):
    from .layers.layer import set_keras_mask as put
    put(x, mask)


def is_keras_tensor(x):
    from .layers.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)
