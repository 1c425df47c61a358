"""Array OpDefs: creation, shape queries, reshaping, transposition, joining and identity ops.

Shape-like arguments (`reshape`'s shape, `fill`'s dims, `range`'s bounds) are int tensor inputs,
so they may be computed at run time inside a graph; type rules read their value when it is known
(`TensorType.value`) to give static shapes.
"""
import builtins

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import Tensor, convert_to_tensor, set_list_packer
from ..tensor_shape import TensorShape
from . import staged_lists, math_ops as m
from . import type_rules as tr
from ._args import caller_op, match_dtypes, static_axis, static_ints, to_tensor
from ..errors import InvalidArgumentError
from .opdef import apply, defop
from .math_ops import (add, broadcast_like, cast, equal, greater, logical_and, maximum, multiply,
                       subtract, truediv, where)

# ----------------------------------------------------------------------------------------------
# creation
# ----------------------------------------------------------------------------------------------


def constant(value, dtype=None, shape=None, name=None):
    """tf.constant: NumPy arrays keep their dtype; Python floats -> float32, ints -> int32.

    >>> tf.constant([1, 2, 3])
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>
    >>> tf.constant(1.5).dtype
    tf.float32
    >>> tf.constant(0.0, shape=[2, 2]).numpy()
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    >>> tf.constant(np.array([1.0, 2.0])).dtype
    tf.float64
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        t = convert_to_tensor(value)
        if dtype is not None and t.dtype is not dtype:
            t = cast(t, dtype)
    elif isinstance(value, (np.ndarray, np.generic)):
        t = convert_to_tensor(value, dtype=dtype)  # a private copy, cast to `dtype` if given
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if shape is not None:
        shape = list(static_ints(shape, "shape"))
        n = t.shape.num_elements()
        want = int(np.prod(shape)) if shape else 1
        if n == 1 and want != 1:
            t = fill(shape, reshape(t, []))
        elif n != want:
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{value!r} (converted from {value!r}) has {n} elements, but got "
                            f"`shape` {tuple(shape)} with {want} elements).")
        else:
            t = reshape(t, shape)
    return t


def _shape_tensor(shape, what="shape", op=None):
    """A 1-D int32 tensor from a list / TensorShape / tensor of dims. Dims must be integers, as
    in TF (`tf.zeros([2.5])` is a TypeError, not a shape of 2)."""
    op = op or caller_op()
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, Tensor) or hasattr(shape, "_as_tensor"):
        shape = to_tensor(shape)
        if shape.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"{op}: {what} must be an int32 or int64 tensor, got "
                            f"{shape.dtype.name}. Fix: tf.cast it to tf.int32.")
        return shape
    if isinstance(shape, (int, np.integer)):
        shape = [shape]
    if isinstance(shape, (list, tuple)) and len(shape) == 0:
        return convert_to_tensor(np.zeros([0], np.int32))
    t = convert_to_tensor(shape, dtype_hint=dtypes.int32)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{op}: {what} must hold integers, got {shape!r} ({t.dtype.name}): "
                        "dimension values must be integers, as in TF. Fix: pass Python ints "
                        "(e.g. int(n)) or an int32 tensor.")
    return t


def _numeric_dtype(dtype, op):
    """`dtype` as a DType that tensors can hold."""
    return dtypes.as_dtype(dtype)


def _zero_array(shape, dtype):
    """Zeros of `dtype`; for tf.string the empty string, as TF's zeros."""
    if dtype.name == "string":
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, dtype.np_dtype)


def _one_array(shape, dtype):
    if dtype.name == "string":
        raise TypeError("Cannot convert 1 to EagerTensor of dtype string")
    return np.ones(shape, dtype.np_dtype)


def _dims_from(ty, what):
    """The static dims carried by a shape tensor's type (None entries where unknown)."""
    if ty.shape.rank != 1 and ty.shape.rank is not None:
        raise InvalidArgumentError(f"{what} must be a vector, got shape {ty.shape}")
    if ty.value is not None:
        return [int(d) for d in np.asarray(ty.value).ravel()]
    if ty.shape.rank == 1 and ty.shape[0] is not None:
        return [None] * ty.shape[0]
    return None


def _check_fill_dims(dims):
    if any(d is not None and d < 0 for d in dims):
        raise InvalidArgumentError(f"fill: dims must be non-negative, got {dims}")


