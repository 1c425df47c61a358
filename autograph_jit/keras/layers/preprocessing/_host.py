"""Host steps of the preprocessing layers: a NumPy function over one tensor, run through
`tf.numpy_function` (a host op by design: inside a compiled function `explain()` lists it as a
host callback), keeping the input's static shape (or the one given)."""
import numpy as np

from .... import dtypes
from ....py_function import numpy_function
from ....string_tensor import StringTensor
from ....tensor import EagerTensor

__all__ = ["host_map", "to_bytes"]


def to_bytes(arr):
    """An object array of bytes from NumPy strings, numbers or bytes."""
    arr = np.asarray(arr)
    if arr.dtype == object:
        return np.vectorize(lambda v: v.encode("utf-8") if isinstance(v, str) else v,
                            otypes=[object])(arr) if arr.size else arr
    if arr.dtype.kind == "U":
        return np.vectorize(lambda v: v.encode("utf-8"), otypes=[object])(arr)
    return arr


def host_map(fn, x, out_dtype, shape=None):
    """`fn(numpy array) -> numpy array` as a host op on tensor `x`; the result has `x`'s static
    shape unless `shape` (a list with None for unknown dims) is given."""
    out_dtype = dtypes.as_dtype(out_dtype)
    if isinstance(x, EagerTensor):
        value = fn(np.asarray(x.numpy()) if x.dtype is not dtypes.string else x._value)
        if out_dtype is dtypes.string:
            return StringTensor(value)
        return EagerTensor(np.asarray(value, out_dtype.np_dtype), out_dtype)
    y = numpy_function(lambda a: np.asarray(fn(a), out_dtype.np_dtype
                                             if out_dtype is not dtypes.string else object),
                       [x], out_dtype, stateful=False)
    if hasattr(y, "set_shape"):
        y.set_shape(x.shape if shape is None else shape)
    return y
