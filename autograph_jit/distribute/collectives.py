"""Collectives on tensors: all-reduce, broadcast and all-gather across the workers of a
strategy, eagerly or inside a `tf.function`.

Each collective is one `tf.numpy_function` call: eagerly it runs at once; traced it becomes a
host op that the compiled step calls back at run time, in program order. A structure of
tensors is packed into one flat buffer per dtype, so a step's gradients cross the workers in a
single exchange. With one worker every collective returns its input (MEAN of one value).
"""
import numpy as np

from .. import nest
from ..ops.array_ops import reshape, shape as tf_shape
from ..py_function import numpy_function
from ..tensor import convert_to_tensor
from .reduce_util import ReduceOp, as_reduce_op
from ..errors import InvalidArgumentError
from ..ops.math_ops import cast, reduce_sum

__all__ = ["CollectiveGroup"]


def _pack(arrays):
    """One flat buffer per dtype: {dtype: (buffer, [(index, size, shape)])}."""
    groups = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.dtype, []).append(i)
    out = {}
    for dtype, idx in groups.items():
        buf = np.concatenate([arrays[i].reshape(-1) for i in idx]) if idx else \
            np.empty(0, dtype)
        out[dtype] = (buf, [(i, arrays[i].size, arrays[i].shape) for i in idx])
    return out


def _unpack(packed, n):
    result = [None] * n
    for buf, parts in packed.values():
        start = 0
        for i, size, shp in parts:
            result[i] = buf[start:start + size].reshape(shp)
            start += size
    return result


def _mean(total, count):
    if total.dtype.kind in "iub":
        return (total // count).astype(total.dtype)
    return (total / count).astype(total.dtype)


class CollectiveGroup:
    """The workers of a strategy and the communicator between them (None for one worker).

    Example:
        group.all_reduce(ReduceOp.MEAN, [grad_a, grad_b])   # one exchange for both
    """

    def __init__(self, communicator, rank, size):
        self.comm = communicator
        self.rank = rank
        self.size = size

    # -- on NumPy arrays --------------------------------------------------------------------------
    def all_reduce_arrays(self, op, arrays, what="all-reduce"):
        arrays = [np.asarray(a, order="C") for a in arrays]
        if self.size == 1:
            return [a.copy() for a in arrays]
        if len(arrays) == 1 and arrays[0].ndim == 1:   # one flat buffer already: no copy
            total = self.comm.all_reduce_sum(arrays[0], what)
            return [_mean(total, self.size) if op is ReduceOp.MEAN else total]
        packed = _pack(arrays)
        for dtype, (buf, parts) in packed.items():
            total = self.comm.all_reduce_sum(buf, what)
            if op is ReduceOp.MEAN:
                total = _mean(total, self.size)
            packed[dtype] = (total, parts)
        return _unpack(packed, len(arrays))

    def broadcast_array(self, array, root=0, what="broadcast"):
        if self.size == 1:
            return np.array(array, copy=True)
        return self.comm.broadcast(np.asarray(array, order="C"), root, what)

    def all_gather_arrays(self, array, axis, what="all-gather"):
        array = np.asarray(array, order="C")
        if self.size == 1:
            return array.copy()
        header = np.array([array.ndim] + list(array.shape), np.int64)
        payload = np.concatenate([header.view(np.uint8), array.reshape(-1).view(np.uint8)])
        parts = self.comm.all_gather_bytes(payload, what)
        pieces = []
        for rank, part in enumerate(parts):
            ndim = int(part[:8].view(np.int64)[0])
            dims = part[8:8 * (ndim + 1)].view(np.int64)
            body = part[8 * (ndim + 1):].view(array.dtype).reshape(tuple(int(d) for d in dims))
            if ndim != array.ndim or any(d != s for k, (d, s) in
                                         enumerate(zip(body.shape, array.shape)) if k != axis):
                raise InvalidArgumentError(
                    f"{what}: worker {rank} gathers shape {list(body.shape)} and worker "
                    f"{self.rank} {list(array.shape)}; they may differ only in axis {axis}. Fix: "
                    "gather values of matching shapes.")
            pieces.append(body.copy())
        del parts
        return np.concatenate(pieces, axis=axis)

    # -- on tensors (eager or traced) -------------------------------------------------------------
    def all_reduce(self, reduce_op, value, what="all-reduce"):
        """`value` (a structure of tensors) reduced across the workers, in one exchange."""
        op = as_reduce_op(reduce_op)
        flat = [convert_to_tensor(v) for v in nest.flatten(value)]
        if self.size == 1 or not flat:
            return nest.pack_sequence_as(value, flat)
        outs = numpy_function(lambda *arrays: self.all_reduce_arrays(op, arrays, what), flat,
                              [t.dtype for t in flat])
        outs = [reshape(o, tf_shape(t)) for o, t in zip(outs, flat)]
        return nest.pack_sequence_as(value, outs)

    def weighted_mean(self, values, weight, what="gradient all-reduce"):
        """sum_w(weight_w * values_w) / sum_w(weight_w) across the workers, one exchange; a
        worker with weight 0 (an empty batch) adds nothing. Gradients of per-example mean losses
        combined this way equal the gradient over the global batch."""
        flat = [convert_to_tensor(v) for v in values]
        if self.size == 1 or not flat:
            return list(flat)
        dtypes = [t.dtype for t in flat]

        def reduce(w, *arrays):
            w = float(w)
            scaled = [a * a.dtype.type(w) if w > 0 else np.zeros_like(a) for a in arrays]
            out = self.all_reduce_arrays(ReduceOp.SUM, scaled + [np.array([w], np.float64)],
                                         what)
            total = float(out[-1][0])
            if total <= 0:
                raise InvalidArgumentError(f"{what}: every worker's batch was empty")
            return [(o / o.dtype.type(total)).astype(o.dtype) for o in out[:-1]]
        outs = numpy_function(reduce, [cast(weight, "float64")] + flat, dtypes)
        return [reshape(o, tf_shape(t)) for o, t in zip(outs, flat)]

    def reduce(self, reduce_op, value, axis=None, what="reduce"):
        """TF's `strategy.reduce`: over `axis` of each value first (when given), then across
        the workers; MEAN with an axis divides by the global number of elements on it."""
        op = as_reduce_op(reduce_op)
        if axis is None:
            return self.all_reduce(op, value, what)

        def one(v):
            v = convert_to_tensor(v)
            total = reduce_sum(v, axis=axis)
            if op is ReduceOp.SUM:
                return self.all_reduce(ReduceOp.SUM, total, what)
            count = cast(tf_shape(v)[axis], v.dtype)
            total, count = self.all_reduce(ReduceOp.SUM, [total, count], what)
            return total / count if v.dtype.is_floating else total // count
        return nest.map_structure(one, value)

    def all_gather(self, value, axis, what="all-gather"):
        """Every worker's `value` concatenated along `axis`, in rank order."""
        def one(v):
            v = convert_to_tensor(v)
            if self.size == 1:
                return v
            return numpy_function(lambda a: self.all_gather_arrays(a, axis, what), [v],
                                  v.dtype)
        return nest.map_structure(one, value)
