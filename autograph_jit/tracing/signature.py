"""Call signatures: the cache key of a call, its tensor leaves, and why a new trace was needed.

TF2's rules: tensors (and NumPy arrays) by dtype and shape; Variables and other objects by
identity; Python scalars, strings, None and other hashable values by value; lists, tuples and
dicts structurally. The key is a nested tuple; `describe_change` compares two keys and names the
first argument that differs (JAX-style miss explanation).
"""
import numpy as np

from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from ..variables import Variable
from .. import dtypes

__all__ = ["TensorSpec", "call_key", "describe_change", "relax", "spec_of_key"]


class TensorSpec:
    """TF's `tf.TensorSpec(shape, dtype=tf.float32, name=None)`; None dims accept any size.

    >>> spec = tf.TensorSpec([None, 3], tf.float32, name='x')
    >>> spec
    TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')
    >>> spec.is_compatible_with(tf.ones([5, 3]))
    True
    >>> spec.is_compatible_with(tf.ones([5, 4]))
    False
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, value):
        dtype = getattr(value, "dtype", None)
        shape = getattr(value, "shape", None)
        return dtype == self.dtype and shape is not None and \
            self.shape.is_compatible_with(TensorShape(shape))

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and self.shape == other.shape and \
            self.dtype == other.dtype

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"


def _tensor_key(dtype, shape):
    return ("tensor", dtype.name, shape.as_tuple() if shape.rank is not None else None)


_NAN = float("nan")  # every NaN argument keys as this one object (equal to itself by identity)


def call_key(value, tensors, holders):
    """The cache key of one argument; tensor leaves are appended to `tensors` in order and
    objects keyed by identity to `holders` (kept alive so their ids stay unique)."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return _tensor_key(value.dtype, value.shape)
    if isinstance(value, np.ndarray):
        t = convert_to_tensor(value)
        tensors.append(t)
        return _tensor_key(t.dtype, t.shape)
    if isinstance(value, Variable):
        holders.append(value)
        return ("variable", id(value), value.dtype.name, value.shape.as_tuple())
    if isinstance(value, TensorSpec):  # get_concrete_function(TensorSpec(...))
        tensors.append(value)
        return _tensor_key(value.dtype, value.shape)
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__ if not hasattr(value, "_fields") else "namedtuple"
        return (kind, tuple(call_key(v, tensors, holders) for v in value))
    if isinstance(value, dict):
        keys = sorted(value, key=repr)
        return ("dict", tuple((k, call_key(value[k], tensors, holders)) for k in keys))
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic)):
        if isinstance(value, (float, np.floating)) and (value != value or value == 0):
            # NaN != NaN (a new trace every call) and 0.0 == -0.0 (1 / x differs): one key each
            return ("py", type(value).__name__, _NAN if value != value else value,
                    np.signbit(value))
        return ("py", type(value).__name__, value)
    try:
        hash(value)
        hashable = type(value).__hash__ is not object.__hash__
    except TypeError:
        hashable = False
    if hashable:
        return ("value", type(value).__name__, value)
    holders.append(value)
    return ("object", id(value), type(value).__name__)


def spec_of_key(key):
    """A TensorSpec for a tensor key (used to create graph parameters)."""
    _, dtype, dims = key
    return TensorSpec(dims, dtypes.as_dtype(dtype))


def relax(old, new):
    """The most specific key matching both (tensor dims that differ become None), or None."""
    if old == new:
        return old
    if old[0] == "tensor" and new[0] == "tensor":
        if old[1] != new[1] or old[2] is None or new[2] is None or len(old[2]) != len(new[2]):
            return None
        return ("tensor", old[1], tuple(a if a == b else None for a, b in zip(old[2], new[2])))
    if old[0] != new[0] or old[0] == "py" or old[0] == "value" or old[0] in ("object",
                                                                             "variable"):
        return None
    if old[0] == "dict":
        if [k for k, _ in old[1]] != [k for k, _ in new[1]]:
            return None
        parts = [relax(a, b) for (_, a), (_, b) in zip(old[1], new[1])]
        if any(p is None for p in parts):
            return None
        return ("dict", tuple((k, p) for (k, _), p in zip(old[1], parts)))
    if len(old[1]) != len(new[1]):
        return None
    parts = [relax(a, b) for a, b in zip(old[1], new[1])]
    if any(p is None for p in parts):
        return None
    return (old[0], tuple(parts))


def key_matches(general, specific):
    """Whether a call with key `specific` can use a trace made for `general` (None dims)."""
    if general == specific:
        return True
    if general[0] == "tensor" and specific[0] == "tensor":
        if general[1] != specific[1] or general[2] is None:
            return general[1] == specific[1]
        if specific[2] is None or len(general[2]) != len(specific[2]):
            return False
        return all(g is None or g == s for g, s in zip(general[2], specific[2]))
    if general[0] != specific[0] or general[0] in ("py", "value", "object", "variable", "spec"):
        return False
    if general[0] == "dict":
        return [k for k, _ in general[1]] == [k for k, _ in specific[1]] and all(
            key_matches(a, b) for (_, a), (_, b) in zip(general[1], specific[1]))
    return len(general[1]) == len(specific[1]) and all(
        key_matches(a, b) for a, b in zip(general[1], specific[1]))


def _show(key):
    kind = key[0]
    if kind == "tensor":
        dims = "?" if key[2] is None else ",".join("?" if d is None else str(d) for d in key[2])
        return f"tensor {key[1]}[{dims}]"
    if kind == "py":
        return f"Python {key[1]} {key[2]!r}"
    if kind == "value":
        return f"{key[1]} {key[2]!r}"
    if kind == "variable":
        return f"tf.Variable at 0x{key[1]:x}"
    if kind == "object":
        return f"{key[2]} object at 0x{key[1]:x}"
    return kind


def describe_change(names, old_key, new_key):
    """'argument x: tensor float32[3] -> tensor float32[4]' for the first differing argument."""
    def walk(a, b, path):
        if a == b:
            return None
        if a[0] == b[0] and a[0] in ("list", "tuple", "namedtuple") and len(a[1]) == len(b[1]):
            for i, (x, y) in enumerate(zip(a[1], b[1])):
                got = walk(x, y, f"{path}[{i}]")
                if got:
                    return got
        if a[0] == b[0] == "dict" and [k for k, _ in a[1]] == [k for k, _ in b[1]]:
            for (k, x), (_, y) in zip(a[1], b[1]):
                got = walk(x, y, f"{path}[{k!r}]")
                if got:
                    return got
        return path, _show(a), _show(b)

    for name, a, b in zip(names, old_key, new_key):
        got = walk(a, b, name)
        if got:
            return got
    return None


def has_unknown_dims(key):
    """Whether a key holds a tensor with None dims (a trace that accepts several shapes)."""
    if key[0] == "tensor":
        return key[2] is None or any(d is None for d in key[2])
    if key[0] in ("list", "tuple", "namedtuple"):
        return any(has_unknown_dims(k) for k in key[1])
    if key[0] == "dict":
        return any(has_unknown_dims(k) for _, k in key[1])
    return False
