"""`tf.data.experimental`: CSV helpers, cardinality constants and assertions, and the
transformation functions TF keeps here (`ds.apply(tf.data.experimental.X(...))`)."""
import collections
import csv
import glob
import io
import os

import numpy as np

from .. import dtypes
from ..errors import FailedPreconditionError
from ..io.tfrecord import TFRecordOptions, TFRecordWriter as _Writer
from ..ops.opdef import InvalidArgumentError
from ..tracing.signature import TensorSpec
from .dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from .readers import CsvDataset, _open
from . import transforms as _transforms
from .transforms import _Unary
from .options import AutoShardPolicy, DistributeOptions  # noqa: F401  (TF: tf.data.experimental.*)

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "CsvDataset",
           "make_csv_dataset", "assert_cardinality", "cardinality", "sample_from_datasets",
           "choose_from_datasets", "group_by_window", "bucket_by_sequence_length", "unbatch",
           "enumerate_dataset", "scan", "take_while", "unique", "ignore_errors",
           "TFRecordWriter"]


class _AssertCardinality(_Unary):
    def __init__(self, input_dataset, expected):
        super().__init__(input_dataset)
        self._expected = int(expected)

    def _cardinality(self):
        return self._expected

    def _iter_flat(self):
        n = 0
        for flat in self._input._iter_flat():
            n += 1
            if self._expected >= 0 and n > self._expected:
                raise _cardinality_error(self._expected, "at least", n)
            yield flat
        if self._expected == INFINITE or (self._expected >= 0 and n < self._expected):
            raise _cardinality_error(self._expected, "", n)


def _cardinality_error(expected, qualifier, got):
    want = "infinite" if expected == INFINITE else str(expected)
    sep = " " if qualifier else ""
    return FailedPreconditionError(f"Input dataset was expected to contain {want} elements but "
                                   f"contained only {got} elements." if not qualifier else
                                   f"Input dataset was expected to contain {want} elements but "
                                   f"contained{sep}{qualifier} {got} elements.")


def assert_cardinality(expected_cardinality):
    """A transformation asserting the dataset has `expected_cardinality` elements (and
    declaring it, so `len()` works): FailedPreconditionError when iteration disagrees.

    >>> ds = tf.data.Dataset.range(5).filter(lambda x: x < 10)
    >>> int(ds.cardinality())
    -2
    >>> int(ds.apply(tf.data.experimental.assert_cardinality(5)).cardinality())
    5
    """
    expected = int(expected_cardinality)
    return lambda ds: _AssertCardinality(ds, expected)


