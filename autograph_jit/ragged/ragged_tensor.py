"""RaggedTensor: a tensor with variable-length rows (`tf.RaggedTensor`), in eager mode.

A RaggedTensor is its `values` (a dense tensor, or another RaggedTensor for more than one ragged
dimension) cut into rows by `row_splits` (int64, `[0, end_of_row_0, end_of_row_1, ...]`), as in
TF. `flat_values` is the innermost dense tensor; `nested_row_splits` the splits from the
outermost dimension in. Every method computes eagerly; elementwise math on a RaggedTensor runs
the op on `flat_values` (ragged/dispatch.py), so dtypes, promotion rules and errors are those of
the dense op.

RaggedTensors do not flow through `tf.function` (tracing one raises a TypeError that says so);
convert with `to_tensor()` first, or pass `flat_values` and `row_splits` separately.
"""
import numpy as np

from .. import dtypes as _dtypes
from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from ..errors import InvalidArgumentError
from ..ops import array_ops


def _eager_array(t, what):
    if not hasattr(t, "numpy") or getattr(t, "_is_symbolic", False):
        raise TypeError(f"RaggedTensor: {what} must be an eager tensor; RaggedTensors are "
                        "eager-only here (inside tf.function pass flat_values and row_splits "
                        "as separate tensors)")
    return t.numpy()


