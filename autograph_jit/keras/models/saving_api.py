"""`keras.models.load_model`, `model_from_json` and `clone_model`."""
import json

__all__ = ["load_model", "model_from_json", "clone_model"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Load a model saved by `model.save("m.keras")` (architecture, weights, compile state).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> path = os.path.join(d, 'model.keras')
    >>> model.save(path)
    >>> restored = tf.keras.models.load_model(path)
    >>> np.allclose(restored.predict(np.ones((1, 2)), verbose=0), model.predict(np.ones((1, 2)), verbose=0))
    True
    """
    from ..saving.keras_file import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """A new, untrained model from `model.to_json()`'s string.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> clone = tf.keras.models.model_from_json(model.to_json())
    >>> clone.output_shape
    (None, 1)
    """
    from ..saving.serialization import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with the same architecture as `model` and freshly initialized weights.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> clone = tf.keras.models.clone_model(model)
    >>> clone.output_shape, clone is model
    ((None, 1), False)
    """
    from ..saving.serialization import deserialize_keras_object, serialize_keras_object
    if clone_function is not None or input_tensors is not None:
        raise ValueError("clone_model: `clone_function` and `input_tensors` are not supported "
                         "by autograph_jit; clone with the defaults.")
    return deserialize_keras_object(serialize_keras_object(model), compile=False)