def cardinality(dataset):
    """Returns the cardinality of `dataset`, if known.

    Args:
      dataset: a `tf.data.Dataset`.

    Returns:
      A scalar int64 tensor: the number of elements, or `tf.data.INFINITE_CARDINALITY` (-1) or
      `tf.data.UNKNOWN_CARDINALITY` (-2).

    >>> int(tf.data.experimental.cardinality(tf.data.Dataset.range(5).batch(2)))
    3
    """
    return dataset.cardinality()


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """Samples elements at random from the datasets in `datasets`.

    Args:
      datasets: a list of datasets with the same element structure.
      weights: the probability of picking each dataset (default: uniform).
      seed: the random seed.
      stop_on_empty_dataset: stop when any dataset is exhausted (default: go on with the others).

    Returns:
      A dataset interleaving the elements of `datasets` at random.

    >>> ds = tf.data.experimental.sample_from_datasets(
    ...     [tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)], seed=1)
    >>> sorted(int(x) for x in ds)
    [0, 1, 2, 10, 11, 12]
    """
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """Creates a dataset that deterministically chooses elements from `datasets`.

    Args:
      datasets: a list of datasets with the same element structure.
      choice_dataset: a dataset of int64 scalars, the index of the dataset to take each element
        from.
      stop_on_empty_dataset: stop when a chosen dataset is exhausted.

    Returns:
      A dataset of the chosen elements.

    >>> letters = [tf.data.Dataset.range(0, 3), tf.data.Dataset.range(10, 13)]
    >>> choice = tf.data.Dataset.from_tensor_slices(tf.constant([0, 1, 1, 0], tf.int64))
    >>> [int(x) for x in tf.data.experimental.choose_from_datasets(letters, choice)]
    [0, 10, 11, 1]
    """
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """A transformation that groups windows of elements by key and reduces them.

    Args:
      key_func: maps an element to an int64 key.
      reduce_func: maps (key, a dataset of up to `window_size` elements of that key) to a dataset.
      window_size: the number of elements a window holds.
      window_size_func: maps a key to its window size (instead of `window_size`).

    Returns:
      A function for `Dataset.apply`.

    >>> ds = tf.data.Dataset.range(6).apply(tf.data.experimental.group_by_window(
    ...     key_func=lambda x: x % 2, reduce_func=lambda key, w: w.batch(3), window_size=3))
    >>> [x.numpy().tolist() for x in ds]
    [[0, 2, 4], [1, 3, 5]]
    """
    return lambda ds: ds.group_by_window(key_func, reduce_func, window_size, window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """A transformation that buckets elements in a Dataset by length and pads each batch.

    Args:
      element_length_func: maps an element to its int32 length.
      bucket_boundaries: the upper length bounds of the buckets (exclusive), ascending.
      bucket_batch_sizes: the batch size of each bucket (one more than the boundaries).
      padded_shapes, padding_values: as `Dataset.padded_batch`.
      pad_to_bucket_boundary: pad to the bucket's boundary - 1 rather than the batch's longest.
      no_padding: batch without padding (elements of a bucket must have equal shapes).
      drop_remainder: drop each bucket's last, smaller batch.

    Returns:
      A function for `Dataset.apply`.

    >>> ds = tf.data.Dataset.from_generator(lambda: ([1] * n for n in (1, 3, 2, 4)),
    ...     output_signature=tf.TensorSpec([None], tf.int32))
    >>> ds = ds.apply(tf.data.experimental.bucket_by_sequence_length(
    ...     lambda x: tf.shape(x)[0], bucket_boundaries=[3], bucket_batch_sizes=[2, 2]))
    >>> [b.shape.as_list() for b in ds]
    [[2, 2], [2, 4]]
    """
    return lambda ds: ds.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
        padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def unbatch():
    """Splits elements of a dataset into multiple elements on the batch dimension.

    Returns:
      A function for `Dataset.apply` (the same as `Dataset.unbatch()`).

    >>> ds = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]]).apply(
    ...     tf.data.experimental.unbatch())
    >>> [int(x) for x in ds]
    [1, 2, 3, 4]
    """
    return lambda ds: ds.unbatch()


def enumerate_dataset(start=0):
    """A transformation that enumerates the elements of a dataset: `(index, element)` pairs.

    Args:
      start: the first index.

    Returns:
      A function for `Dataset.apply` (the same as `Dataset.enumerate(start)`).

    >>> ds = tf.data.Dataset.from_tensor_slices([7, 8]).apply(
    ...     tf.data.experimental.enumerate_dataset(start=1))
    >>> [(int(i), int(x)) for i, x in ds]
    [(1, 7), (2, 8)]
    """
    return lambda ds: ds.enumerate(start)


def scan(initial_state, scan_func):
    """A transformation that scans a function across an input dataset, carrying a state.

    Args:
      initial_state: the first state (a nested structure of tensors).
      scan_func: maps (state, element) to (new state, output element).

    Returns:
      A function for `Dataset.apply` (the same as `Dataset.scan`).

    >>> ds = tf.data.Dataset.range(5).apply(tf.data.experimental.scan(
    ...     tf.constant(0, tf.int64), lambda total, x: (total + x, total + x)))
    >>> [int(x) for x in ds]
    [0, 1, 3, 6, 10]
    """
    return lambda ds: ds.scan(initial_state, scan_func)


def take_while(predicate):
    """A transformation that stops dataset iteration based on a predicate.

    Args:
      predicate: maps an element to a scalar bool tensor; iteration stops at the first False.

    Returns:
      A function for `Dataset.apply` (the same as `Dataset.take_while`).

    >>> ds = tf.data.Dataset.range(10).apply(tf.data.experimental.take_while(lambda x: x < 3))
    >>> [int(x) for x in ds]
    [0, 1, 2]
    """
    return lambda ds: ds.take_while(predicate)


def unique():
    """Creates a Dataset from another Dataset, discarding duplicates.

    Returns:
      A function for `Dataset.apply` (the same as `Dataset.unique()`); the first occurrence of
      each element is kept, in order.

    >>> ds = tf.data.Dataset.from_tensor_slices([1, 3, 1, 2, 3]).apply(tf.data.experimental.unique())
    >>> [int(x) for x in ds]
    [1, 3, 2]
    """
    return lambda ds: ds.unique()


class TFRecordWriter:
    """TF's `tf.data.experimental.TFRecordWriter(filename, compression_type=None)`: `write(ds)`
    writes every scalar tf.string element of `ds` as one record.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'r.tfrecord')
    >>> tf.data.experimental.TFRecordWriter(path).write(tf.data.Dataset.from_tensor_slices([b'a', b'b']))
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path)]
    [b'a', b'b']
    """

    def __init__(self, filename, compression_type=None):
        self._filename, self._compression = filename, compression_type

    def write(self, dataset):
        spec = dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype is not dtypes.string or \
                spec.shape.rank != 0:
            raise TypeError(f"TFRecordWriter.write expects a dataset of scalar tf.string "
                            f"elements, got {spec}")
        with _Writer(self._filename, TFRecordOptions(self._compression)) as w:
            for (record,) in dataset._iter_flat():
                w.write(record[()])


class _IgnoreErrors(_Unary):
    """Iterates its input with errors skipped: map and filter stages drop an element whose
    function raised InvalidArgumentError and go on (transforms.skipping_errors); an error
    raised by any other stage is raised again (its generator cannot resume after raising).
    `log_warning`: warn for each dropped element."""

    def __init__(self, input_dataset, log_warning=False):
        super().__init__(input_dataset)
        self._log_warning = log_warning

    def _iter_flat(self):
        it = None
        while True:
            _transforms._SKIP_ERRORS.depth = getattr(_transforms._SKIP_ERRORS, "depth", 0) + 1
            _transforms._SKIP_ERRORS.log_warning = self._log_warning
            try:
                if it is None:
                    it = iter(self._input._iter_flat())
                flat = next(it)
            except StopIteration:
                return
            except InvalidArgumentError as e:
                # raised by a stage that cannot go on after an error (not map/filter): say so
                # rather than end the dataset early without a word
                raise InvalidArgumentError(
                    f"ignore_errors: an element failed outside a map or filter function, and "
                    f"that stage cannot continue after an error: {e}") from e
            finally:
                _transforms._SKIP_ERRORS.depth -= 1
            yield flat


def ignore_errors(log_warning=False):
    """Drops elements whose map or filter function raised InvalidArgumentError.

    >>> ds = tf.data.Dataset.from_tensor_slices([1., 2., 0., 4.])
    >>> ds = ds.map(lambda x: tf.debugging.check_numerics(1. / x, "error"))
    >>> [float(x) for x in ds.apply(tf.data.experimental.ignore_errors())]
    [1.0, 0.5, 0.25]
    """
    return lambda ds: _IgnoreErrors(ds, log_warning)


# -- make_csv_dataset ---------------------------------------------------------------------------

_INFER_ORDER = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string)


