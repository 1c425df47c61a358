"""Dataset elements: nested structures of components, their specs, and the user-facing tensors.

Inside a pipeline an element is a *flat tuple of NumPy arrays* (one per component, in
`tf.nest.flatten` order); `element_spec` is the same nesting with a `tf.TensorSpec` per
component. Users see `tf.Tensor`s: numeric components become EagerTensors, bytes components
become `StringTensor`s.

Strings: autograph_jit has no string ops, so a `tf.string` component is held as a NumPy object
array of `bytes` (text lines, TFRecord payloads, serialized `tf.train.Example`s). `StringTensor`
wraps it with TF's printing (`tf.Tensor(b'a', shape=(), dtype=string)`) and `.numpy()`
(bytes for a scalar); `tf.io.parse_*` and the readers accept it.
"""
import numpy as np

from .. import dtypes, nest
from ..errors import HostOnlyError
from ..tensor import EagerTensor, Tensor, convert_to_tensor, numpy_text
from ..tensor_shape import TensorShape
from ..tracing.signature import TensorSpec

__all__ = ["StringTensor", "HostOnlyError", "normalize", "spec_of", "to_user", "flat_specs",
           "as_array", "wrap", "check_compatible", "most_specific"]


class StringTensor(EagerTensor):
    """An eager `tf.string` tensor: a read-only NumPy object array of `bytes`.

    >>> ds = tf.data.Dataset.from_tensor_slices([b"a", b"b"])
    >>> next(iter(ds))   # tf.Tensor(b'a', shape=(), dtype=string)
    """

    __slots__ = ()

    def __init__(self, value, dtype=None):
        arr = _bytes_array(value)
        arr.flags.writeable = False
        self._value = arr
        self.dtype = dtypes.string

    def __str__(self):
        return "tf.Tensor(%s, shape=%s, dtype=string)" % (numpy_text(self._value), self.shape)

    def __repr__(self):
        return "<tf.Tensor: shape=%s, dtype=string, numpy=%s>" % (
            self.shape, numpy_text(self._value, is_repr=True))

    def __bool__(self):
        raise TypeError("The truth value of a string tensor is ambiguous.")

    def __reduce__(self):
        return StringTensor, (self._value,)


def _bytes_array(value):
    """An object array of bytes (str is UTF-8 encoded, as TF does)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        arr = value
    else:
        arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode("utf-8")
        elif isinstance(v, np.bytes_):
            flat[i] = bytes(v)
        elif not isinstance(v, bytes):
            raise TypeError(f"A tf.string value must hold bytes or str, got {type(v).__name__} "
                            f"({v!r})")
    return arr


def _is_string_value(v):
    if isinstance(v, (str, bytes)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "SUO" and v.size > 0 and isinstance(
            v.reshape(-1)[0], (str, bytes, np.str_, np.bytes_))
    if isinstance(v, (list, tuple)):
        flat = list(_flatten_list(v))
        return bool(flat) and all(isinstance(x, (str, bytes)) for x in flat)
    return False


def _flatten_list(v):
    for x in v:
        if isinstance(x, (list, tuple)):
            yield from _flatten_list(x)
        else:
            yield x


def as_array(value, dtype=None):
    """One component as a NumPy array with TF's conversion rules (Python float -> float32,
    int -> int32, NumPy keeps its dtype, str/bytes -> tf.string object array)."""
    if isinstance(value, StringTensor):
        return value._value, dtypes.string
    if type(value).__name__ == "SparseTensor":
        raise TypeError("A dataset element cannot hold a tf.sparse.SparseTensor here; convert "
                        "it inside the map function with tf.sparse.to_dense(...).")
    if isinstance(value, EagerTensor):
        t = value
    elif isinstance(value, Tensor):
        raise TypeError(f"A dataset element must be an eager value, got the symbolic {value!r}")
    elif (dtype is not None and dtypes.as_dtype(dtype) is dtypes.string) or \
            _is_string_value(value):
        arr = _bytes_array(np.asarray(value).astype(object) if isinstance(value, np.ndarray)
                           else value)
        return arr, dtypes.string
    elif hasattr(value, "_as_tensor"):
        t = value._as_tensor()
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if dtype is not None and t.dtype != dtypes.as_dtype(dtype):
        raise TypeError(f"expected dtype {dtypes.as_dtype(dtype).name}, got {t.dtype.name}")
    return t._value, t.dtype


def normalize(value):
    """(element_spec, flat arrays) for a user value (nested tuples/dicts/lists of values).

    A Python list at the top level is one component (a tensor), as TF converts lists."""
    structure = _structure_of(value)
    leaves = nest.flatten(structure)
    arrays = []
    specs = []
    for leaf in leaves:
        arr, dt = as_array(leaf.value)
        arrays.append(arr)
        specs.append(TensorSpec(arr.shape, dt))
    return nest.pack_sequence_as(structure, specs), tuple(arrays)


def _structure_of(value):
    """TF treats tuples, dicts and namedtuples as structure; lists are values (tensors)."""
    if isinstance(value, dict):
        return type(value)((k, _structure_of(v)) for k, v in value.items())
    if isinstance(value, tuple):
        children = [_structure_of(v) for v in value]
        return type(value)(*children) if hasattr(value, "_fields") else tuple(children)
    return _Leaf(value)


class _Leaf:
    """Keeps a list value a single leaf while walking the structure."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def flat_specs(spec):
    return nest.flatten(spec)


