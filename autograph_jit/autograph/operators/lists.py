"""`list.append` in converted code, and the TensorArray a Python list becomes when a graph loop
appends tensors to it (TF silently needs `tf.TensorArray` there; we switch for the user)."""
from ...ops.tensor_array import TensorArray
from ...ops import math_ops


class ListTensorArray(TensorArray):
    """A Python list carried through a graph loop: a dynamically sized TensorArray that still
    reads like a list (`l[i]`, `len(l)` in converted code, `tf.stack(l)`)."""

    def _with_buffer(self, buffer):
        new = super()._with_buffer(buffer)
        new.__class__ = ListTensorArray
        return new

    def __getitem__(self, index):
        if isinstance(index, int):
            return self.read(self.size() + index if index < 0 else index)
        size = self.size()
        index = math_ops.cast(index, size.dtype)
        return self.read(math_ops.where(index < 0, index + size, index))

    def _as_tensor(self):
        """`tf.convert_to_tensor(l)`, `tf.reduce_sum(l)`, ...: the stacked elements, as a Python
        list of tensors converts."""
        return self.stack()

    def __repr__(self):
        return f"<list staged as tf.TensorArray dtype={self.dtype.name}>"


def from_list(items, dtype, element_shape):
    """A ListTensorArray holding the tensors of `items` (the list before the loop)."""
    ta = ListTensorArray(dtype, size=0, dynamic_size=True, element_shape=element_shape)
    for i, x in enumerate(items):
        ta.write(i, x)
    return ta


def list_append(target, value):
    """`target.append(value)`; returns target (a TensorArray gets a write at its end)."""
    if isinstance(target, TensorArray):
        return target.write(target.size(), value)
    target.append(value)
    return target
