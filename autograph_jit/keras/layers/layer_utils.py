"""Helpers of the Layer base class: Keras auto-naming, Keras masks attached to tensors, the
`training` value of the enclosing call, eager scopes for weight creation, dtype policies, and
input conversion."""
import contextlib
import inspect
import re
import threading
import weakref

import numpy as np

from ... import dtypes as _dtypes
from ... import nest
from ...tensor import Tensor, convert_to_tensor
from ...tracing import context as _context
from ...variables import Variable
from .keras_tensor import KerasTensor
from .. import backend
from ...ops.math_ops import cast

__all__ = ["to_snake_case", "unique_object_name", "reset_object_names", "get_keras_mask", "set_keras_mask",
           "current_training", "serialize", "deserialize"]

_local = threading.local()
_NAME_COUNTS = {}
_MASKS = {}
_BASE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights",
                "activity_regularizer", "autocast", "input_dtype")
# attributes never walked for sublayers/variables (bookkeeping that points at other layers)
_UNTRACKED = frozenset({"_inbound_nodes", "_outbound_nodes", "_call_signature_cache",
                        "_build_input_shape", "_functions", "history", "optimizer",
                        "_build_inputs", "_parent_path", "_path",
                        "_auto_config", "_regularizers", "_losses", "_input_spec",
                        "_trainable_weights", "_non_trainable_weights"})


def to_snake_case(name):
    """Keras 3's class-name-to-layer-name rule: `Conv2D` -> `conv2d`, `MaxPooling2D` ->
    `max_pooling2d`, `BatchNormalization` -> `batch_normalization`, `LSTM` -> `lstm`. (tf.Module's
    own rule, which gives `conv2_d`, stays for Modules.)"""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_object_name(base):
    """Keras auto-naming: `base`, then `base_1`, `base_2`, ... (per process, until
    `clear_session`)."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_object_names():
    _NAME_COUNTS.clear()


def get_keras_mask(x):
    """The Keras mask attached to tensor `x` (None when it has none)."""
    if isinstance(x, KerasTensor):
        return x._keras_mask
    entry = _MASKS.get(id(x))
    if entry is not None and entry[0]() is x:
        return entry[1]
    return None


def set_keras_mask(x, mask):
    """Attach `mask` to tensor `x` (dropped when `x` is garbage collected)."""
    if isinstance(x, KerasTensor):
        x._keras_mask = mask
        return
    key = id(x)
    if mask is None:
        _MASKS.pop(key, None)
        return
    try:
        ref = weakref.ref(x, lambda _, k=key: _MASKS.pop(k, None))
    except TypeError:
        return
    _MASKS[key] = (ref, mask)


def current_training():
    """The `training` value of the enclosing layer call (None outside any)."""
    stack = getattr(_local, "calls", None)
    return stack[-1][1] if stack else None


class _eager_scope:
    """Run ops eagerly even while a tf.function is being traced (for initial weight values)."""

    def __enter__(self):
        self.saved = getattr(_context._local, "builder", None)
        _context._local.builder = None

    def __exit__(self, *exc):
        _context._local.builder = self.saved
        return False


def _shape_tuple(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    if hasattr(shape, "as_list"):
        return None if shape.rank is None else tuple(shape.as_list())
    return tuple(shape)


def _is_tensor_like(x):
    return isinstance(x, (Tensor, Variable, KerasTensor, np.ndarray, np.generic))


class _DTypePolicy:
    """The minimal Keras 3 `DTypePolicy` (a name: 'float32', 'float64', ...)."""

    def __init__(self, name):
        self.name = name
        self.compute_dtype = name
        self.variable_dtype = name

    def serialize(self):
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.name},
                "registered_name": None}

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


class _eager_build_context:
    """Builds run with the call stack cleared, so a nested first call builds normally."""

    def __enter__(self):
        self.saved = getattr(_local, "calls", None)
        _local.calls = list(self.saved or [])

    def __exit__(self, *exc):
        _local.calls = self.saved
        return False


def _resolve_dtype_name(dtype):
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, _DTypePolicy):
        return dtype.name
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name", "float32")
    name = getattr(dtype, "name", dtype)
    if name in ("mixed_float16", "mixed_bfloat16"):
        raise ValueError(f"dtype policy {name!r} is not supported; use a plain dtype such as "
                         "'float32' or 'float16'.")
    return _dtypes.as_dtype(name).name


def _convert_inputs(x, layer):
    target = _dtypes.as_dtype(layer.compute_dtype)

    def conv(v):
        if isinstance(v, np.ndarray):
            v = convert_to_tensor(v)
        if isinstance(v, Variable):
            v = convert_to_tensor(v)
        if layer.autocast and isinstance(v, Tensor) and v.dtype.is_floating and \
                v.dtype != target and target.is_floating:
            v2 = cast(v, target)
            mask = get_keras_mask(v)
            if mask is not None:
                set_keras_mask(v2, mask)
            v = v2
        return v
    return nest.map_structure(conv, x)


def _shapes_of(inputs):
    if nest.is_nested(inputs):
        return nest.map_structure(_shape_tuple, inputs)
    return _shape_tuple(inputs)


def _is_shape(shape):
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer))
                                                    for d in shape)



_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))


def _capture_init_arguments(cls, args, kwargs):
    """Keras 3's automatic config: the constructor's arguments with their defaults (variadic
    keywords spread out, `name` left to get_config) when every value is a plain str, int, float,
    bool or None (possibly inside lists, tuples and dicts); else None. A constructor taking
    positional-only or variadic positional arguments gets `_POSITIONAL_ARGS` instead."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind == p.POSITIONAL_ONLY for p in params[1:]):
        return _POSITIONAL_ARGS
    bound.apply_defaults()
    config = dict(bound.arguments)
    config.pop(params[0].name)
    for p in params:
        if p.kind == p.VAR_KEYWORD:
            config.update(config.pop(p.name, {}))
        elif p.kind == p.VAR_POSITIONAL and config.pop(p.name, ()):
            return _POSITIONAL_ARGS
    config.pop("name", None)
    if not all(isinstance(v, _AUTO_CONFIG_TYPES) for v in nest.flatten(list(config.values()))):
        return None
    return config


