"""What the public ops do with RaggedTensor arguments (TF's ragged dispatch), eagerly.

- Elementwise ops (`tf.add`, `tf.math.exp`, `tf.cast`, operators on RaggedTensor, ...) run the
  dense op on `flat_values`; the result keeps the row partition. Two ragged operands must have
  the same row partition. A dense operand of rank 0, or one that broadcasts against the inner
  (uniform) dimensions of the flat values, is passed as is; one of the RaggedTensor's rank with
  size 1 in the ragged dimension (`[[10], [20]]`) is repeated along each row.
- Reductions (`tf.reduce_sum/mean/max/min/prod/any/all`) over any axis: axis None reduces all
  values; over a ragged axis, rows combine position by position where they have values (TF's
  semantics: `reduce_sum([[1, 2], [3]], axis=0) == [4, 2]`), and an empty row gives the
  reduction's identity (0 for sum, the dtype's lowest value for max, NaN for mean).

`wrap(fn, kind)` makes the public function: one isinstance check on the fast path.
"""
import functools

import numpy as np

from ..errors import InvalidArgumentError
from ..tensor import Tensor, convert_to_tensor
from .ragged_tensor import RaggedTensor
from ..ops import array_ops, math_ops


def _is_ragged(x):
    return type(x) is RaggedTensor


