"""Helpers of the Layer base class: Keras auto-naming, Keras masks attached to tensors, the
`training` value of the enclosing call, eager scopes for weight creation, dtype policies, and
input conversion."""
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
           "current_training"]

_local = threading.local()
_NAME_COUNTS = {}
_MASKS = {}
_BASE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights",
                "activity_regularizer", "autocast", "input_dtype")
# attributes never walked for sublayers/variables (bookkeeping that points at other layers)
_UNTRACKED = frozenset({"_inbound_nodes", "_outbound_nodes", "_call_signature_cache",
                        "_build_input_shape", "_functions", "history", "optimizer",
                        "_build_inputs",
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
    return isinstance(x, (Tensor, Variable, KerasTensor, np.ndarray))


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


def _is_serializable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_is_serializable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_serializable(x) for k, x in v.items())
    return False

