"""`tf.TensorArray`: a list of same-shaped tensors that works eagerly, in graphs and in loops.

The state of a TensorArray is one tensor, its *buffer*: the elements stacked along a new first
axis, so `stack()` is the buffer itself and a TensorArray crosses `tf.while_loop` / `tf.cond`
boundaries as that one tensor (control_ops flattens TensorArrays to buffers and rewraps them).

While the element shape is unknown (no `element_shape` given, nothing written yet) the buffer is
a rank-1 placeholder of `size` zeros; the first write of a non-scalar element replaces it by
zeros of shape `[size, *element.shape]`. A rank-1 buffer with a non-scalar element is therefore
always the placeholder, in the NumPy kernels as much as in the type rules.

`write` returns the TensorArray, as in TF, and also updates the Python object it was called on
when that object belongs to the graph being built: a `ta.write(i, x)` whose result is discarded is
not lost (TF silently drops it in graphs). Inside a `tf.cond` branch or loop body, a TensorArray of
the enclosing graph is not mutated (one branch's writes must not leak into the other); AutoGraph
turns such discarded writes into assignments.

Ops: `tensor_array_write(buffer, index, value)` and `tensor_array_read(buffer, index)`; each is
the other's gradient. Indices are checked at run time: an out-of-range read raises, a write past
the end raises unless `dynamic_size=True`, which grows the buffer.
"""
import weakref

import numpy as np

from .. import dtypes as _dtypes, nest
from ..ir.types import TensorType
from ..runtime import forksafe
from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape, as_shape
from ..errors import InvalidArgumentError
from .opdef import apply, defop
from ..tracing import context

__all__ = ["TensorArray", "to_buffers", "from_buffers"]


# ----------------------------------------------------------------------------------------------
# ops
# ----------------------------------------------------------------------------------------------


def _element_of(buffer_shape, value_shape):
    """The element shape a buffer of `buffer_shape` holds, given an element of `value_shape`
    (None while either is unknown)."""
    if buffer_shape.rank is None:
        return None
    if value_shape.rank is not None and value_shape.rank > 0 and buffer_shape.rank == 1:
        return None  # the placeholder
    return TensorShape(buffer_shape.as_tuple()[1:])


def _check_index(in_types, what):
    index = in_types[1]
    if index.dtype.name not in ("int32", "int64") or index.shape.rank not in (0, None):
        raise TypeError(f"TensorArray.{what}: index must be a scalar int32/int64, got {index}")


def _write_infer(in_types, dynamic_size):
    buf, _, value = in_types
    _check_index(in_types, "write")
    if buf.dtype is not value.dtype:
        raise TypeError(f"TensorArray.write: the array holds {buf.dtype.name} but the value is "
                        f"{value.dtype.name}. Fix: tf.cast the value to {buf.dtype.name}.")
    elem = _element_of(buf.shape, value.shape)
    if value.shape.rank is None and buf.shape.rank == 1:
        elem = None  # scalars, or the placeholder that a non-scalar value replaces
    if elem is not None and value.shape.rank is not None and not elem.is_compatible_with(
            value.shape):
        # (InvalidArgumentError, a ValueError: what the compiled write raises for it at run time)
        raise InvalidArgumentError(f"TensorArray.write: the array holds elements of shape {elem} "
                                   f"but the value has shape {value.shape}")
    merged = value.shape if elem is None else elem.merge_with(value.shape) \
        if value.shape.rank is not None else elem
    n = buf.shape.as_tuple()[0] if buf.shape.rank else None
    if merged.rank is None:
        return TensorType(buf.dtype, TensorShape(None))
    return TensorType(buf.dtype, TensorShape([None if dynamic_size else n, *merged.as_tuple()]))


def _write_kernel(buf, index, value, dynamic_size):
    index = int(index)
    value = np.asarray(value)
    n = buf.shape[0]
    if index < 0:
        raise InvalidArgumentError(f"TensorArray.write: index {index} is negative")
    if buf.ndim != value.ndim + 1:  # the placeholder: the first element fixes the shape
        buf = np.zeros((n,) + value.shape, buf.dtype)
    elif buf.shape[1:] != value.shape:
        raise InvalidArgumentError(
            f"TensorArray.write: could not write to TensorArray index {index}: the array holds "
            f"elements of shape {list(buf.shape[1:])} but the value has shape {list(value.shape)}")
    if index >= n:
        if not dynamic_size:
            raise InvalidArgumentError(
                f"TensorArray.write: tried to write to index {index} but the array is not "
                f"resizeable and its size is {n}. Fix: tf.TensorArray(..., dynamic_size=True).")
        return _grow(buf, index, value)
    buf = buf.copy()
    buf[index] = value
    return buf


