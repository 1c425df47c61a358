"""`tf.keras.backend`: global Keras settings (floatx, epsilon, image data format), name counters
(`clear_session`), and `get_value`/`set_value` on variables."""
import numpy as np

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
           "set_image_data_format", "clear_session", "get_value", "set_value",
           "get_keras_mask", "set_keras_mask", "backend", "is_keras_tensor"]

_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """The default float dtype of layers' weights, as a string ('float32').

    >>> tf.keras.backend.floatx()
    'float32'
    """
    return _SETTINGS["floatx"]


def set_floatx(value):
    """Set the default float dtype: 'float16', 'bfloat16', 'float32' or 'float64'.

    >>> tf.keras.backend.set_floatx('float64')
    >>> tf.keras.layers.Dense(1)(tf.ones([1, 2], tf.float64)).dtype
    tf.float64
    >>> tf.keras.backend.set_floatx('float32')
    """
    accepted = {"float16", "bfloat16", "float32", "float64"}
    value = str(getattr(value, "name", value))
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {accepted}")
    _SETTINGS["floatx"] = value


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7).

    >>> tf.keras.backend.epsilon()
    1e-07
    """
    return _SETTINGS["epsilon"]


def set_epsilon(value):
    """Set the value of the fuzz factor used in numeric expressions.

    Args:
      value: a float (the default is 1e-7).

    Returns:
      None.

    >>> tf.keras.backend.set_epsilon(1e-5)
    >>> tf.keras.backend.epsilon()
    1e-05
    >>> tf.keras.backend.set_epsilon(1e-7)
    """
    _SETTINGS["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (the default) or 'channels_first'.

    >>> tf.keras.backend.image_data_format()
    'channels_last'
    """
    return _SETTINGS["image_data_format"]


def set_image_data_format(data_format):
    """Set the value of the image data format convention.

    Args:
      data_format: 'channels_last' (the default: NHWC) or 'channels_first'.

    Returns:
      None.

    Raises:
      ValueError: any other value.

    >>> tf.keras.backend.set_image_data_format("channels_first")
    >>> tf.keras.backend.image_data_format()
    'channels_first'
    >>> tf.keras.backend.set_image_data_format("channels_last")
    """
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
    """Reset Keras's global state: layer auto-names start again at `dense`, `dense_1`, ...

    >>> tf.keras.backend.clear_session()
    >>> tf.keras.layers.Dense(1).name
    'dense'
    """
    from .layers.layer import reset_object_names
    reset_object_names()


def backend():
    """The name of the backend: 'tensorflow' (autograph_jit plays TensorFlow's part).

    >>> tf.keras.backend.backend()
    'tensorflow'
    """
    return "tensorflow"


def get_value(x):
    """The value of a variable or tensor as a NumPy array (a Python/NumPy value passes
    through).

    >>> tf.keras.backend.get_value(tf.Variable([1.0, 2.0]))
    array([1., 2.], dtype=float32)
    """
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def set_value(x, value):
    """Assign `value` (NumPy or Python) to variable `x`.

    >>> v = tf.Variable([1.0, 2.0])
    >>> tf.keras.backend.set_value(v, [3.0, 4.0])
    >>> v.numpy()
    array([3., 4.], dtype=float32)
    """
    x.assign(np.asarray(value, dtype=x.dtype.np_dtype))


def get_keras_mask(x):
    """Gets the Keras mask attribute from a tensor (the `_keras_mask` a masking layer set).

    Args:
      x: a tensor.

    Returns:
      The mask tensor, or None.

    >>> masked = tf.keras.layers.Masking(mask_value=0.0)(tf.constant([[[1.0], [0.0]]]))
    >>> tf.keras.backend.get_keras_mask(masked).numpy()
    array([[ True, False]])
    """
    from .layers.layer import get_keras_mask as get
    return get(x)


def set_keras_mask(x, mask):
    """Sets the Keras mask attribute for a tensor.

    Args:
      x: a tensor.
      mask: a bool tensor (or None to remove the mask).

    Returns:
      None.

    >>> x = tf.constant([[1.0, 2.0]])
    >>> tf.keras.backend.set_keras_mask(x, tf.constant([[True, False]]))
    >>> tf.keras.backend.get_keras_mask(x).numpy()
    array([[ True, False]])
    """
    from .layers.layer import set_keras_mask as put
    put(x, mask)


def is_keras_tensor(x):
    """Returns whether `x` is a symbolic Keras tensor (the output of `tf.keras.Input` or of a layer
    called on one).

    Args:
      x: any value.

    Returns:
      True for a KerasTensor.

    >>> tf.keras.backend.is_keras_tensor(tf.keras.Input((3,)))
    True
    >>> tf.keras.backend.is_keras_tensor(tf.constant([1.0]))
    False
    """
    from .layers.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)