def spec_of(arr, dtype):
    return TensorSpec(arr.shape, dtype)


def wrap(arr, dtype):
    """A user-facing tensor over a component array (no copy)."""
    if type(arr) is not np.ndarray:
        arr = np.asarray(arr)
    if dtype is dtypes.string:
        t = StringTensor.__new__(StringTensor)
    else:
        t = EagerTensor.__new__(EagerTensor)
        if arr.dtype != dtype.np_dtype:
            arr = arr.astype(dtype.np_dtype)
    if arr.flags.writeable:
        arr.flags.writeable = False
    t._value = arr
    t.dtype = dtype
    return t


class DatasetSpec:
    """TF's `tf.data.DatasetSpec`: a component that is itself a dataset (`window`).

    >>> ds = tf.data.Dataset.range(3)
    >>> spec = tf.data.DatasetSpec(ds.element_spec)
    >>> spec.element_spec
    TensorSpec(shape=(), dtype=tf.int64, name=None)
    """

    def __init__(self, element_spec):
        self.element_spec = element_spec
        self.dtype = None

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and other.element_spec == self.element_spec

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"


def to_user(spec, flat):
    """The element as the user sees it: `spec`'s nesting of tensors."""
    specs = nest.flatten(spec)
    tensors = [a if isinstance(s, DatasetSpec) else wrap(a, s.dtype)
               for a, s in zip(flat, specs)]
    return nest.pack_sequence_as(spec, tensors)


def to_numpy(spec, flat):
    """The element for `as_numpy_iterator`: arrays, Python bytes for scalar strings."""
    out = []
    for a in flat:
        out.append(a[()] if a.ndim == 0 else a.copy() if a.dtype != object else a.copy())
    return nest.pack_sequence_as(spec, out)


def check_compatible(spec, flat, what):
    """Raise InvalidArgumentError when a produced element does not match `spec`."""
    from ..ops.opdef import InvalidArgumentError
    for s, a in zip(nest.flatten(spec), flat):
        shape = TensorShape(a.shape)
        if not s.shape.is_compatible_with(shape):
            raise InvalidArgumentError(f"{what}: a component has shape {shape}, which is not "
                                       f"compatible with the expected {s}")


def most_specific(a, b):
    """The spec compatible with both `a` and `b` (dims that differ become None)."""
    from ..ops.opdef import InvalidArgumentError
    fa, fb = nest.flatten(a), nest.flatten(b)
    out = []
    for x, y in zip(fa, fb):
        if x.dtype != y.dtype:
            raise InvalidArgumentError(f"incompatible dtypes {x.dtype.name} and {y.dtype.name}")
        out.append(TensorSpec(x.shape.most_specific_compatible_shape(y.shape), x.dtype))
    return nest.pack_sequence_as(a, out)


def unbatched_spec(spec):
    return TensorSpec(TensorShape(spec.shape.as_list()[1:]) if spec.shape.rank else None,
                      spec.dtype)


def batched_spec(spec, size):
    dims = [size] + (spec.shape.as_list() if spec.shape.rank is not None else [])
    return TensorSpec(dims if spec.shape.rank is not None else None, spec.dtype)


def user_to_flat(spec, value, what):
    """Flatten a value a user function returned, checked against `spec`'s structure."""
    nest.assert_same_structure(spec, value)
    out = []
    for s, v in zip(nest.flatten(spec), nest.flatten(value)):
        arr, dt = as_array(v)
        if dt != s.dtype:
            from ..ops.opdef import InvalidArgumentError
            raise InvalidArgumentError(f"{what}: expected {s}, got dtype {dt.name}")
        out.append(arr)
    return tuple(out)