# Appends in amortized O(1): a grown buffer is a prefix view of a larger array, and `_ends` maps
# that array to the length of its newest version. Appending to the newest version writes into
# the spare rows, which no earlier version can see (each is a shorter prefix); appending to an
# older version (a second history branching off) copies instead.
_ends = {}
_ends_lock = forksafe.Lock()  # two threads appending to one version: only one writes in place


def _grow(buf, index, value):
    n = buf.shape[0]
    base = buf.base
    if (index == n and type(base) is np.ndarray and base.shape[0] > n
            and base.shape[1:] == buf.shape[1:] and base.dtype == buf.dtype
            and buf.ctypes.data == base.ctypes.data):
        with _ends_lock:
            newest = _ends.get(id(base)) == n
            if newest:
                _ends[id(base)] = n + 1
        if newest:
            base[n] = value
            return base[:n + 1]
    base = np.zeros((max(index + 1, 2 * n, 4),) + value.shape, buf.dtype)
    base[:n] = buf
    base[index] = value
    key = id(base)
    _ends[key] = index + 1
    weakref.finalize(base, _ends.pop, key, None)
    return base[:index + 1]


def _write_vjp(c, g):
    from .array_ops import zeros_like
    index = c.inputs[1]
    value = c.inputs[2]
    from .array_ops import shape
    g_value = read(g, index)
    g_buf = write(g, index, zeros_like(value), dynamic_size=False)
    n_in = c.inputs[0].shape
    if n_in.rank is not None and g.shape.rank is not None and n_in.rank != g.shape.rank:
        return None, None, g_value  # the placeholder buffer carries no values
    if c.attrs["dynamic_size"]:  # the write may have grown the buffer
        g_buf = g_buf[:shape(c.inputs[0])[0]]
    return g_buf, None, g_value


def _read_infer(in_types):
    buf = in_types[0]
    _check_index(in_types, "read")
    if buf.shape.rank is None:
        return TensorType(buf.dtype, TensorShape(None))
    return TensorType(buf.dtype, TensorShape(buf.shape.as_tuple()[1:]))


def _read_kernel(buf, index):
    index = int(index)
    n = buf.shape[0]
    if not 0 <= index < n:
        raise InvalidArgumentError(
            f"TensorArray.read: index {index} is out of range for a TensorArray of size {n}")
    return buf[index]


def _read_vjp(c, g):
    from .array_ops import zeros_like
    return write(zeros_like(c.inputs[0]), c.inputs[1], g, dynamic_size=False), None


_write = defop("tensor_array_write", _write_infer, _write_kernel, vjp=_write_vjp,
               differentiable=(0, 2),
               doc="buffer with row `index` replaced by value (grows if dynamic_size).")
_read = defop("tensor_array_read", _read_infer, _read_kernel, vjp=_read_vjp, differentiable=(0,),
              doc="Row `index` of a TensorArray buffer, bounds-checked.")


def write(buffer, index, value, dynamic_size=False):
    return apply(_write, buffer, convert_to_tensor(index), value, dynamic_size=bool(dynamic_size))


def read(buffer, index):
    return apply(_read, buffer, convert_to_tensor(index))


# ----------------------------------------------------------------------------------------------
# the Python object
# ----------------------------------------------------------------------------------------------