def _infer_type(values, na_value):
    best = 0
    for v in values:
        if v == "" or v == na_value:
            continue
        while best < 4:
            dt = _INFER_ORDER[best]
            try:
                if dt.is_integer:
                    iv = int(v)
                    if dt is dtypes.int32 and not -2**31 <= iv < 2**31:
                        raise ValueError
                else:
                    fv = float(v)
                    if dt is dtypes.float32 and np.isinf(np.float32(fv)) and not np.isinf(fv):
                        raise ValueError
                break
            except ValueError:
                best += 1
    return _INFER_ORDER[best]


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """TF's `tf.data.experimental.make_csv_dataset`: batches of (OrderedDict of columns, label)
    read from CSV files, column types inferred from the first rows (int32, int64, float32,
    float64, string), repeated `num_epochs` times (forever when None) and shuffled by default.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'data.csv')
    >>> _ = open(path, 'w').write('x,label\\n1,0\\n2,1\\n3,0\\n')
    >>> ds = tf.data.experimental.make_csv_dataset(path, batch_size=3, label_name='label', num_epochs=1, shuffle=False)
    >>> features, labels = next(iter(ds))
    >>> [features['x'].numpy(), labels.numpy()]
    [array([1, 2, 3], dtype=int32), array([0, 1, 0], dtype=int32)]
    """
    patterns = [file_pattern] if isinstance(file_pattern, (str, os.PathLike)) else \
        list(file_pattern)
    files = sorted(set(f for p in patterns for f in glob.glob(os.fspath(p))))
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    with _open(files[0], compression_type) as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        rows = []
        for i, row in enumerate(csv.reader(text, delimiter=field_delim)):
            rows.append(row)
            if i >= num_rows_for_inference:
                break
    if column_names is None:
        if not header:
            raise ValueError("make_csv_dataset: `column_names` is required when header=False")
        column_names = rows[0]
    body = rows[1:] if header else rows
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError("make_csv_dataset: column names must be unique")
    if select_columns is not None:
        idx = [c if isinstance(c, int) else column_names.index(c) for c in select_columns]
    else:
        idx = list(range(len(column_names)))
    if label_name is not None and label_name not in [column_names[i] for i in idx]:
        raise ValueError(f"make_csv_dataset: label column {label_name!r} is not among the "
                         f"columns {column_names}")
    if column_defaults is None:
        column_defaults = [_infer_type([r[i] for r in body if i < len(r)], na_value)
                           for i in idx]
        defaults = [b"" if dt is dtypes.string else np.zeros((), dt.np_dtype)
                    for dt in column_defaults]
    else:
        defaults = list(column_defaults)
    names = [column_names[i] for i in idx]
    csv_ds = CsvDataset(files, defaults, compression_type=compression_type, header=header,
                        field_delim=field_delim, use_quote_delim=use_quote_delim,
                        na_value=na_value, select_cols=idx)

    def to_features(*cols):
        feats = collections.OrderedDict(zip(names, cols))
        if label_name is None:
            return feats
        label = feats.pop(label_name)
        return feats, label
    out = csv_ds
    if ignore_errors:
        out = out.apply(globals()["ignore_errors"]())
    if num_epochs != 1:
        out = out.repeat(num_epochs)
    if shuffle:
        out = out.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    out = out.batch(batch_size, drop_remainder=num_epochs is None)
    out = out.map(to_features)
    return out.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)