def _fill_kernel(dims, value):
    dims = [int(d) for d in np.asarray(dims).ravel()]
    _check_fill_dims(dims)  # (a graph runs kernels without the type rule's check)
    return np.full(tuple(dims), value)


def _fill_infer(in_types):
    dims_t, value_t = in_types
    if value_t.shape.rank not in (0, None):
        raise InvalidArgumentError(f"fill: value must be a scalar, got shape {value_t.shape}")
    dims = _dims_from(dims_t, "fill dims")
    if dims is not None:
        _check_fill_dims(dims)
    return TensorType(value_t.dtype, TensorShape(dims))


_fill = defop("fill", _fill_infer, _fill_kernel,
              vjp=lambda c, g: (None, math_ops().reduce_sum(g)), speculatable=True)


def fill(dims, value, name=None):
    """Creates a tensor of shape `dims` filled with the scalar `value` (its dtype).

    >>> tf.fill([2, 2], 9).numpy()
    array([[9, 9],
           [9, 9]], dtype=int32)
    """
    return apply(_fill, _shape_tensor(dims, "dims", "fill"), to_tensor(value))


def zeros(shape, dtype=dtypes.float32, name=None):
    """Creates a tensor with all elements set to zero.

    Args:
      shape: a list of ints, a 1-D int tensor, or an int. dtype: default float32.

    >>> tf.zeros([2, 3]).shape
    TensorShape([2, 3])
    """
    dtype = _numeric_dtype(dtype, "zeros")
    return apply(_fill, _shape_tensor(shape, "shape", "zeros"),
                 convert_to_tensor(_zero_array((), dtype), dtype=dtype))


def ones(shape, dtype=dtypes.float32, name=None):
    """Creates a tensor with all elements set to one.

    >>> tf.ones([2], tf.int32).numpy()
    array([1, 1], dtype=int32)
    """
    dtype = _numeric_dtype(dtype, "ones")
    return apply(_fill, _shape_tensor(shape, "shape", "ones"),
                 convert_to_tensor(_one_array((), dtype), dtype=dtype))


def _like_infer(in_types, dtype):
    return TensorType(dtype or in_types[0].dtype, in_types[0].shape)


_zeros_like = defop("zeros_like", _like_infer,
                    lambda x, dtype: _zero_array(x.shape, dtype or dtypes.as_dtype(x.dtype)),
                    speculatable=True)
_ones_like = defop("ones_like", _like_infer,
                   lambda x, dtype: _one_array(x.shape, dtype or dtypes.as_dtype(x.dtype)),
                   speculatable=True)


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    """Creates a tensor of zeros with the shape (and dtype, unless given) of `input`.

    >>> tf.zeros_like(tf.constant([[1, 2], [3, 4]])).numpy()
    array([[0, 0],
           [0, 0]], dtype=int32)
    """
    return apply(_zeros_like, to_tensor(input), dtype=None if dtype is None else
                 _numeric_dtype(dtype, "zeros_like"))


