"""`tf.keras.config`: Keras 3's process-wide settings — the default float type, the fuzz factor,
the image data format, the backend's name, unsafe deserialization (Python lambdas in saved
Lambda layers) and traceback filtering. Thin: each setting lives where it is used."""
from ..config import debug_tracebacks as _debug_tracebacks, set_debug_tracebacks as _set_debug
from .backend import (backend, epsilon, floatx, image_data_format, set_epsilon,
                      set_floatx, set_image_data_format)
from .saving.function_code import enable_unsafe_deserialization

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "enable_unsafe_deserialization",
           "enable_traceback_filtering", "disable_traceback_filtering",
           "is_traceback_filtering_enabled"]


def is_traceback_filtering_enabled():
    """Whether error tracebacks hide this library's own frames (the default), so they end at
    the user's line (`tf.config.debug_tracebacks()` is the opposite).

    >>> tf.keras.config.is_traceback_filtering_enabled()
    True
    """
    return not _debug_tracebacks()


def enable_traceback_filtering():
    """Hide this library's frames in error tracebacks (the default).

    >>> tf.keras.config.enable_traceback_filtering()
    >>> tf.keras.config.is_traceback_filtering_enabled()
    True
    """
    _set_debug(False)


def disable_traceback_filtering():
    """Show this library's frames in error tracebacks (to debug the library itself).

    >>> tf.keras.config.disable_traceback_filtering()
    >>> tf.keras.config.is_traceback_filtering_enabled()
    False
    >>> tf.keras.config.enable_traceback_filtering()
    """
    _set_debug(True)