class RaggedTensor:
    """Represents a ragged tensor: rows of different lengths.

    Build one with `tf.ragged.constant` or the `from_*` factory methods, not the constructor.

    >>> rt = tf.ragged.constant([[1, 2], [3], []])
    >>> rt
    <tf.RaggedTensor [[1, 2], [3], []]>
    >>> rt.row_lengths().numpy()
    array([2, 1, 0])
    >>> (rt + 1).to_list()
    [[2, 3], [4], []]
    """

    __slots__ = ("_values", "_row_splits")
    _is_symbolic = False

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError("RaggedTensor constructor is private; use a factory method such "
                             "as tf.RaggedTensor.from_row_splits or tf.ragged.constant")
        self._values = values
        self._row_splits = row_splits

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Creates a RaggedTensor whose row i is `values[row_splits[i]:row_splits[i + 1]]`.

        >>> tf.RaggedTensor.from_row_splits([1, 2, 3, 4], [0, 2, 2, 4]).to_list()
        [[1, 2], [], [3, 4]]
        """
        values = values if isinstance(values, RaggedTensor) else convert_to_tensor(values)
        splits = convert_to_tensor(row_splits)
        if not splits.dtype.is_integer:
            raise TypeError(f"row_splits must be an integer tensor, got {splits.dtype.name}")
        s = _eager_array(splits, "row_splits").astype(np.int64)
        if validate:
            nvals = _nrows_of(values)
            if s.ndim != 1 or s.size == 0:
                raise ValueError("row_splits must be a non-empty vector")
            if s[0] != 0:
                raise ValueError("Arguments to from_row_splits do not form a valid "
                                 "RaggedTensor: first element of row_splits must be zero")
            if np.any(np.diff(s) < 0):
                raise ValueError("Arguments to from_row_splits do not form a valid "
                                 "RaggedTensor: row_splits must be sorted in ascending order")
            if s[-1] != nvals:
                raise ValueError("Arguments to from_row_splits do not form a valid "
                                 f"RaggedTensor: last element of row_splits ({s[-1]}) must "
                                 f"equal the number of values ({nvals})")
        return cls(values, convert_to_tensor(s, dtype="int64"), internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Creates a RaggedTensor whose row i has `row_lengths[i]` values.

        >>> tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], [2, 0, 2]).to_list()
        [[1, 2], [], [3, 4]]
        """
        lengths = _eager_array(convert_to_tensor(row_lengths), "row_lengths").astype(np.int64)
        if validate and np.any(lengths < 0):
            raise ValueError("row_lengths must be non-negative")
        splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Creates a RaggedTensor where `values[i]` belongs to row `value_rowids[i]` (sorted).

        >>> tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=4).to_list()
        [[1, 2], [], [3], []]
        """
        ids = _eager_array(convert_to_tensor(value_rowids), "value_rowids").astype(np.int64)
        if validate and np.any(np.diff(ids) < 0):
            raise ValueError("value_rowids must be sorted in ascending order")
        n = int(nrows) if nrows is not None else (int(ids[-1]) + 1 if ids.size else 0)
        lengths = np.bincount(ids, minlength=n)[:n] if ids.size else np.zeros(n, np.int64)
        return cls.from_row_lengths(values, lengths, validate=validate)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """Creates a RaggedTensor from flat values and a list of row_splits, outermost first."""
        result = flat_values
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None,
                                validate=True):
        """Creates a RaggedTensor from flat values and a list of row_lengths, outermost first."""
        result = flat_values
        for lengths in reversed(list(nested_row_lengths)):
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype="int64"):
        """Converts a dense tensor into a RaggedTensor, dropping trailing `padding` (or keeping
        the first `lengths[i]` values) of each row.

        >>> tf.RaggedTensor.from_tensor(tf.constant([[1, 2, 0], [3, 0, 0]]), padding=0).to_list()
        [[1, 2], [3]]
        """
        t = convert_to_tensor(tensor)
        a = _eager_array(t, "tensor")
        if a.ndim < 2:
            raise ValueError(f"from_tensor needs a tensor of rank >= 2, got shape {a.shape}")
        if ragged_rank != 1:
            inner = cls.from_tensor(a.reshape((-1,) + a.shape[2:]), ragged_rank=ragged_rank - 1)
            splits = np.arange(0, a.shape[0] * a.shape[1] + 1, a.shape[1], dtype=np.int64)
            return cls.from_row_splits(inner, splits)
        n, m = a.shape[0], a.shape[1]
        if lengths is not None and padding is not None:
            raise ValueError("Specify lengths or padding, but not both")
        if lengths is not None:
            row_len = _eager_array(convert_to_tensor(lengths), "lengths").astype(np.int64)
            row_len = np.minimum(row_len, m)
        elif padding is not None:
            pad = _eager_array(convert_to_tensor(padding, dtype=t.dtype), "padding")
            is_pad = a == pad
            if is_pad.ndim > 2:
                is_pad = is_pad.reshape(n, m, -1).all(axis=2)
            # the length of a row is one past its last non-padding value
            keep = ~is_pad
            row_len = np.where(keep.any(axis=1), m - np.argmax(keep[:, ::-1], axis=1), 0)
        else:
            row_len = np.full(n, m, np.int64)
        mask = np.arange(m)[None, :] < row_len[:, None]
        values = a[mask]
        return cls.from_row_lengths(convert_to_tensor(values, dtype=t.dtype), row_len)

    # -- structure ---------------------------------------------------------------------------
    @property
    def values(self):
        """The concatenated rows (a Tensor, or a RaggedTensor when ragged_rank > 1)."""
        return self._values

    @property
    def row_splits(self):
        """The int64 row-partitioning vector: row i is `values[row_splits[i]:row_splits[i+1]]`."""
        return self._row_splits

    @property
    def flat_values(self):
        """The innermost values: a dense Tensor."""
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self):
        """The row_splits of every ragged dimension, outermost first."""
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self):
        """The number of ragged dimensions."""
        return len(self.nested_row_splits)

    @property
    def dtype(self):
        """The DType of the values."""
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self):
        return _dtypes.int64

    @property
    def shape(self):
        """The static shape: [nrows, None (each ragged dim), *inner dims of flat_values]."""
        return TensorShape([self.nrows_int()] + [None] * self.ragged_rank
                           + list(self.flat_values.shape[1:]))

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return self.shape.rank

    def nrows_int(self):
        return int(self._row_splits.numpy().shape[0]) - 1

    def nrows(self, out_type=None, name=None):
        """The number of rows, as a scalar int64 tensor."""
        return convert_to_tensor(self.nrows_int(), dtype=out_type or "int64")

    def row_lengths(self, axis=1, name=None):
        """The length of each row in dimension `axis` (a Tensor for axis 1, else ragged).

        >>> tf.ragged.constant([[1, 2], [3], []]).row_lengths().numpy()
        array([2, 1, 0])
        """
        if axis == 0:
            raise ValueError("axis=0 is not a ragged dimension (use nrows())")
        if axis < 0:
            axis += self.shape.rank
        if axis == 1:
            return convert_to_tensor(np.diff(self._row_splits.numpy()).astype(np.int64))
        if not isinstance(self._values, RaggedTensor):
            dim = self._values.shape[axis - 1]
            n = int(self._row_splits.numpy()[-1])
            return RaggedTensor.from_row_splits(
                convert_to_tensor(np.full(n, dim, np.int64)), self._row_splits)
        return self.with_values(self._values.row_lengths(axis - 1))

    def row_starts(self, name=None):
        """The start index of each row in `values`."""
        return convert_to_tensor(self._row_splits.numpy()[:-1])

    def row_limits(self, name=None):
        """The end index (exclusive) of each row in `values`."""
        return convert_to_tensor(self._row_splits.numpy()[1:])

    def value_rowids(self, name=None):
        """The row index of each value.

        >>> tf.ragged.constant([[1, 2], [3], []]).value_rowids().numpy()
        array([0, 0, 1])
        """
        lengths = np.diff(self._row_splits.numpy())
        return convert_to_tensor(np.repeat(np.arange(lengths.size, dtype=np.int64), lengths))

    def bounding_shape(self, axis=None, name=None, out_type=None):
        """The smallest dense shape that holds every row.

        >>> tf.ragged.constant([[1, 2], [3], []]).bounding_shape().numpy()
        array([3, 2])
        """
        dims = _bounding_dims(self)
        out = convert_to_tensor(np.array(dims, np.int64), dtype=out_type or "int64")
        return out if axis is None else out[axis]

    def with_values(self, new_values):
        """This RaggedTensor's row partition over `new_values` (same number of rows)."""
        return RaggedTensor.from_row_splits(new_values, self._row_splits)

    def with_flat_values(self, new_values):
        """This RaggedTensor's nested row partition over new flat values."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def merge_dims(self, outer_axis, inner_axis):
        """Merges dimensions outer_axis..inner_axis into one (outer_axis=0, inner_axis=1 gives
        the values; dims past the ragged ones merge in the flat values)."""
        rank = self.shape.rank
        outer_axis = outer_axis + rank if outer_axis < 0 else outer_axis
        inner_axis = inner_axis + rank if inner_axis < 0 else inner_axis
        if not 0 <= outer_axis <= inner_axis < rank:
            raise ValueError(f"merge_dims: need 0 <= outer_axis <= inner_axis < rank ({rank})")
        result = self
        for _ in range(inner_axis - outer_axis):
            result = _merge_one(result, outer_axis)
        return result

    # -- conversion --------------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor, each row padded with `default_value` (0 by default) to the bounding
        shape, or cut/padded to `shape`.

        >>> tf.ragged.constant([[1, 2], [3]]).to_tensor().numpy()
        array([[1, 2],
               [3, 0]], dtype=int32)
        """
        dims = _bounding_dims(self)
        if shape is not None:
            want = list(shape.as_list() if isinstance(shape, TensorShape) else shape)
            if len(want) != len(dims):
                raise ValueError(f"to_tensor: shape {want} has rank {len(want)}, but the "
                                 f"RaggedTensor has rank {len(dims)}")
            dims = [d if w is None or w == -1 else int(w) for d, w in zip(dims, want)]
        np_dtype = self.dtype.np_dtype
        if default_value is None:
            fill = b"" if self.dtype.name == "string" else 0
        else:
            fill = _eager_array(convert_to_tensor(default_value, dtype=self.dtype),
                                "default_value")
        out = np.empty(dims, dtype=np_dtype)
        out[...] = fill
        _fill_dense(out, self.to_list_arrays())
        return convert_to_tensor(out, dtype=self.dtype)

    def to_list_arrays(self):
        """Nested Python lists whose leaves are NumPy arrays (rows of the flat values)."""
        flat = self.flat_values.numpy()
        rows = [flat[i] for i in range(flat.shape[0])]
        for splits in reversed(self.nested_row_splits):
            s = splits.numpy()
            rows = [rows[s[i]:s[i + 1]] for i in range(s.size - 1)]
        return rows

    def to_list(self):
        """The rows as nested Python lists.

        >>> tf.ragged.constant([[1, 2], [3]]).to_list()
        [[1, 2], [3]]
        """
        def conv(x):
            if isinstance(x, list):
                return [conv(v) for v in x]
            return x.tolist() if hasattr(x, "tolist") else x  # (string values are bytes)
        return conv(self.to_list_arrays())

    def numpy(self):
        """The rows as a NumPy object array of row arrays (as TF's RaggedTensor.numpy())."""
        values = self._values.numpy()
        s = self._row_splits.numpy()
        out = np.empty(s.size - 1, dtype=object)
        for i in range(s.size - 1):
            out[i] = values[s[i]:s[i + 1]]
        return out

    def __array__(self, dtype=None):
        raise TypeError("a RaggedTensor has no dense NumPy form; use .to_tensor().numpy(), "
                        ".numpy() (an object array of rows) or .to_list()")

    def __repr__(self):
        return f"<tf.RaggedTensor {_format(self.to_list_arrays())}>"

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("The truth value of a RaggedTensor is ambiguous; reduce it first "
                        "(tf.reduce_any / tf.reduce_all)")

    def __iter__(self):
        for i in range(self.nrows_int()):
            yield self[i]

    def __len__(self):
        return self.nrows_int()

    def __getitem__(self, key):
        return _getitem(self, key)

    def __hash__(self):
        return id(self)

    def _as_tensor(self):
        raise TypeError(
            "Cannot convert a RaggedTensor to a dense Tensor implicitly: its rows have "
            "different lengths. Use rt.to_tensor() (padded), rt.flat_values, or an op that "
            "takes RaggedTensors (elementwise math, reductions, tf.ragged.map_flat_values).")