_POSITIONAL_ARGS = "positional"   # marker: the constructor took positional-only / *args values


def _layer_path_parts():
    parts = getattr(_local, "path_parts", None)
    if parts is None:
        parts = _local.path_parts = []
    return parts


def current_path():
    """The Keras path of the layer calls being run now (`outer/inner`), '' outside any."""
    parts = _layer_path_parts()
    return parts[-1] if parts else ""


@contextlib.contextmanager
def layer_path_scope(layer):
    """Run a layer's call (or build) under its Keras path: the enclosing layer's path (fixed on
    the layer's first call, as Keras 3 fixes `_parent_path`) joined with the layer's name."""
    parent = getattr(layer, "_parent_path", None)
    if parent is None:
        parent = current_path()
        layer._parent_path = parent
    parts = _layer_path_parts()
    parts.append(f"{parent}/{layer.name}" if parent else layer.name)
    try:
        yield
    finally:
        parts.pop()


def serialize(layer):
    """`keras.layers.serialize(layer)`: the layer's `{"module", "class_name", "config",
    "registered_name"}` dict (`keras.saving.serialize_keras_object`).

    >>> config = tf.keras.layers.serialize(tf.keras.layers.Dense(3, name="d"))
    >>> config["class_name"], config["config"]["units"]
    ('Dense', 3)
    """
    from ..saving.serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """`keras.layers.deserialize(config, custom_objects=None)`: a new layer (or model) from
    `serialize`'s dict.

    >>> layer = tf.keras.layers.deserialize(tf.keras.layers.serialize(tf.keras.layers.Dense(3)))
    >>> type(layer).__name__, layer.units
    ('Dense', 3)
    """
    from ..saving.serialization import deserialize_keras_object
    from .layer import Layer
    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError("`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    return obj


def refine_output_shapes(layer, inputs, outputs):
    """Give graph `outputs` of `layer` every dim its `compute_output_shape` knows and tracing
    lost (a reshape to a runtime shape, say), as Keras 3's static shapes keep them. Only layers
    that override `compute_output_shape` are asked; dims are only ever filled in, never
    changed, and a shape function that fails or disagrees in rank is ignored."""
    from .layer import Layer
    if type(layer).compute_output_shape is Layer.compute_output_shape or \
            getattr(_local, "refining", False):
        return
    flat = nest.flatten(outputs)
    if not any(hasattr(t, "set_shape") and t.shape.rank is not None and
               None in t.shape.as_list() for t in flat):
        return
    _local.refining = True   # (a compute_output_shape that traces `call` must not recurse here)
    try:
        shapes = layer.compute_output_shape(_shapes_of(inputs))
    except Exception:  # noqa: BLE001  (the traced shape stays; the shape function is a hint)
        return
    finally:
        _local.refining = False
    if len(flat) == 1 and _is_shape_like(shapes):
        shapes = [shapes]
    elif isinstance(shapes, dict) or not isinstance(shapes, (list, tuple)):
        return
    if len(shapes) != len(flat):
        return
    for t, shape in zip(flat, shapes):
        if not hasattr(t, "set_shape") or not _is_shape_like(shape) or t.shape.rank is None:
            continue
        dims = t.shape.as_list()
        if len(dims) != len(shape):
            continue
        known = [d if d is not None else (None if s is None else int(s))
                 for d, s in zip(dims, shape)]
        if known != dims:
            t.set_shape(known)


def _is_shape_like(shape):
    return isinstance(shape, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in shape)
