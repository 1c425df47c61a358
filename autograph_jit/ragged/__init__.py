"""`tf.ragged`: building RaggedTensors from nested lists, and ops over their flat values.

RaggedTensor itself lives in ragged_tensor.py; what the public ops do with RaggedTensor
arguments in dispatch.py. All of it is eager (see ragged_tensor.py's docstring).
"""
import numpy as np

from ..tensor import Tensor, convert_to_tensor
from .ragged_tensor import RaggedTensor
from .. import dtypes
from ..errors import InvalidArgumentError
from .dispatch import concat_ragged, elementwise

__all__ = ["RaggedTensor", "constant", "map_flat_values", "range",
           "row_splits_to_segment_ids", "segment_ids_to_row_splits", "stack"]


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype="int64"):
    """Constructs a constant RaggedTensor from a nested Python list.

    Args:
      pylist: a nested list of scalars, all at the same nesting depth.
      dtype: the element type (inferred from the scalars by default; float32 when there are
        none).
      ragged_rank: the number of ragged dimensions (default: every dimension but the first
        and those of `inner_shape`).
      inner_shape: the shape of the uniform innermost values (default: ()).

    Returns:
      A RaggedTensor (a Tensor when ragged_rank is 0).

    >>> tf.ragged.constant([[1, 2], [3], []])
    <tf.RaggedTensor [[1, 2], [3], []]>
    >>> tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1).shape
    TensorShape([2, None, 2])
    """
    if isinstance(pylist, (Tensor, RaggedTensor)):
        raise TypeError("tf.ragged.constant takes a nested Python list; for a tensor use "
                        "tf.RaggedTensor.from_tensor")
    depth = _scalar_depth(pylist)
    inner_rank = len(inner_shape) if inner_shape is not None else None
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - (inner_rank or 0))
    elif ragged_rank < 0 or (depth and ragged_rank >= max(depth, 1)):
        raise ValueError(f"Invalid ragged_rank={ragged_rank}: it must be between 0 and "
                         f"{max(depth - 1, 0)} for a list of nesting depth {depth}")
    if ragged_rank == 0:
        return convert_to_tensor(pylist, dtype=dtype)
    splits = [[0] for _ in builtins_range(ragged_rank)]
    values = []

    def walk(level, d):
        if d == ragged_rank:
            values.extend(level)
            return
        for row in level:
            if not isinstance(row, (list, tuple)):
                raise ValueError("all scalar values must have the same nesting depth")
            splits[d].append(splits[d][-1] + len(row))
            walk(row, d + 1)
    for row in pylist:
        if not isinstance(row, (list, tuple)):
            raise ValueError("all scalar values must have the same nesting depth")
        splits[0].append(splits[0][-1] + len(row))
        walk(row, 1)
    if values:
        try:
            flat = convert_to_tensor(values, dtype=dtype)
        except ValueError as e:
            raise ValueError(f"tf.ragged.constant: the inner values are not uniform "
                             f"(ragged_rank={ragged_rank} leaves ragged dims inside them): "
                             f"{e}") from None
    else:
        inner = tuple(inner_shape) if inner_shape is not None else \
            (0,) * max(0, depth - 1 - ragged_rank)
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.float32
        flat = convert_to_tensor(np.zeros((0,) + inner, dt.np_dtype), dtype=dt)
    if inner_shape is not None and tuple(flat.shape[1:]) != tuple(inner_shape):
        raise ValueError(f"tf.ragged.constant: inner_shape {tuple(inner_shape)} does not match "
                         f"the values' shape {tuple(flat.shape[1:])}")
    return RaggedTensor.from_nested_row_splits(
        flat, [np.array(s, np.int64) for s in splits], validate=False)


def _scalar_depth(value):
    """The nesting depth of the scalars in `value` (ValueError when they differ)."""
    depths = set()

    def visit(x, d):
        if isinstance(x, (list, tuple)):
            for v in x:
                visit(v, d + 1)
        else:
            depths.add(d)
    visit(value, 0)
    if len(depths) > 1:
        raise ValueError("all scalar values must have the same nesting depth")
    if not depths:  # only empty lists: the list nesting counts
        d, x = 0, value
        while isinstance(x, (list, tuple)):
            d += 1
            x = x[0] if x else None
        return d
    return depths.pop()


def map_flat_values(op, *args, **kwargs):
    """Applies `op` to the flat values of one or more RaggedTensors with the same row
    partition; the result has that partition.

    >>> tf.ragged.map_flat_values(tf.ones_like, tf.ragged.constant([[1, 2], [3]])).to_list()
    [[1, 1], [1]]
    """
    return elementwise(op)(*args, **kwargs)


builtins_range = range


def range(starts, limits=None, deltas=1, dtype=None, name=None,  # noqa: A001 - TF's name
          row_splits_dtype="int64"):
    """Returns a RaggedTensor whose row i is `tf.range(starts[i], limits[i], deltas[i])`.

    >>> tf.ragged.range([3, 1]).to_list()
    [[0, 1, 2], [0]]
    """
    if limits is None:
        starts, limits = 0, starts
    s, lim, d = (np.asarray(convert_to_tensor(v).numpy()) for v in (starts, limits, deltas))
    s, lim, d = np.broadcast_arrays(s, lim, d)
    if np.any(d == 0):
        raise InvalidArgumentError("Requires delta != 0", "RaggedRange")
    rows = [np.arange(a, b, c) for a, b, c in zip(s.ravel(), lim.ravel(), d.ravel())]
    out_dt = dtype or convert_to_tensor(starts).dtype
    out_dt = dtypes.as_dtype(out_dt)
    values = np.concatenate(rows).astype(out_dt.np_dtype) if rows else \
        np.zeros(0, out_dt.np_dtype)
    return RaggedTensor.from_row_lengths(convert_to_tensor(values, dtype=out_dt),
                                         [r.size for r in rows])


def stack(values, axis=0, name=None):
    """Stacks RaggedTensors and Tensors along a new outer axis (axis=0 only).

    >>> tf.ragged.stack([tf.ragged.constant([[1], [2, 3]]), tf.constant([[4, 5]])]).to_list()
    [[[1], [2, 3]], [[4, 5]]]
    """
    if axis != 0:
        raise ValueError("tf.ragged.stack: only axis=0 is supported here")
    parts = [v if isinstance(v, RaggedTensor) else RaggedTensor.from_tensor(v) for v in values]
    return RaggedTensor.from_row_lengths(concat_ragged(parts), [p.nrows_int() for p in parts])


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row index of each value, from row_splits.

    >>> tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy()
    array([0, 0, 2])
    """
    s = np.asarray(convert_to_tensor(splits).numpy(), np.int64)
    return convert_to_tensor(np.repeat(np.arange(s.size - 1, dtype=np.int64), np.diff(s)),
                             dtype=out_type or "int64")


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """row_splits from sorted segment ids.

    >>> tf.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy()
    array([0, 2, 2, 3])
    """
    ids = np.asarray(convert_to_tensor(segment_ids).numpy(), np.int64)
    n = int(num_segments) if num_segments is not None else (int(ids.max()) + 1 if ids.size
                                                            else 0)
    counts = np.bincount(ids, minlength=n)[:n] if ids.size else np.zeros(n, np.int64)
    return convert_to_tensor(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                             dtype=out_type or "int64")