def _nrows_of(values):
    if isinstance(values, RaggedTensor):
        return values.nrows_int()
    if values.shape.rank == 0:
        raise ValueError("RaggedTensor values must have rank >= 1")
    return int(values.shape[0])


def _bounding_dims(rt):
    rows = rt.to_list_arrays()
    inner = tuple(rt.flat_values.shape[1:])
    dims = [len(rows)]

    def visit(level, depth):
        while len(dims) <= depth:
            dims.append(0)
        for row in level:
            if isinstance(row, list):
                dims[depth] = max(dims[depth], len(row))
                visit(row, depth + 1)
    visit(rows, 1)
    dims = dims[:1 + rt.ragged_rank]
    while len(dims) < 1 + rt.ragged_rank:
        dims.append(0)
    return dims + [int(d) for d in inner]


def _fill_dense(out, rows):
    for i, row in enumerate(rows):
        if i >= out.shape[0]:
            break
        if isinstance(row, list):
            _fill_dense(out[i], row)
        else:
            out[i] = row[tuple(slice(0, d) for d in out.shape[1:])] if out.ndim > 1 else row


def _format(rows):
    if isinstance(rows, list):
        return "[" + ", ".join(_format(r) for r in rows) + "]"
    if np.ndim(rows):
        return "[" + ", ".join(_format(r) for r in rows) + "]"
    if isinstance(rows, np.floating):
        return str(rows)  # the shortest repr at the value's own precision, as TF prints
    return repr(rows.item() if isinstance(rows, np.generic) else rows)


