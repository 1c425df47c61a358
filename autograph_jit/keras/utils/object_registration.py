"""`keras.utils.get_custom_objects` / `get_registered_name`: the global registry that
`register_keras_serializable` fills (kept in saving/serialization.py) seen from `utils`."""
from ..saving import serialization

__all__ = ["get_custom_objects", "get_registered_name"]


def get_custom_objects():
    """The live global dict of custom objects, `"package>Name"` (or a plain name) -> object:
    what `register_keras_serializable` registers, and where an entry added by hand is found by
    deserialization, as Keras 3's `get_custom_objects()` is.

    >>> class Half(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return x / 2
    >>> tf.keras.utils.get_custom_objects()["Half"] = Half
    >>> tf.keras.saving.get_registered_object("Half") is Half
    True
    >>> del tf.keras.utils.get_custom_objects()["Half"]
    """
    return serialization._REGISTERED


def get_registered_name(obj):
    """The name `obj` is registered under (`"package>Name"`), else its `__name__`.

    >>> @tf.keras.utils.register_keras_serializable(package="docs_names")
    ... def scale(x):
    ...     return 2 * x
    >>> tf.keras.utils.get_registered_name(scale)
    'docs_names>scale'
    >>> tf.keras.utils.get_registered_name(tf.keras.layers.Dense)
    'Dense'
    """
    for name, value in serialization._REGISTERED.items():
        if value is obj:
            return name
    return obj.__name__
