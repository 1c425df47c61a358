"""The `serving_default` signature that `tf.saved_model.save(obj, path)` creates when no
`signatures` are given, as TF does.

TF's rule (`signature_serialization.find_function_to_export`): the object's exportable functions
are its tf.functions with an `input_signature` and its concrete functions; when exactly one exists
it becomes `serving_default`. Keras models (TF's `_default_save_signature`) export `model(inputs,
training=False)` with the model's input specs (batch dimension left free). Here the object's
`__call__` comes first: a tf.function `__call__` with an input_signature, or one traced exactly
once, is the default even when other functions are exportable.
"""
from .. import nest
from ..tracing.concrete import ConcreteFunction
from ..tracing.function import Function
from ..keras.layers.layer import Layer
from ..tracing.signature import TensorSpec

__all__ = ["default_signature"]


def default_signature(obj):
    """The function to export as `serving_default` for `obj`, or None (no signature, as in TF).

    Example:
        class M(tf.Module):
            @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
            def __call__(self, x): ...
        default_signature(M())  # -> M.__call__'s concrete function
    """
    call = _exportable_call(obj)
    if call is not None:
        return call
    keras = _keras_signature(obj)
    if keras is not None:
        return keras
    found = []
    for name, value in _attributes(obj):
        if isinstance(value, ConcreteFunction):
            found.append(value)
        elif isinstance(value, Function) and value.input_signature is not None:
            found.append(value.get_concrete_function())
    return found[0] if len(found) == 1 else None


def _attributes(obj):
    names = set(k for k in getattr(obj, "__dict__", {}) if not k.startswith("__"))
    for klass in type(obj).__mro__:
        names.update(k for k, v in vars(klass).items()
                     if isinstance(v, Function) and not k.startswith("__"))
    for name in sorted(names):
        try:
            yield name, getattr(obj, name)
        except AttributeError:
            continue


def _exportable_call(obj):
    call = getattr(obj, "__call__", None)
    if isinstance(call, ConcreteFunction):
        return call
    if not isinstance(call, Function):
        return None
    if call.input_signature is not None:
        return call.get_concrete_function()
    traced = {id(cf): cf for cf in call._cache.values()}
    return next(iter(traced.values())) if len(traced) == 1 else None


def _keras_signature(obj):
    if not isinstance(obj, Layer) or not obj.built:
        return None
    specs = _keras_input_specs(obj)
    if specs is None:
        return None
    model = obj

    def serving_default(inputs):
        return model(inputs, training=False)

    fn = Function(serving_default, name="serving_default", input_signature=[specs])
    return fn.get_concrete_function()


def _keras_input_specs(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        specs = [TensorSpec(_free_batch(t.shape), t.dtype) for t in inputs]
        return specs[0] if len(specs) == 1 else specs
    shape = getattr(model, "_build_input_shape", None)
    if shape is None:
        return None
    dtype = model.compute_dtype
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [TensorSpec(_free_batch(s), dtype) for s in shape]
    if isinstance(shape, dict):
        return {k: TensorSpec(_free_batch(s), dtype) for k, s in shape.items()}
    return TensorSpec(_free_batch(shape), dtype)


def _free_batch(shape):
    dims = list(nest.flatten(list(shape))) if not hasattr(shape, "as_list") else shape.as_list()
    return [None] + list(dims[1:]) if dims else dims
