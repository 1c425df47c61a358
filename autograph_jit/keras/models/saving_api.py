"""`keras.models.load_model`, `model_from_json` and `clone_model`."""
import json

__all__ = ["load_model", "model_from_json", "clone_model"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Load a model saved by `model.save("m.keras")` (architecture, weights, compile state)."""
    from ..saving.keras_file import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """A new, untrained model from `model.to_json()`'s string."""
    from ..saving.serialization import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with the same architecture as `model` and freshly initialized weights."""
    from ..saving.serialization import deserialize_keras_object, serialize_keras_object
    if clone_function is not None or input_tensors is not None:
        raise ValueError("clone_model: `clone_function` and `input_tensors` are not supported "
                         "by autograph_jit; clone with the defaults.")
    return deserialize_keras_object(serialize_keras_object(model), compile=False)
