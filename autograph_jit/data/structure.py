"""Dataset elements: nested structures of components, their specs, and the user-facing tensors.

Inside a pipeline an element is a *flat tuple of NumPy arrays* (one per component, in
`tf.nest.flatten` order); `element_spec` is the same nesting with a `tf.TensorSpec` per
component. Users see `tf.Tensor`s: every component becomes an EagerTensor, bytes components
one of dtype tf.string (as `tf.constant("a")` makes).

Strings: a `tf.string` component is held as a NumPy object array of `bytes` (text lines, TFRecord
payloads, serialized `tf.train.Example`s); its tensor prints as TF's
(`tf.Tensor(b'a', shape=(), dtype=string)`) and `.numpy()` gives bytes for a scalar.
"""

from .. import nest
from ..errors import HostOnlyError, InvalidArgumentError
# (string tensors and component conversion live one level down, shared with tf.io and tf.sparse)
from ..string_tensor import as_array, wrap
from ..tensor_shape import TensorShape
from ..tracing.signature import TensorSpec

__all__ = ["HostOnlyError", "normalize", "spec_of", "to_user", "flat_specs",
           "as_array", "wrap", "check_compatible", "most_specific"]


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
    for s, a in zip(nest.flatten(spec), flat):
        shape = TensorShape(a.shape)
        if not s.shape.is_compatible_with(shape):
            raise InvalidArgumentError(f"{what}: a component has shape {shape}, which is not "
                                       f"compatible with the expected {s}")


def most_specific(a, b):
    """The spec compatible with both `a` and `b` (dims that differ become None)."""
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
            raise InvalidArgumentError(f"{what}: expected {s}, got dtype {dt.name}")
        out.append(arr)
    return tuple(out)

