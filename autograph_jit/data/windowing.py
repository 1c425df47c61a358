"""window, group_by_window and bucket_by_sequence_length."""
import collections

import numpy as np

from .. import dtypes, nest
from ..ops.opdef import InvalidArgumentError
from ..tracing.signature import TensorSpec
from . import structure
from .dataset import INFINITE, UNKNOWN, Dataset
from .mapfn import DatasetFunction
from .transforms import _Unary


class _ListDataset(Dataset):
    """A finite dataset over a list of flat elements (one window's component)."""

    def __init__(self, rows, spec):
        self._rows, self._spec = rows, spec

    def _cardinality(self):
        return len(self._rows)

    def _iter_flat(self):
        return iter(self._rows)


class WindowDataset(_Unary):
    """`ds.window(size, shift, stride, drop_remainder)`: window k holds elements
    k*shift + j*stride (j < size); each window is the element's structure of datasets."""

    def __init__(self, input_dataset, size, shift, stride, drop_remainder):
        super().__init__(input_dataset)
        self._size = int(size)
        self._shift = self._size if shift is None else int(shift)
        self._stride = int(stride)
        if min(self._size, self._shift, self._stride) < 1:
            raise InvalidArgumentError("window: size, shift and stride must be positive")
        self._drop = bool(drop_remainder)
        specs = nest.flatten(input_dataset.element_spec)
        self._specs = specs
        self._spec = nest.pack_sequence_as(input_dataset.element_spec,
                                           [structure.DatasetSpec(s) for s in specs])

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        if self._drop:
            span = (self._size - 1) * self._stride + 1
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)

    def _iter_flat(self):
        it = self._input._iter_flat()
        buf = collections.deque()
        first = 0  # absolute index of buf[0]
        exhausted = False
        start = 0
        while True:
            last = start + (self._size - 1) * self._stride
            while not exhausted and first + len(buf) <= last:
                try:
                    buf.append(next(it))
                except StopIteration:
                    exhausted = True
            idx = [i for i in range(start, last + 1, self._stride) if i < first + len(buf)]
            if not idx or (self._drop and len(idx) < self._size):
                return
            rows = [buf[i - first] for i in idx]
            yield tuple(_ListDataset([(r[c],) for r in rows], s)
                        for c, s in enumerate(self._specs))
            start += self._shift
            while buf and first < start:
                buf.popleft()
                first += 1


class GroupByWindowDataset(_Unary):
    """`ds.group_by_window(key_func, reduce_func, window_size)`: elements grouped by their
    int64 key; a full window (or, at the end, every partial one, in first-seen order) is
    replaced by the elements of `reduce_func(key, window_dataset)`."""

    def __init__(self, input_dataset, key_func, reduce_func, window_size, window_size_func,
                 host_key=None):
        super().__init__(input_dataset)
        if (window_size is None) == (window_size_func is None):
            raise ValueError("group_by_window: pass exactly one of window_size and "
                             "window_size_func")
        self._key = host_key or DatasetFunction(key_func, self._spec, "group_by_window key_func")
        if host_key is None and not self._key.eager:
            ks = self._key.output_spec
            if not isinstance(ks, TensorSpec) or ks.dtype is not dtypes.int64 or ks.shape.rank:
                raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor, "
                                 f"got {ks}")
        self._reduce = reduce_func
        if window_size is not None:
            fixed = int(window_size)
            self._window_size = lambda key: fixed
        else:
            self._window_size = lambda key: int(window_size_func(structure.wrap(
                np.asarray(np.int64(key)), dtypes.int64)))
        if host_key is not None:
            self._window_size = window_size_func
        self._out_spec = None

    @property
    def element_spec(self):
        if self._out_spec is None:
            for _ in self._iter_flat():
                break
            if self._out_spec is None:
                raise ValueError("group_by_window: the input is empty, so the element spec of "
                                 "reduce_func's datasets is unknown")
        return self._out_spec

    def _cardinality(self):
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN

    def _emit(self, key, rows):
        window = _ListDataset(rows, self._spec)
        out = self._reduce(structure.wrap(np.asarray(np.int64(key)), dtypes.int64), window)
        if not isinstance(out, Dataset):
            raise TypeError("group_by_window: reduce_func must return a tf.data.Dataset, got "
                            f"{type(out).__name__}")
        if self._out_spec is None:
            self._out_spec = out.element_spec
        return out._iter_flat()

    def _iter_flat(self):
        groups = {}
        for flat in self._input._iter_flat():
            key = int(self._key(flat)[0])
            rows = groups.setdefault(key, [])
            rows.append(flat)
            if len(rows) >= self._window_size(key):
                del groups[key]
                yield from self._emit(key, rows)
        for key in sorted(groups):  # TF flushes the partial windows in key order
            yield from self._emit(key, groups[key])


def bucket_by_sequence_length(ds, element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes, padding_values, pad_to_bucket_boundary,
                              no_padding, drop_remainder):
    """TF's bucketing: bucket i holds lengths in [boundaries[i-1], boundaries[i]); each
    bucket is batched with its batch size (padded unless `no_padding`)."""
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError("len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1")
    if boundaries != sorted(boundaries):
        raise ValueError("bucket_boundaries must be sorted")
    lengths = DatasetFunction(element_length_func, ds.element_spec,
                              "bucket_by_sequence_length element_length_func")

    def host_key(flat):
        length = int(lengths(flat)[0])
        return (int(np.searchsorted(boundaries, length, side="right")),)

    def reduce_func(key, window):
        k = int(key)
        size = sizes[k]
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            if k == len(boundaries):
                raise InvalidArgumentError("bucket_by_sequence_length: with "
                                           "pad_to_bucket_boundary an element is longer than "
                                           "the last boundary")
            bound = boundaries[k] - 1
            shapes = nest.map_structure(
                lambda s: TensorSpec([bound] + [None] * (s.shape.rank - 1), s.dtype).shape,
                ds.element_spec) if padded_shapes is None else padded_shapes
        return window.padded_batch(size, shapes, padding_values,
                                   drop_remainder=drop_remainder)

    return GroupByWindowDataset(ds, None, reduce_func, None, lambda key: sizes[int(key)],
                                host_key=host_key)