def _merge_one(rt, axis):
    """Merge dimension `axis` with `axis + 1`."""
    if axis == 0:
        if isinstance(rt, RaggedTensor):
            return rt.values
        shape = rt.shape.as_list()
        return array_ops.reshape(rt, [-1] + shape[2:])
    if isinstance(rt, RaggedTensor):
        inner = _merge_one(rt.values, axis - 1)
        if axis == 1 and not isinstance(rt.values, RaggedTensor):
            # merging the ragged dim with a dense one: each row's length scales
            width = int(np.prod(rt.values.shape[1:2]))
            return RaggedTensor.from_row_splits(inner, rt.row_splits.numpy() * width)
        if axis == 1:
            s_outer, s_inner = rt.row_splits.numpy(), rt.values.row_splits.numpy()
            return RaggedTensor.from_row_splits(inner, s_inner[s_outer])
        return rt.with_values(inner)
    shape = rt.shape.as_list()
    return array_ops.reshape(rt, shape[:axis] + [-1] + shape[axis + 2:])


def _getitem(rt, key):
    if not isinstance(key, tuple):
        key = (key,)
    if not key:
        return rt
    first, rest = key[0], key[1:]
    s = rt.row_splits.numpy()
    n = s.size - 1
    if isinstance(first, Tensor):
        first = first.numpy().item()
    if isinstance(first, (int, np.integer)):
        i = int(first)
        if i < -n or i >= n:
            raise InvalidArgumentError(f"RaggedTensor index {i} is out of bounds for "
                                       f"{n} rows", "ragged_getitem")
        i %= n
        row = rt.values[int(s[i]):int(s[i + 1])]
        return _index_rest(row, rest)
    if isinstance(first, slice):
        idx = range(n)[first]
        if idx.step != 1:
            rows = [rt.values[int(s[i]):int(s[i + 1])] for i in idx]
            return _stack_rows(rows, rt)
        lo = int(s[idx.start]) if len(idx) else 0
        hi = int(s[idx.stop]) if len(idx) else 0
        new_splits = s[idx.start:idx.stop + 1] - (s[idx.start] if len(idx) else 0) \
            if len(idx) else np.zeros(1, np.int64)
        sliced = RaggedTensor.from_row_splits(rt.values[lo:hi], new_splits)
        if not rest:
            return sliced
        if rest[0] is Ellipsis or (isinstance(rest[0], slice) and rest[0] == slice(None)):
            return _map_rows(sliced, rest[1:]) if len(rest) > 1 else sliced
        return _map_rows(sliced, rest)
    if first is Ellipsis:
        return rt if not rest else _map_rows(rt, rest)
    raise TypeError(f"RaggedTensor indices must be ints or slices, got {first!r}")


def _index_rest(row, rest):
    if not rest:
        return row
    return row[rest] if not isinstance(row, RaggedTensor) else _getitem(row, rest)


def _map_rows(rt, rest):
    """Apply the indices `rest` to every row of rt (rows stay rows)."""
    rows = [_index_rest(rt[i], rest) for i in range(rt.nrows_int())]
    return _stack_rows(rows, rt)


def _stack_rows(rows, like):
    if all(not isinstance(r, RaggedTensor) and r.shape.rank == 0 for r in rows):
        return array_ops.stack(rows) if rows else convert_to_tensor(
            np.zeros(0, like.dtype.np_dtype))
    if all(not isinstance(r, RaggedTensor) for r in rows):
        lengths = [int(r.shape[0]) for r in rows]
        values = array_ops.concat(rows, 0) if rows else _empty_values(like)
        return RaggedTensor.from_row_lengths(values, lengths)
    lengths = [r.nrows_int() for r in rows]
    from .dispatch import concat_ragged
    return RaggedTensor.from_row_lengths(concat_ragged(rows), lengths)


def _empty_values(like):
    inner = tuple(like.flat_values.shape[1:])
    return convert_to_tensor(np.zeros((0,) + inner, like.dtype.np_dtype), dtype=like.dtype)
