"""String tensors and host components: `string_tensor` (an eager `tf.string` tensor from bytes)
and the conversion of one value to and from a NumPy component array (`as_array`, `wrap`).

Shared by tf.data (dataset elements), tf.io (parsing, serialization) and tf.sparse, which sit
beside each other in the api layer: keeping it in none of them keeps imports one way
(data -> io -> sparse -> here).

Strings: a `tf.string` value is an ordinary EagerTensor of dtype tf.string over a NumPy object
array of `bytes` (text lines, TFRecord payloads, serialized `tf.train.Example`s), the same type
`tf.constant("a")` makes: TF's printing (`tf.Tensor(b'a', shape=(), dtype=string)`), `.numpy()`
(bytes for a scalar), tf.strings ops; `tf.io.parse_*` and the readers accept it.
"""
import numpy as np

from . import dtypes
from .tensor import EagerTensor, Tensor, convert_to_tensor, string_array

__all__ = ["string_tensor", "as_array", "wrap"]


def string_tensor(value):
    """An eager `tf.string` tensor (an EagerTensor of dtype tf.string) over `value`'s bytes.

    Args:
      value: bytes or str (UTF-8 encoded), nested lists of them, or a NumPy str/bytes/object
        array.
    Returns:
      An EagerTensor of dtype tf.string holding a read-only NumPy object array of bytes; made
      eagerly even while a function is traced (tf.data and tf.io values are host values).

    >>> string_tensor([b"a", "b"])
    <tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'b'], dtype=object)>
    """
    return EagerTensor(string_array(value), dtypes.string)


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
    if type(value).__name__ == "SparseTensor":
        raise TypeError("A dataset element cannot hold a tf.sparse.SparseTensor here; convert "
                        "it inside the map function with tf.sparse.to_dense(...).")
    if type(value).__name__ == "RaggedTensor" and value.ragged_rank and \
            len(set(np.diff(value.row_splits.numpy()).tolist())) > 1:
        raise TypeError("A dataset element cannot hold a tf.RaggedTensor with rows of "
                        "different lengths here; convert it inside the map function with "
                        "rt.to_tensor() (padded), or map before batching (padded_batch).")
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
    t = EagerTensor.__new__(EagerTensor)
    if arr.dtype != dtype.np_dtype:
        arr = arr.astype(dtype.np_dtype)
    if arr.flags.writeable:
        arr.flags.writeable = False
    t._value = arr
    t.dtype = dtype
    return t
