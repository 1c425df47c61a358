"""batch, padded_batch and unbatch."""
import numpy as np

from .. import dtypes, nest
from ..ops.opdef import InvalidArgumentError
from ..tensor_shape import TensorShape
from ..tracing.signature import TensorSpec
from . import structure
from .dataset import INFINITE, UNKNOWN, Dataset
from .transforms import _Unary


def stack_rows(rows):
    """Stack a list of flat elements component by component; shapes must agree (TF's error
    otherwise)."""
    out = []
    for c in range(len(rows[0])):
        first = rows[0][c].shape
        for i, r in enumerate(rows):
            if r[c].shape != first:
                raise InvalidArgumentError(
                    f"Cannot batch tensors with different shapes in component {c}. First "
                    f"element had shape {list(first)} and element {i} had shape "
                    f"{list(r[c].shape)}. Use padded_batch to pad them to one shape.")
        out.append(np.stack([r[c] for r in rows]))
    return tuple(out)


def _batch_card(n, size, drop):
    if n < 0:
        return n
    return n // size if drop else -(-n // size)


class BatchDataset(_Unary):
    """`ds.batch(batch_size, drop_remainder)`: the batch dimension is None unless
    `drop_remainder` (then `batch_size`), as TF."""

    def __init__(self, input_dataset, batch_size, drop_remainder):
        super().__init__(input_dataset)
        self._size = int(batch_size)
        if self._size < 1:
            raise InvalidArgumentError(f"batch: batch_size must be > 0, got {self._size}")
        self._drop = bool(drop_remainder)
        dim = self._size if self._drop else None
        self._spec = nest.map_structure(lambda s: structure.batched_spec(s, dim),
                                        input_dataset.element_spec)

    def _cardinality(self):
        return _batch_card(self._input._cardinality(), self._size, self._drop)

    _fusion = True  # map-batch fusion (tf.data.Options().experimental_optimization)

    def _iter_flat(self):
        if not self._fusion:
            return Dataset._iter_batches(self._input, self._size, self._drop)
        return self._input._iter_batches(self._size, self._drop)


class PaddedBatchDataset(_Unary):
    """`ds.padded_batch(n, padded_shapes, padding_values)`: each component padded (at the
    end of every dim) to `padded_shapes` (None dims: the longest in the batch)."""

    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values,
                 drop_remainder):
        super().__init__(input_dataset)
        self._size = int(batch_size)
        if self._size < 1:
            raise InvalidArgumentError(f"padded_batch: batch_size must be > 0, got "
                                       f"{self._size}")
        self._drop = bool(drop_remainder)
        specs = nest.flatten(input_dataset.element_spec)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
            for s in specs:
                if s.shape.rank is None:
                    raise ValueError("padded_batch: padded_shapes is required for components "
                                     f"of unknown rank ({s})")
            shapes = [TensorShape([None] * s.shape.rank) for s in specs]
        else:
            shapes = [TensorShape(s) for s in _flatten_shapes(input_dataset.element_spec,
                                                               padded_shapes)]
        for s, p in zip(specs, shapes):
            if s.shape.rank is not None and p.rank != s.shape.rank:
                raise ValueError(f"padded_batch: padded shape {p} does not have the rank of "
                                 f"the component {s}")
        self._shapes = shapes
        if padding_values is None:
            pads = [b"" if s.dtype is dtypes.string else 0 for s in specs]
        else:
            pads = _flatten_shapes(input_dataset.element_spec, padding_values)
        self._pads = [np.asarray(structure.as_array(p, s.dtype)[0]) for p, s in
                      zip(pads, specs)]
        dim = self._size if self._drop else None
        self._spec = nest.pack_sequence_as(
            input_dataset.element_spec,
            [TensorSpec([dim] + p.as_list(), s.dtype) for s, p in zip(specs, shapes)])

    def _cardinality(self):
        return _batch_card(self._input._cardinality(), self._size, self._drop)

    def _pad(self, rows):
        out = []
        for c, (shape, pad) in enumerate(zip(self._shapes, self._pads)):
            arrays = [r[c] for r in rows]
            target = []
            for d, want in enumerate(shape.as_list()):
                longest = max(a.shape[d] for a in arrays)
                if want is not None and longest > want:
                    raise InvalidArgumentError(
                        f"padded_batch: component {c} has size {longest} in dimension {d}, "
                        f"larger than its padded shape {shape}")
                target.append(longest if want is None else want)
            batch = np.full([len(arrays)] + target, pad, dtype=arrays[0].dtype)
            for i, a in enumerate(arrays):
                batch[(i,) + tuple(slice(0, k) for k in a.shape)] = a
            out.append(batch)
        return tuple(out)

    def _iter_flat(self):
        rows = []
        for flat in self._input._iter_flat():
            rows.append(flat)
            if len(rows) == self._size:
                yield self._pad(rows)
                rows = []
        if rows and not self._drop:
            yield self._pad(rows)


