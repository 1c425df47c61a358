"""`tf.io.serialize_tensor` / `tf.io.parse_tensor`: a tensor to and from a serialized
`tensorflow.TensorProto` (dtype, shape, little-endian `tensor_content`; `string_val` for
strings), the bytes TF writes."""
import numpy as np

from .. import dtypes
from ..errors import HostOnlyError, InvalidArgumentError
from ..string_tensor import as_array, string_tensor, wrap
from ..tensor import EagerTensor, Tensor, convert_to_tensor

__all__ = ["serialize_tensor", "parse_tensor"]


def _eager(tensor):
    if isinstance(tensor, EagerTensor):
        return tensor
    if isinstance(tensor, Tensor):
        raise HostOnlyError("tf.io.serialize_tensor works on eager tensors here; call it in "
                            "Dataset.map (which then runs eagerly) or outside tf.function.")
    arr, dt = as_array(tensor)
    return wrap(arr, dt)


def serialize_tensor(tensor, name=None):
    """The serialized TensorProto of `tensor`, as a scalar tf.string tensor.

    >>> data = tf.io.serialize_tensor(tf.constant([1.0, 2.0]))
    >>> tf.io.parse_tensor(data, tf.float32).numpy()
    array([1., 2.], dtype=float32)
    """
    from .protos import TensorProto
    t = _eager(tensor) if not isinstance(tensor, (int, float, list)) else convert_to_tensor(
        tensor)
    arr = t._value
    proto = TensorProto(dtype=t.dtype.as_datatype_enum)
    for d in arr.shape:
        proto.tensor_shape.dim.add(size=int(d))
    if t.dtype is dtypes.string:
        proto.string_val.extend(bytes(v) for v in arr.reshape(-1))
    else:
        proto.tensor_content = np.ascontiguousarray(arr).astype(
            arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return string_tensor(np.array(proto.SerializeToString(), dtype=object))


def parse_tensor(serialized, out_type, name=None):
    """The tensor in a serialized TensorProto; `out_type` must be its dtype.

    >>> data = tf.io.serialize_tensor(tf.constant([[1, 2]]))
    >>> tf.io.parse_tensor(data, out_type=tf.int32).numpy()
    array([[1, 2]], dtype=int32)
    """
    from .protos import TensorProto
    out_type = dtypes.as_dtype(out_type)
    if isinstance(serialized, Tensor) and not isinstance(serialized, EagerTensor):
        raise HostOnlyError("tf.io.parse_tensor works on eager string tensors here; call it in "
                            "Dataset.map (which then runs eagerly) or outside tf.function.")
    data = serialized._value[()] if isinstance(serialized, EagerTensor) else serialized
    if isinstance(data, np.ndarray):
        data = data[()]
    try:
        proto = TensorProto.FromString(bytes(data))
    except Exception as e:  # protobuf's DecodeError
        raise InvalidArgumentError(f"parse_tensor: could not parse a TensorProto ({e})") from None
    try:
        actual = dtypes.as_dtype(proto.dtype).name
    except TypeError:
        actual = dtypes.DATATYPE_ENUM_NAMES.get(proto.dtype, proto.dtype)
    if actual != out_type.name:
        raise InvalidArgumentError(f"Type mismatch between parsed tensor ({actual}) and dtype "
                                   f"({out_type.name})")
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    n = int(np.prod(shape)) if shape else 1
    if out_type is dtypes.string:
        vals = list(proto.string_val)
        arr = np.empty(n, dtype=object)
        arr[:] = vals if len(vals) == n else (vals * n)[:n]
        return wrap(arr.reshape(shape), out_type)
    np_t = np.dtype(out_type.np_dtype).newbyteorder("<")
    if proto.tensor_content:
        arr = np.frombuffer(proto.tensor_content, dtype=np_t)
    else:  # the typed repeated fields (TF fills these for small tensors made in Python)
        field = {"float32": "float_val", "float64": "double_val", "int64": "int64_val",
                 "bool": "bool_val", "float16": "half_val"}.get(out_type.name, "int_val")
        vals = list(getattr(proto, field))
        if out_type is dtypes.float16:
            arr = np.asarray(vals, np.uint16).view(np.float16)
        else:
            arr = np.asarray(vals, dtype=out_type.np_dtype)
        if arr.size == 1 and n > 1:
            arr = np.repeat(arr, n)
    if arr.size != n:
        raise InvalidArgumentError(f"parse_tensor: {arr.size} values for shape {list(shape)}")
    return wrap(arr.astype(out_type.np_dtype).reshape(shape), out_type)
