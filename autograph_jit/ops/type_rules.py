"""Reusable type rules (the `infer` part of OpDefs): dtype checks, broadcasting, reductions.

All work on TensorTypes whose shapes may hold None (unknown dims) or be of unknown rank.
"""
from .. import dtypes
from ..ir.types import TensorType
from ..tensor_shape import TensorShape
from ..errors import InvalidArgumentError
from ..tracing import context

FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
INTS = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8)
NUMERIC = FLOATS + INTS
ALL = NUMERIC + (dtypes.bool,)
COMPLEX = (dtypes.complex64, dtypes.complex128)
# what TF's arithmetic kernels take besides real numbers (Add also concatenates strings)
WITH_COMPLEX = NUMERIC + COMPLEX
FLOATS_COMPLEX = FLOATS + COMPLEX
COMPARABLE_FOR_EQUALITY = ALL + COMPLEX + (dtypes.string,)


def same_dtype(op_name, types):
    """All inputs share the first input's dtype (TF has no implicit promotion)."""
    dt = types[0].dtype
    for i, t in enumerate(types[1:], 1):
        if t.dtype is not dt:
            if context.current_builder() is not None:  # building a graph: TF's TypeError
                raise TypeError(
                    f"Input #{i} of '{op_name}' Op has type {t.dtype.name} that does not match "
                    f"type {dt.name} of input #0. Fix: convert one side with "
                    f"tf.cast(x, tf.{dt.name}). [Op:{op_name}]")
            raise InvalidArgumentError(
                f"cannot compute {op_name} as input #{i}(zero-based) was expected to be a "
                f"{dt.name} tensor but is a {t.dtype.name} tensor [Op:{op_name}]. "
                f"Fix: convert one side with tf.cast(x, tf.{dt.name}).", op_name)
    return dt


def check_dtype(op_name, ty, allowed, what="input"):
    if ty.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise InvalidArgumentError(
            f"{op_name}: {what} has dtype {ty.dtype.name}, which this op does not support "
            f"(supported: {names}) [Op:{op_name}]", op_name)


def broadcast_shapes(op_name, *shapes):
    """NumPy broadcasting over shapes that may hold None; None stays None unless the other is >1."""
    if any(s.rank is None for s in shapes):
        return TensorShape(None)
    rank = max(s.rank for s in shapes)
    out = []
    for i in range(rank):
        dim = 1
        for s in shapes:
            j = i - (rank - s.rank)
            if j < 0:
                continue
            d = s[j]
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d is None:
                continue
            elif dim is None:
                dim = d
            elif d != dim:
                shown = " vs. ".join("[%s]" % ",".join("?" if x is None else str(x) for x in s)
                                     for s in shapes)
                raise InvalidArgumentError(f"Incompatible shapes: {shown} [Op:{op_name}]", op_name)
        out.append(dim)
    return TensorShape(out)


def make_elementwise(op_name, allowed=ALL, out_dtype=None):
    def infer(in_types, **attrs):
        dt = same_dtype(op_name, in_types)
        check_dtype(op_name, in_types[0], allowed)
        shape = in_types[0].shape if len(in_types) == 1 else broadcast_shapes(
            op_name, *[t.shape for t in in_types])
        return TensorType(out_dtype or dt, shape)
    return infer


def normalize_axis(op_name, axis, rank):
    """Axis in [-rank, rank) to [0, rank); raises TF's error otherwise."""
    if rank is None:
        return axis
    if rank == 0 and axis in (0, -1):  # TF accepts axis 0/-1 on scalars for reductions
        return 0
    if not -rank <= axis < rank:
        raise InvalidArgumentError(
            f"{op_name}: axis {axis} is out of bounds for a tensor of rank {rank} "
            f"(expected -{rank} <= axis < {rank}) [Op:{op_name}]", op_name)
    return axis % rank


def normalize_axes(op_name, axis, rank):
    """None -> all axes; int or list -> sorted tuple of non-negative axes."""
    if axis is None:
        return None if rank is None else tuple(range(rank))
    if isinstance(axis, int):
        axis = (axis,)
    if rank is None:
        return tuple(axis)
    out = [normalize_axis(op_name, int(a), rank) for a in axis]
    for a in out:
        if out.count(a) > 1:
            raise InvalidArgumentError(
                f"{op_name}: axis {list(axis)} names dimension {a} twice; list each axis once "
                f"[Op:{op_name}]", op_name)
    return tuple(sorted(out))


def reduced_shape(shape, axes, keepdims):
    if shape.rank is None:
        return TensorShape(None)
    if axes is None:
        axes = range(shape.rank)
    dims = []
    for i, d in enumerate(shape.as_tuple()):
        if i in axes:
            if keepdims:
                dims.append(1)
        else:
            dims.append(d)
    return TensorShape(dims)
