"""`tf.sparse` (minimal): `SparseTensor` (indices, values, dense_shape) and `to_dense`, enough
for `tf.io.VarLenFeature` results."""
import numpy as np

from . import dtypes
from .errors import HostOnlyError, InvalidArgumentError
from .string_tensor import string_tensor
from .tensor import EagerTensor, Tensor, convert_to_tensor
from .tensor_shape import TensorShape

__all__ = ["SparseTensor", "to_dense", "from_dense"]


def _eager(x, dtype=None):
    if isinstance(x, EagerTensor):
        return x
    if isinstance(x, Tensor):
        raise HostOnlyError("tf.sparse here works on eager values only; got a symbolic tensor.")
    if dtype is dtypes.string or (isinstance(x, np.ndarray) and x.dtype == object):
        return string_tensor(x)
    return convert_to_tensor(x, dtype=dtype)


class SparseTensor:
    """TF's `tf.sparse.SparseTensor(indices, values, dense_shape)`: int64 `indices` [N, rank],
    `values` [N], int64 `dense_shape` [rank].

    >>> sp = tf.sparse.SparseTensor(indices=[[0, 1]], values=[5], dense_shape=[2, 3])
    >>> tf.sparse.to_dense(sp).numpy()
    array([[0, 5, 0],
           [0, 0, 0]], dtype=int32)
    """

    def __init__(self, indices, values, dense_shape):
        self.indices = _eager(np.asarray(indices, dtype=np.int64).reshape(-1, len(dense_shape))
                              if not isinstance(indices, Tensor) else indices, dtypes.int64)
        self.values = _eager(values)
        self.dense_shape = _eager(np.asarray(dense_shape, dtype=np.int64)
                                  if not isinstance(dense_shape, Tensor) else dense_shape,
                                  dtypes.int64)
        n = self.indices.shape[0]
        if self.values.shape.rank != 1 or self.values.shape[0] != n:
            raise InvalidArgumentError(f"SparseTensor: values must be a vector of {n} entries "
                                       f"(one per index row), got shape {self.values.shape}")

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def shape(self):
        return TensorShape([int(d) for d in self.dense_shape.numpy()])

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices}, values={self.values}, "
                f"dense_shape={self.dense_shape})")


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """TF's `tf.sparse.to_dense`: the dense tensor, `default_value` (0 / b"") elsewhere.

    >>> sp = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[2, 3])
    >>> tf.sparse.to_dense(sp).numpy()
    array([[1., 0., 0.],
           [0., 0., 2.]], dtype=float32)
    """
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"tf.sparse.to_dense expects a SparseTensor, got "
                        f"{type(sp_input).__name__}")
    shape = tuple(int(d) for d in sp_input.dense_shape.numpy())
    values = sp_input.values._value
    if sp_input.dtype is dtypes.string:
        fill = b"" if default_value is None else default_value
        out = np.empty(shape, dtype=object)
        out.fill(fill.encode() if isinstance(fill, str) else fill)
    else:
        out = np.full(shape, 0 if default_value is None else default_value,
                      dtype=sp_input.dtype.np_dtype)
    idx = sp_input.indices._value
    if idx.size:
        out[tuple(idx.T)] = values
    return _eager(out, sp_input.dtype)


def from_dense(tensor, name=None):
    """TF's `tf.sparse.from_dense`: the non-zero (non-empty) entries of `tensor`.

    >>> sp = tf.sparse.from_dense([[0, 5], [3, 0]])
    >>> sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()
    ([[0, 1], [1, 0]], [5, 3], [2, 2])
    """
    t = _eager(tensor)
    arr = t._value
    mask = arr != (b"" if arr.dtype == object else 0)
    idx = np.argwhere(mask).astype(np.int64)
    return SparseTensor(idx, _eager(arr[mask], t.dtype), np.asarray(arr.shape, np.int64))