class TensorArray:
    """TF's `tf.TensorArray(dtype, size=None, dynamic_size=None, clear_after_read=None,
    tensor_array_name=None, handle=None, flow=None, infer_shape=True, element_shape=None,
    colocate_with_first_write_call=True, name=None)`.

    >>> ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    >>> for i in range(3):
    ...     ta = ta.write(i, tf.cast(i, tf.float32) * 10)
    >>> ta.stack().numpy()
    array([ 0., 10., 20.], dtype=float32)
    >>> print(ta.read(1))
    tf.Tensor(10.0, shape=(), dtype=float32)
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None,
                 _buffer=None):
        from . import array_ops
        self._dtype = _dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._element_shape = as_shape(element_shape) if element_shape is not None else \
            TensorShape(None)
        self._infer_shape = infer_shape
        self._name = name or tensor_array_name or "TensorArray"
        if _buffer is not None:
            self._buffer = _buffer
            return
        if size is None:
            size = 0
        size_t = convert_to_tensor(size)
        if size_t.dtype.name not in ("int32", "int64") or size_t.shape.rank != 0:
            raise TypeError(f"TensorArray: size must be a scalar int, got {size!r}")
        if isinstance(size, int) and not isinstance(size, bool):
            if size < 0:
                raise ValueError(f"TensorArray: size must be >= 0, got {size}")
            elem = list(self._element_shape.as_tuple()) if \
                self._element_shape.is_fully_defined() else []
            self._buffer = array_ops.zeros([size] + elem, dtype=self._dtype)
            return
        if self._element_shape.is_fully_defined():
            dims = array_ops.concat([array_ops.reshape(size_t, [1]),
                                     array_ops.constant(list(self._element_shape.as_tuple()),
                                                        dtype=size_t.dtype)], 0)
        else:
            dims = array_ops.reshape(size_t, [1])
        self._buffer = array_ops.zeros(dims, dtype=self._dtype)

    # -- TF's API -------------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        elem = _element_of(self._buffer.shape, self._element_shape)
        if elem is None:
            return self._element_shape
        return elem

    @property
    def dynamic_size(self):
        return self._dynamic_size

    @property
    def flow(self):
        return self._buffer

    @property
    def handle(self):
        return self._buffer

    def size(self, name=None):
        from .array_ops import shape
        return shape(self._buffer)[0]

    def write(self, index, value, name=None):
        value = convert_to_tensor(value, dtype=self._dtype)
        if self._element_shape.rank is not None and not self._element_shape.is_compatible_with(
                value.shape):
            raise ValueError(f"TensorArray.write: element_shape is {self._element_shape} but the "
                             f"value has shape {value.shape}")
        return self._updated(write(self._buffer, index, value, self._dynamic_size))

    def read(self, index, name=None):
        return read(self._buffer, index)

    def __iter__(self):
        # Beyond TF (whose TensorArray is never iterable): a `for` over a TensorArray is a
        # graph loop in converted code, so eagerly it iterates too, the same elements.
        if getattr(self._buffer, "_is_symbolic", False):
            raise TypeError(
                "Iterating over a TensorArray in a graph works only in code AutoGraph converts "
                "(a `for` loop in a tf.function with autograph=True). Fix: loop with "
                "`for i in tf.range(ta.size()): x = ta.read(i)`, or use ta.stack().")
        return (self.read(i) for i in range(int(self._buffer.shape[0])))

    def stack(self, name=None):
        return self._buffer

    def gather(self, indices, element_shape=None, name=None):
        from .gather_ops import gather
        return gather(self._buffer, indices)

    def unstack(self, value, name=None):
        value = convert_to_tensor(value, dtype=self._dtype)
        if value.shape.rank == 0:
            raise ValueError("TensorArray.unstack: the value must have rank >= 1")
        return self._updated(value)

    def scatter(self, indices, value, name=None):
        value = convert_to_tensor(value, dtype=self._dtype)
        indices = convert_to_tensor(indices)
        from .array_ops import unstack as _unstack
        n = indices.shape.as_tuple()[0] if indices.shape.rank == 1 else None
        if n is None:
            raise ValueError("TensorArray.scatter: indices must be a rank-1 tensor of known length")
        ta = self
        for i, row in zip(_unstack(indices, num=n), _unstack(value, num=n)):
            ta = ta.write(i, row)
        return ta

    def concat(self, name=None):
        from .array_ops import concat as _concat, reshape, shape
        buf = self._buffer
        if buf.shape.rank is not None and buf.shape.rank < 2:
            raise ValueError("TensorArray.concat: elements must have rank >= 1")
        tail = shape(buf)[2:]
        from .array_ops import constant
        return reshape(buf, _concat([constant([-1], dtype=tail.dtype), tail], 0))

    def close(self, name=None):
        return None

    def identity(self):
        return self._with_buffer(self._buffer)

    def __repr__(self):
        return f"<tf.TensorArray dtype={self._dtype.name} buffer={self._buffer!r}>"

    # -- crossing region boundaries -------------------------------------------------------------
    def _updated(self, buffer):
        """This TensorArray, updated in place, when its buffer belongs to the graph being built
        (or both are eager): then a discarded `write` result is not lost. A TensorArray from an
        enclosing graph (used inside a tf.cond branch or loop body) is left alone, so one branch's
        writes never leak into the other: the caller must use the returned TensorArray."""
        builder = context.current_builder()
        owner = getattr(self._buffer, "_builder", None)
        if owner is builder:
            self._buffer = buffer
            return self
        return self._with_buffer(buffer)

    def _with_buffer(self, buffer):
        return TensorArray(self._dtype, dynamic_size=self._dynamic_size,
                           element_shape=self._element_shape, infer_shape=self._infer_shape,
                           name=self._name, _buffer=buffer)


def to_buffers(structure):
    """`structure` with every TensorArray replaced by its buffer tensor."""
    return nest.map_structure(lambda x: x._buffer if isinstance(x, TensorArray) else x, structure)


def from_buffers(template, values):
    """`values` (a structure like `template`'s buffers) with TensorArrays rewrapped where
    `template` has them."""
    flat_t = nest.flatten(template)
    flat_v = nest.flatten(values) if nest.is_nested(values) else [values]
    if not any(isinstance(t, TensorArray) for t in flat_t):
        return values
    out = [t._with_buffer(v) if isinstance(t, TensorArray) and isinstance(v, Tensor) else v
           for t, v in zip(flat_t, flat_v)]
    return nest.pack_sequence_as(template, out)