def elementwise(fn):
    """The elementwise public op `fn`, taking RaggedTensors too."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not any(type(a) is RaggedTensor for a in args) and \
                not any(type(v) is RaggedTensor for v in kwargs.values()):
            return fn(*args, **kwargs)
        return _elementwise_ragged(fn, args, kwargs)
    op.__wrapped__ = fn
    return op


def _elementwise_ragged(fn, args, kwargs):
    names = list(kwargs)
    flat_args = list(args) + [kwargs[k] for k in names]
    raggeds = [a for a in flat_args if _is_ragged(a)]
    like = raggeds[0]
    splits = [s.numpy() for s in like.nested_row_splits]
    for other in raggeds[1:]:
        theirs = [s.numpy() for s in other.nested_row_splits]
        if len(theirs) != len(splits) or any(
                a.shape != b.shape or np.any(a != b) for a, b in zip(splits, theirs)):
            raise InvalidArgumentError(
                f"{fn.__name__}: the RaggedTensor operands have different row partitions "
                f"(row lengths {like.row_lengths().numpy().tolist()} vs "
                f"{other.row_lengths().numpy().tolist()}); elementwise ops need identical "
                "ragged splits. Fix: make the rows line up, or use rt.to_tensor() first.",
                fn.__name__)
    mapped = [a.flat_values if _is_ragged(a) else _dense_against(fn, a, like)
              for a in flat_args]
    out = fn(*mapped[:len(args)], **dict(zip(names, mapped[len(args):])))
    return like.with_flat_values(out)


def _dense_against(fn, value, like):
    """A dense operand of an elementwise op with the RaggedTensor `like`, as an operand of
    the op on like.flat_values."""
    if not isinstance(value, (Tensor, np.ndarray, list, tuple)) or isinstance(value, str):
        return value  # Python scalars, dtypes, names
    t = convert_to_tensor(value) if not isinstance(value, Tensor) else value
    rank, inner_rank = t.shape.rank, like.flat_values.shape.rank - 1
    if rank is not None and rank <= inner_rank:
        return t  # broadcasts against the uniform inner dims
    if rank == like.shape.rank and like.ragged_rank == 1 and t.shape[1] == 1:
        a = t.numpy()
        if a.shape[0] not in (1, like.nrows_int()):
            raise InvalidArgumentError(
                f"{fn.__name__}: a dense operand of shape {list(a.shape)} does not broadcast "
                f"against a RaggedTensor of shape {like.shape}", fn.__name__)
        rows = like.value_rowids().numpy() if a.shape[0] != 1 else \
            np.zeros(int(like.row_splits.numpy()[-1]), np.int64)
        return convert_to_tensor(a[rows].reshape((rows.size,) + a.shape[2:]), dtype=t.dtype)
    raise InvalidArgumentError(
        f"{fn.__name__}: cannot broadcast a dense operand of shape {t.shape} against a "
        f"RaggedTensor of shape {like.shape}. Dense operands may be scalars, match the inner "
        "dimensions, or have size 1 in the ragged dimension. Fix: convert one side with "
        "tf.RaggedTensor.from_tensor or rt.to_tensor().", fn.__name__)


# ----------------------------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------------------------


class _Reduction:
    def __init__(self, combine, identity, mean=False):
        self.combine = combine  # numpy function (array, axis=0) -> array
        self.identity = identity  # dtype -> scalar
        self.mean = mean


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _highest(dt):
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


REDUCTIONS = {
    "reduce_sum": _Reduction(np.sum, lambda dt: 0),
    "reduce_prod": _Reduction(np.prod, lambda dt: 1),
    "reduce_max": _Reduction(np.max, _lowest),
    "reduce_min": _Reduction(np.min, _highest),
    "reduce_any": _Reduction(np.any, lambda dt: False),
    "reduce_all": _Reduction(np.all, lambda dt: True),
    "reduce_mean": _Reduction(np.sum, lambda dt: 0, mean=True),
}


def reduction(fn, name):
    """The reduction public op `fn` (named `name` in REDUCTIONS), taking RaggedTensors too."""
    rule = REDUCTIONS[name]

    @functools.wraps(fn)
    def op(input_tensor, axis=None, keepdims=False, *args, **kwargs):
        if type(input_tensor) is not RaggedTensor:
            return fn(input_tensor, axis, keepdims, *args, **kwargs)
        return _reduce_ragged(fn, rule, input_tensor, axis, keepdims)
    op.__wrapped__ = fn
    return op


def _reduce_ragged(fn, rule, rt, axis, keepdims):
    if keepdims:
        raise InvalidArgumentError(f"{fn.__name__}: keepdims=True is not supported for "
                                   "RaggedTensors", fn.__name__)
    if axis is None:
        return fn(rt.flat_values)
    rank = rt.shape.rank
    axes = sorted({int(a) + rank if int(a) < 0 else int(a)
                   for a in (axis if isinstance(axis, (list, tuple)) else [axis])})
    if any(not 0 <= a < rank for a in axes):
        raise InvalidArgumentError(f"{fn.__name__}: axis {axis} is out of range for a "
                                   f"RaggedTensor of rank {rank}", fn.__name__)
    result = rt
    for a in reversed(axes):  # the highest first, so the lower axes keep their numbers
        result = _reduce_one(fn, rule, result, a)
    return result


def _reduce_one(fn, rule, rt, axis):
    if not _is_ragged(rt):
        return fn(rt, axis)
    rr = rt.ragged_rank
    if axis > rr:  # a uniform inner dimension: reduce the flat values
        return rt.with_flat_values(fn(rt.flat_values, axis - rr))
    dtype = rt.dtype
    np_dt = dtype.np_dtype
    inner = tuple(rt.flat_values.shape[1:])
    rows = rt.to_list_arrays()

    def combine(items, depth):
        if depth < axis:
            return [combine(x, depth + 1) for x in items]
        return _combine_position(items, rule, np_dt, inner)
    result = combine(rows, 0)
    out_ragged_rank = rr - 1
    return _from_nested(result, out_ragged_rank, dtype, rule.mean)


def _combine_position(items, rule, np_dt, inner):
    """Reduce the list `items` (arrays, or lists of deeper rows) position by position; a
    (sum, count) pair per leaf when the rule is a mean."""
    if not items:
        return _Leaf(np.full(inner, rule.identity(np_dt), dtype=np_dt), 0)
    if all(not isinstance(x, list) for x in items):
        stacked = np.stack(items)
        return _Leaf(rule.combine(stacked, axis=0).astype(np_dt, copy=False), len(items))
    width = max(len(x) for x in items)
    return [_combine_position([x[j] for x in items if len(x) > j], rule, np_dt, inner)
            for j in range(width)]


class _Leaf:
    __slots__ = ("value", "count")

    def __init__(self, value, count):
        self.value, self.count = value, count


def _from_nested(rows, ragged_rank, dtype, mean):
    """A Tensor (ragged_rank 0) or RaggedTensor from nested lists of _Leaf."""
    def leaf_value(leaf):
        if not mean:
            return leaf.value
        with np.errstate(invalid="ignore", divide="ignore"):
            return (leaf.value / leaf.count).astype(leaf.value.dtype) if \
                leaf.value.dtype.kind == "f" else leaf.value // max(leaf.count, 1)

    splits = [[0] for _ in range(ragged_rank)]

    def build(level, depth):
        if depth == ragged_rank:
            return [leaf_value(v) for v in level]
        out = []
        for row in level:
            splits[depth].append(splits[depth][-1] + len(row))
            out += build(row, depth + 1)
        return out
    values = build(rows, 0)
    dense = np.stack(values) if values else np.zeros((0,), dtype.np_dtype)
    flat = convert_to_tensor(dense.astype(dtype.np_dtype, copy=False), dtype=dtype)
    if ragged_rank == 0:
        return flat
    return RaggedTensor.from_nested_row_splits(flat, [np.array(s, np.int64) for s in splits])


def concat_ragged(items):
    """Concatenate RaggedTensors along their rows (axis 0)."""
    values = [it.values for it in items]
    lengths = [int(x) for it in items for x in it.row_lengths().numpy()]
    if all(not _is_ragged(v) for v in values):
        vals = array_ops.concat(values, 0)
    else:
        vals = concat_ragged(values)
    return RaggedTensor.from_row_lengths(vals, lengths)


# ----------------------------------------------------------------------------------------------
# installing on the public namespaces and on RaggedTensor's operators
# ----------------------------------------------------------------------------------------------

ELEMENTWISE = (
    "abs", "add", "subtract", "multiply", "divide", "truediv", "floordiv", "floormod", "mod",
    "pow", "maximum", "minimum", "negative", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "square", "sin", "cos", "tanh", "sigmoid",
    "sign", "round", "floor", "ceil", "reciprocal", "erf", "is_nan", "is_inf", "is_finite",
    "cast", "squared_difference", "divide_no_nan", "ones_like", "zeros_like", "clip_by_value",
    "saturate_cast", "relu", "relu6", "elu", "selu", "softplus", "log_sigmoid", "gelu",
    "leaky_relu", "swish", "silu", "softsign", "real", "imag", "conj", "angle")

_OPERATORS = {
    "__add__": ("add", False), "__radd__": ("add", True), "__sub__": ("subtract", False),
    "__rsub__": ("subtract", True), "__mul__": ("multiply", False),
    "__rmul__": ("multiply", True), "__truediv__": ("truediv", False),
    "__rtruediv__": ("truediv", True), "__floordiv__": ("floordiv", False),
    "__rfloordiv__": ("floordiv", True), "__mod__": ("floormod", False),
    "__rmod__": ("floormod", True), "__pow__": ("pow", False), "__rpow__": ("pow", True),
    "__lt__": ("less", False), "__le__": ("less_equal", False), "__gt__": ("greater", False),
    "__ge__": ("greater_equal", False), "__and__": ("logical_and", False),
    "__rand__": ("logical_and", True), "__or__": ("logical_or", False),
    "__ror__": ("logical_or", True), "__xor__": ("logical_xor", False),
    "__eq__": ("equal", False), "__ne__": ("not_equal", False),
}


def install(*namespaces):
    """Wrap the elementwise ops and reductions found in `namespaces` (modules) so that they
    take RaggedTensors; the same function object in two namespaces gets one wrapper. Also
    gives RaggedTensor its arithmetic and comparison operators."""
    wrapped = {}
    for ns in namespaces:
        for name in ELEMENTWISE + tuple(REDUCTIONS):
            fn = getattr(ns, name, None)
            if fn is None or getattr(fn, "_takes_ragged", False):
                continue
            new = wrapped.get(id(fn))
            if new is None:
                new = reduction(fn, name) if name in REDUCTIONS else elementwise(fn)
                new._takes_ragged = True
                wrapped[id(fn)] = new
            setattr(ns, name, new)
    for dunder, (name, reverse) in _OPERATORS.items():
        op = elementwise(getattr(math_ops, name))
        setattr(RaggedTensor, dunder, _operator(op, reverse, dunder))
    RaggedTensor.__neg__ = lambda self: elementwise(math_ops.negative)(self)
    RaggedTensor.__abs__ = lambda self: elementwise(math_ops.abs)(self)
    RaggedTensor.__invert__ = lambda self: elementwise(math_ops.logical_not)(self)


def _operator(op, reverse, dunder):
    def method(self, other):
        return op(other, self) if reverse else op(self, other)
    method.__name__ = dunder
    return method
