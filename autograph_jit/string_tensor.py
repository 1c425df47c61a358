"""String tensors and host components: `StringTensor` (an eager `tf.string` tensor over a NumPy
object array of bytes) and the conversion of one value to and from a NumPy component array
(`as_array`, `wrap`).

Shared by tf.data (dataset elements), tf.io (parsing, serialization) and tf.sparse, which sit
beside each other in the api layer: keeping it in none of them keeps imports one way
(data -> io -> sparse -> here).

Strings: autograph_jit has no string ops, so a `tf.string` value is held as a NumPy object array
of `bytes` (text lines, TFRecord payloads, serialized `tf.train.Example`s). `StringTensor` wraps
it with TF's printing (`tf.Tensor(b'a', shape=(), dtype=string)`) and `.numpy()` (bytes for a
scalar); `tf.io.parse_*` and the readers accept it.
"""
import numpy as np

from . import dtypes
from .tensor import string_array, EagerTensor, Tensor, convert_to_tensor, numpy_text

__all__ = ["StringTensor", "as_array", "wrap"]


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
    """An object array of bytes (str is UTF-8 encoded, as TF does): tensor.string_array."""
    return string_array(value)


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
        arr = string_array(value)
        return arr, dtypes.string
    elif hasattr(value, "_as_tensor"):
        t = value._as_tensor()
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if dtype is not None and t.dtype != dtypes.as_dtype(dtype):
        raise TypeError(f"expected dtype {dtypes.as_dtype(dtype).name}, got {t.dtype.name}")
    return t._value, t.dtype


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