def _flatten_shapes(spec, value):
    """Flatten shapes / padding values following the element structure (a shape is a list,
    so it is a leaf here)."""
    if not nest.is_nested(spec):
        return [value]
    if isinstance(spec, dict):
        return [x for k in sorted(spec) for x in _flatten_shapes(spec[k], value[k])]
    if not isinstance(value, (tuple, list)) or len(value) != len(spec):
        return [value] * len(nest.flatten(spec))  # one value for every component
    return [x for s, v in zip(spec, value) for x in _flatten_shapes(s, v)]


class UnbatchDataset(_Unary):
    """`ds.unbatch()`: the rows of every element."""

    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        specs = nest.flatten(input_dataset.element_spec)
        for s in specs:
            if s.shape.rank == 0:
                raise ValueError(f"unbatch: every component must have rank >= 1, got {s}")
        self._spec = nest.pack_sequence_as(input_dataset.element_spec,
                                           [structure.unbatched_spec(s) for s in specs])

    def _cardinality(self):
        n = self._input._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN

    def _iter_flat(self):
        for flat in self._input._iter_flat():
            n = flat[0].shape[0]
            for a in flat[1:]:
                if a.shape[0] != n:
                    raise InvalidArgumentError(
                        f"unbatch: the components of an element have different batch sizes "
                        f"({n} and {a.shape[0]})")
            for i in range(n):
                yield tuple(a[i, ...] for a in flat)



class RebatchDataset(_Unary):
    """`ds.rebatch([b0, b1, ...])`: batches of b0, b1, ... rows in turn, cycling."""

    def __init__(self, input_dataset, sizes, drop_remainder):
        super().__init__(input_dataset)
        if not sizes or min(sizes) < 0:
            raise InvalidArgumentError(f"rebatch: batch sizes must be >= 0, got {sizes}")
        self._sizes, self._drop = sizes, bool(drop_remainder)
        specs = nest.flatten(input_dataset.element_spec)
        dim = sizes[0] if self._drop and len(set(sizes)) == 1 else None
        self._spec = nest.pack_sequence_as(input_dataset.element_spec, [
            structure.batched_spec(structure.unbatched_spec(s), dim) for s in specs])

    def _cardinality(self):
        return UNKNOWN if self._input._cardinality() != INFINITE else INFINITE

    def _iter_flat(self):
        rows, k = [], 0
        for row in UnbatchDataset(self._input)._iter_flat():
            rows.append(row)
            while len(rows) >= self._sizes[k % len(self._sizes)]:
                n = self._sizes[k % len(self._sizes)]
                yield stack_rows(rows[:n]) if n else _empty(self._spec, rows[0])
                rows, k = rows[n:], k + 1
        if rows and not self._drop:
            yield stack_rows(rows)


def _empty(spec, row):
    return tuple(np.zeros((0,) + a.shape, a.dtype) for a in row)