def ones_like(input, dtype=None, name=None):  # noqa: A002
    """Creates a tensor of ones with the shape (and dtype, unless given) of `input`.

    >>> tf.ones_like(tf.constant([1.5, 2.5])).numpy()
    array([1., 1.], dtype=float32)
    """
    return apply(_ones_like, to_tensor(input), dtype=None if dtype is None else
                 _numeric_dtype(dtype, "ones_like"))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """Constructs an identity matrix, or a batch of matrices.

    Args:
      num_rows, num_columns (default num_rows), batch_shape (leading dims), dtype.

    >>> tf.eye(2).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    dtype = _numeric_dtype(dtype, "eye")
    n = static_ints(num_rows, "num_rows")
    m = n if num_columns is None else static_ints(num_columns, "num_columns")
    if n is None or m is None:  # sizes computed at run time
        return _eye_dynamic(num_rows, num_rows if num_columns is None else num_columns,
                            batch_shape, dtype)
    if n < 0 or m < 0:
        raise InvalidArgumentError(f"eye: num_rows and num_columns must be non-negative, got "
                                   f"{n} and {m}", "eye")
    value = np.eye(n, m, dtype=dtype.np_dtype)
    if batch_shape is not None:
        value = np.broadcast_to(value, tuple(batch_shape) + (n, m)).copy()
    return constant(value)


def _eye_dynamic(num_rows, num_columns, batch_shape, dtype):
    n, m = to_tensor(num_rows), to_tensor(num_columns)
    dims = [*(batch_shape or ()), n, m]
    zeros = fill(stack(match_dtypes(*dims)), constant(0, dtype=dtype))  # (checks n, m >= 0)
    hot = cast(equal(expand_dims(range(n), 1), expand_dims(range(m), 0)), dtype)
    return add(zeros, hot)


def _range_infer(in_types):
    start, limit, delta = in_types
    dt = tr.same_dtype("range", in_types)
    tr.check_dtype("range", start, tr.NUMERIC)
    for arg, t in zip(("start", "limit", "delta"), in_types):
        if t.shape.rank not in (0, None):
            raise InvalidArgumentError(f"range: {arg} must be a scalar, got shape {t.shape} "
                                       "[Op:range]", "range")
    n = None
    if all(t.value is not None for t in in_types):
        n = len(_range_kernel(start.value, limit.value, delta.value))
    return TensorType(dt, TensorShape([n]))


def _range_kernel(start, limit, delta):
    if delta == 0:
        raise InvalidArgumentError("Requires delta != 0 [Op:range]")
    return np.arange(start, limit, delta, dtype=np.asarray(start).dtype)


_range = defop("range", _range_infer, _range_kernel)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """tf.range: dtype inferred from the arguments (float32 if any is a float) or given.

    >>> tf.range(5).numpy()
    array([0, 1, 2, 3, 4], dtype=int32)
    >>> tf.range(1.0, 2.0, 0.25).numpy()
    array([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    for arg, v in zip(("start", "limit", "delta"), args):
        if isinstance(v, Tensor) and v.dtype not in tr.NUMERIC:
            raise TypeError(f"range: {arg} must be a number or a numeric tensor, got a "
                            f"{v.dtype.name} tensor")
    if dtype is not None:
        dtype = _numeric_dtype(dtype, "range")
        ts = [cast(to_tensor(a), dtype) if isinstance(a, Tensor) else
              convert_to_tensor(a, dtype=dtype, strict=False) for a in args]
    else:
        inferred = [to_tensor(a) for a in args]
        order = [dtypes.int32, dtypes.int64, dtypes.float16, dtypes.float32, dtypes.float64]
        best = max((t.dtype for t in inferred), key=lambda d: order.index(d) if d in order else 0)
        ts = [cast(t, best) for t in inferred]
    return apply(_range, *ts)


def linspace(start, stop, num, name=None, axis=0):
    """Generates `num` evenly-spaced values from `start` to `stop` (both included).

    >>> tf.linspace(0.0, 1.0, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    if isinstance(num, Tensor) and not num.dtype.is_integer or \
            isinstance(num, (float, np.floating)):
        raise TypeError(f"linspace: num must be an integer (a Python int or an int32/int64 "
                        f"tensor), got {num!r}. Fix: int(num) or tf.cast(num, tf.int32).")
    start, stop = match_dtypes(start, stop, dtype_hint=dtypes.float32)
    if not start.dtype.is_floating:
        start, stop = cast(start, dtypes.float32), cast(stop, dtypes.float32)
    if static_ints(num, "num") is None:  # a count computed at run time
        return _linspace_dynamic(start, stop, to_tensor(num))
    num = static_ints(num, "num")
    if num == 1:
        return reshape(start, [1])
    steps = convert_to_tensor(np.arange(num, dtype=start.dtype.np_dtype))
    step = truediv(subtract(stop, start), float(num - 1))
    out = add(start, multiply(steps, step))
    # the last point is `stop` exactly, as in TF
    mask = convert_to_tensor(np.arange(num) == num - 1)
    return where(mask, broadcast_like_(stop, out), out)


def _linspace_dynamic(start, stop, num):
    """linspace for a num tensor: the same points as the static form (the last is `stop`
    exactly, one point is `start`, num <= 0 is empty)."""
    idx = range(num)
    steps = cast(idx, start.dtype)
    step = truediv(subtract(stop, start), cast(maximum(subtract(num, 1), 1), start.dtype))
    out = add(start, multiply(steps, step))
    last = logical_and(equal(idx, subtract(num, 1)), greater(num, 1))
    return where(last, broadcast_like_(stop, out), out)


def broadcast_like_(x, like):
    return broadcast_like(x, like)


# ----------------------------------------------------------------------------------------------
# shape queries (shape, size, rank)
# ----------------------------------------------------------------------------------------------


def _shape_infer(in_types, out_type):
    x = in_types[0]
    value = np.array(x.shape.as_list(), dtype=out_type.np_dtype) if \
        x.shape.is_fully_defined() else None
    return TensorType(out_type, TensorShape([x.shape.rank]), value)


_shape = defop("shape", _shape_infer, lambda x, out_type: np.array(x.shape, out_type.np_dtype),
               speculatable=True)
_size = defop("size", lambda in_types, out_type: TensorType(out_type, TensorShape([])),
              lambda x, out_type: np.array(x.size, out_type.np_dtype), speculatable=True)


def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """Returns a 1-D int32 tensor holding the shape of `input` (known at run time).

    >>> tf.shape(tf.zeros([2, 3])).numpy()
    array([2, 3], dtype=int32)
    """
    return apply(_shape, to_tensor(input), out_type=dtypes.as_dtype(out_type))


def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """Returns the number of elements of `input` as a scalar int32 tensor.

    >>> int(tf.size(tf.zeros([2, 3])))
    6
    """
    return apply(_size, to_tensor(input), out_type=dtypes.as_dtype(out_type))


def rank(input, name=None):  # noqa: A002
    """Returns the rank (number of dimensions) of `input` as a scalar int32 tensor.

    >>> int(tf.rank(tf.zeros([2, 3])))
    2
    """
    x = to_tensor(input)
    if x.shape.rank is not None:
        return constant(x.shape.rank, dtype=dtypes.int32)
    return size(shape(x))


# ----------------------------------------------------------------------------------------------
# identity, stop_gradient
# ----------------------------------------------------------------------------------------------


_identity = defop("identity", lambda in_types: in_types[0], lambda x: x,
                  vjp=lambda c, g: g, elementwise=True)
_stop_gradient = defop("stop_gradient", lambda in_types: in_types[0], lambda x: x,
                       elementwise=True)


def identity(input, name=None):  # noqa: A002
    """Returns a tensor with the same shape and contents as `input`.

    >>> tf.identity(tf.constant([1, 2])).numpy()
    array([1, 2], dtype=int32)
    """
    return apply(_identity, to_tensor(input))


def stop_gradient(input, name=None):  # noqa: A002
    """Stops gradient computation: the value passes, the gradient is zero (None).

    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * tf.stop_gradient(x)
    >>> float(tape.gradient(y, x))
    3.0
    """
    return apply(_stop_gradient, to_tensor(input))


# ----------------------------------------------------------------------------------------------
# reshape, expand_dims, squeeze, transpose
# ----------------------------------------------------------------------------------------------


def _reshape_infer(in_types):
    x, shape_t = in_types
    dims = _dims_from(shape_t, "reshape shape")
    if dims is None:
        return TensorType(x.dtype, TensorShape(None))
    if sum(1 for d in dims if d == -1) > 1:
        raise InvalidArgumentError(f"Only one input size may be -1, not both in shape {dims} "
                                   "[Op:reshape]", "reshape")
    if any(d is not None and d < -1 for d in dims):
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {x.shape.num_elements()} values, but the "
            f"requested shape {dims} is not a valid shape: dims are sizes >= 0, and at most one "
            "is -1 [Op:reshape]", "reshape")
    n = x.shape.num_elements()
    known = 1
    for d in dims:
        if d is not None and d != -1:
            known *= d
    out = list(dims)
    if -1 in dims:
        i = dims.index(-1)
        if n is not None and None not in dims:
            if known == 0 or n % known:
                raise InvalidArgumentError(
                    f"Input to reshape is a tensor with {n} values, but the requested shape "
                    f"{dims} cannot hold them [Op:reshape]", "reshape")
            out[i] = n // known
        else:
            out[i] = None
    elif n is not None and None not in dims and known != n:
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {n} values, but the requested shape has {known}. "
            f"Requested shape: {dims}, input shape: {x.shape.as_list()} [Op:reshape]", "reshape")
    return TensorType(x.dtype, TensorShape(out))


def _reshape_kernel(x, shape):
    dims = [int(d) for d in shape]
    if any(d < -1 for d in dims) or dims.count(-1) > 1:  # (a graph runs kernels unchecked)
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {x.size} values, but the requested shape "
            f"{dims} is not a valid shape: dims are sizes >= 0, and at most one is -1 "
            "[Op:reshape]", "reshape")
    try:
        return x.reshape(tuple(int(d) for d in shape))
    except ValueError:
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {x.size} values, but the requested shape is "
            f"{list(shape)} [Op:reshape]", "reshape") from None


_reshape = defop("reshape", _reshape_infer, _reshape_kernel,
                 vjp=lambda c, g: (reshape(g, shape(c.inputs[0])), None), speculatable=True)


def reshape(tensor, shape, name=None):
    """Reshapes a tensor; one dimension of `shape` may be -1 (inferred).

    >>> tf.reshape(tf.range(6), [2, -1]).numpy()
    array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    """
    x = to_tensor(tensor)
    return apply(_reshape, x, _shape_tensor(shape))


def _expand_dims_infer(in_types, axis):
    x = in_types[0]
    if x.shape.rank is None:
        return TensorType(x.dtype, TensorShape(None))
    r = x.shape.rank
    if not -r - 1 <= axis <= r:
        raise InvalidArgumentError(f"expand_dims: axis {axis} is out of range for a tensor of "
                                   f"rank {r} (expected -{r + 1} <= axis <= {r})", "expand_dims")
    a = axis % (r + 1)
    dims = list(x.shape.as_tuple())
    dims.insert(a, 1)
    return TensorType(x.dtype, TensorShape(dims))


_expand_dims = defop("expand_dims", _expand_dims_infer,
                     lambda x, axis: x.reshape(  # (np.expand_dims, without its checks)
                         x.shape[:axis % (x.ndim + 1)] + (1,) + x.shape[axis % (x.ndim + 1):]),
                     vjp=lambda c, g: reshape(g, shape(c.inputs[0])), speculatable=True)


def expand_dims(input, axis, name=None):  # noqa: A002
    """Returns a tensor with a length-1 axis inserted at index `axis`.

    >>> tf.expand_dims(tf.zeros([2, 3]), 0).shape
    TensorShape([1, 2, 3])
    """
    return apply(_expand_dims, to_tensor(input), axis=int(static_axis(axis, "axis")))


def _squeeze_infer(in_types, axis):
    x = in_types[0]
    if x.shape.rank is None:
        return TensorType(x.dtype, TensorShape(None))
    dims = x.shape.as_tuple()
    if axis is None:
        if any(d is None for d in dims):
            return TensorType(x.dtype, TensorShape(None))
        return TensorType(x.dtype, TensorShape([d for d in dims if d != 1]))
    axes = tr.normalize_axes("squeeze", axis, len(dims))
    for a in axes:
        if dims[a] not in (1, None):
            raise InvalidArgumentError(f"Can not squeeze dim[{a}], expected a dimension of 1, "
                                       f"got {dims[a]} [Op:squeeze]", "squeeze")
    return TensorType(x.dtype, TensorShape([d for i, d in enumerate(dims) if i not in axes]))


def _squeeze_kernel(x, axis):
    if axis is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(a % x.ndim for a in axis))


_squeeze = defop("squeeze", _squeeze_infer, _squeeze_kernel,
                 vjp=lambda c, g: reshape(g, shape(c.inputs[0])), speculatable=True)


def squeeze(input, axis=None, name=None):  # noqa: A002
    """Removes dimensions of size 1 (all of them, or those listed in `axis`).

    >>> tf.squeeze(tf.zeros([1, 2, 1, 3])).shape
    TensorShape([2, 3])
    """
    if axis is not None:
        axis = static_axis(axis, "axis")
        axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return apply(_squeeze, to_tensor(input), axis=axis)


def _transpose_infer(in_types, perm):
    x = in_types[0]
    if x.shape.rank is None:
        return TensorType(x.dtype, TensorShape(None))
    if perm is None:
        perm = tuple(reversed(builtins.range(x.shape.rank)))
    r = x.shape.rank
    for p in perm:
        if not -r <= p < r:
            raise InvalidArgumentError(f"transpose: perm value {p} is out of range [0 .. {r}) for "
                                       f"a tensor of rank {r} [Op:transpose]", "transpose")
    if sorted(p % max(x.shape.rank, 1) for p in perm) != list(builtins.range(x.shape.rank)):
        raise InvalidArgumentError(f"transpose expects a permutation of 0..{x.shape.rank - 1}, "
                                   f"got perm={list(perm)} for a tensor of rank "
                                   f"{x.shape.rank} [Op:transpose]", "transpose")
    dims = x.shape.as_tuple()
    return TensorType(x.dtype, TensorShape([dims[p] for p in perm]))


def _transpose_vjp(c, g):
    perm = c.attrs["perm"]
    rank = c.inputs[0].shape.rank
    if perm is None:
        return transpose(g)
    inverse = [0] * rank
    for i, p in enumerate(perm):
        inverse[p % rank] = i
    return transpose(g, inverse)


_transpose = defop("transpose", _transpose_infer,
                   lambda x, perm: np.transpose(x, perm), vjp=_transpose_vjp, speculatable=True)

def transpose(a, perm=None, conjugate=False, name="transpose"):
    """Transposes `a`, permuting the dimensions by `perm` (default: reversed).

    >>> tf.transpose(tf.zeros([2, 3, 4]), perm=[0, 2, 1]).shape
    TensorShape([2, 4, 3])
    """
    if perm is not None:
        perm = tuple(static_axis(perm, "perm"))
    return apply(_transpose, to_tensor(a), perm=perm)


# ----------------------------------------------------------------------------------------------
# stack, concat
# ----------------------------------------------------------------------------------------------


def _stack_infer(in_types, axis):
    if not in_types:
        raise InvalidArgumentError("stack needs at least one tensor", "stack")
    dt = tr.same_dtype("stack", in_types)
    shape = in_types[0].shape
    for t in in_types[1:]:
        if not shape.is_compatible_with(t.shape):
            raise InvalidArgumentError(
                f"Shapes of all inputs must match: values[0].shape = {in_types[0].shape} != "
                f"values[{in_types.index(t)}].shape = {t.shape} [Op:stack]", "stack")
        shape = shape.merge_with(t.shape)
    if shape.rank is None:
        return TensorType(dt, TensorShape(None))
    r = shape.rank
    if not -r - 1 <= axis <= r:
        raise InvalidArgumentError(f"stack: axis {axis} out of range for rank {r} inputs", "stack")
    dims = list(shape.as_tuple())
    dims.insert(axis % (r + 1), len(in_types))
    return TensorType(dt, TensorShape(dims))


def _stack_vjp(c, g):
    return unstack(g, num=len(c.inputs), axis=c.attrs["axis"])


_stack = defop("stack", _stack_infer, lambda *xs, axis: np.stack(xs, axis=axis),
               vjp=_stack_vjp, num_outputs=1, speculatable=True)


def stack(values, axis=0, name="stack"):
    """Stacks a list of rank-R tensors into one rank-(R+1) tensor along `axis`.

    >>> tf.stack([tf.constant([1, 2]), tf.constant([3, 4])], axis=1).numpy()
    array([[1, 3],
           [2, 4]], dtype=int32)
    """
    if isinstance(values, Tensor):  # (TF: a tensor's rows are the values)
        values = unstack(values)
    axis = static_axis(axis, "axis")
    staged = staged_lists.stacked(values)
    if staged is not None:
        return staged if int(axis) == 0 else staged_lists.move_first_axis(staged, int(axis))
    values = match_dtypes(*values) if values else []
    return apply(_stack, *values, axis=int(axis))


set_list_packer(stack)   # convert_to_tensor([t1, t2]) stacks: tensor.py cannot import this module


def _unstack_infer(in_types, num, axis):
    x = in_types[0]
    if x.shape.rank is None:
        raise InvalidArgumentError("unstack needs a tensor of known rank", "unstack")
    r = x.shape.rank
    if r == 0:
        raise InvalidArgumentError("Input shape axis 0 must equal num, got a scalar", "unstack")
    a = tr.normalize_axis("unstack", axis, r)
    n = x.shape[a]
    if n is not None and num != n:
        raise InvalidArgumentError(f"Input shape axis {a} must equal {num}, got shape "
                                   f"{x.shape} [Op:unstack]", "unstack")
    dims = [d for i, d in enumerate(x.shape.as_tuple()) if i != a]
    return tuple(TensorType(x.dtype, TensorShape(dims)) for _ in builtins.range(num))


def _unstack_kernel(x, num, axis):
    return tuple(np.moveaxis(x, axis, 0))


def _unstack_vjp(c, *gs):
    return stack(list(gs), axis=c.attrs["axis"])


_unstack = defop("unstack", _unstack_infer, _unstack_kernel, vjp=_unstack_vjp,
                 num_outputs=None)


def unstack(value, num=None, axis=0, name="unstack"):
    """Unpacks the given dimension of a rank-R tensor into a list of rank-(R-1) tensors.

    >>> [t.numpy().tolist() for t in tf.unstack(tf.constant([[1, 2], [3, 4]]))]
    [[1, 2], [3, 4]]
    """
    x = to_tensor(value)
    axis = static_axis(axis, "axis")
    r = x.shape.rank
    if r is not None and not -r <= axis < max(r, 1) or r == 0:
        raise ValueError(f"unstack: Argument `axis` = {axis} not in range [{-r}, {r}) for a "
                         f"tensor of shape {x.shape}")
    if num is None:
        if x.shape.rank is None or x.shape[axis] is None:
            raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
        num = x.shape[axis]
    out = apply(_unstack, x, num=int(num), axis=int(axis))
    return list(out) if isinstance(out, tuple) else [out]


def _concat_infer(in_types, axis):
    if not in_types:
        raise InvalidArgumentError("concat needs at least one tensor", "concat")
    dt = tr.same_dtype("concat", in_types)
    ranks = {t.shape.rank for t in in_types if t.shape.rank is not None}
    if not ranks:
        return TensorType(dt, TensorShape(None))
    if len(ranks) > 1:
        raise InvalidArgumentError(f"ConcatOp : Ranks of all input tensors should match: "
                                   f"shapes {[str(t.shape) for t in in_types]} [Op:concat]",
                                   "concat")
    r = ranks.pop()
    if r == 0:
        raise InvalidArgumentError("Can't concatenate scalars (use tf.stack instead)", "concat")
    a = tr.normalize_axis("concat", axis, r)
    dims = [None] * r
    total = 0
    for t in in_types:
        if t.shape.rank is None:
            total = None
            continue
        for i, d in enumerate(t.shape.as_tuple()):
            if i == a:
                continue
            if d is not None:
                if dims[i] is not None and dims[i] != d:
                    raise InvalidArgumentError(
                        f"ConcatOp : Dimension {i} in both shapes must be equal: shapes "
                        f"{[str(s.shape) for s in in_types]} [Op:concat]", "concat")
                dims[i] = d
        d = t.shape[a]
        total = None if (total is None or d is None) else total + d
    dims[a] = total
    return TensorType(dt, TensorShape(dims))


def _concat_vjp(c, g):
    axis = c.attrs["axis"]
    sizes = [shape(x)[axis] if x.shape.rank is None or x.shape[axis] is None else x.shape[axis]
             for x in c.inputs]
    if all(isinstance(s, int) for s in sizes):
        from .slicing import split
        return split(g, sizes, axis=axis)
    from .slicing import split
    return split(g, stack(sizes), axis=axis)


_concat = defop("concat", _concat_infer, lambda *xs, axis: np.concatenate(xs, axis=axis),
                vjp=_concat_vjp, speculatable=True)


def concat(values, axis, name="concat"):
    """Concatenates tensors along one dimension.

    >>> tf.concat([tf.zeros([2, 3]), tf.ones([2, 1])], axis=1).shape
    TensorShape([2, 4])
    """
    staged = staged_lists.stacked(values)
    if staged is not None:  # [n, d0, d1, ...] -> the n elements joined along `axis`
        return staged_lists.join_first_axis(staged, int(static_axis(axis, "axis")))
    if isinstance(values, Tensor) or hasattr(values, "_as_tensor"):
        values = [values]  # (TF: one tensor is a list of one)
    values = match_dtypes(*values) if values else []
    if len(values) == 1:
        return identity(values[0])
    return apply(_concat, *values, axis=int(static_axis(axis, "axis")))


def math_ops():
    return m


# ----------------------------------------------------------------------------------------------
# constant (a node holding a value; eager code never applies it — EagerTensors are constants)
# ----------------------------------------------------------------------------------------------


def _constant_infer(in_types, value, dtype):
    return TensorType(dtype, value.shape, value)


constant_op = defop("constant", _constant_infer, lambda value, dtype: value,
                    doc="A value known when the graph is built (a captured eager tensor or a "
                        "Python/NumPy literal).")


def where_indices(condition, name=None):
    """The one-argument tf.where (defined in gather_ops.py; math_ops.where calls it here)."""
    from .gather_ops import where_indices as impl
    return impl(condition, name=name)
