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
from .transforms import _Unary

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
    declaring it, so `len()` works): FailedPreconditionError when iteration disagrees."""
    expected = int(expected_cardinality)
    return lambda ds: _AssertCardinality(ds, expected)


def cardinality(dataset):
    return dataset.cardinality()


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    return lambda ds: ds.group_by_window(key_func, reduce_func, window_size, window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    return lambda ds: ds.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
        padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def unbatch():
    return lambda ds: ds.unbatch()


def enumerate_dataset(start=0):
    return lambda ds: ds.enumerate(start)


def scan(initial_state, scan_func):
    return lambda ds: ds.scan(initial_state, scan_func)


def take_while(predicate):
    return lambda ds: ds.take_while(predicate)


def unique():
    return lambda ds: ds.unique()


class TFRecordWriter:
    """TF's `tf.data.experimental.TFRecordWriter(filename, compression_type=None)`: `write(ds)`
    writes every scalar tf.string element of `ds` as one record."""

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
    def _iter_flat(self):
        it = self._input._iter_flat()
        while True:
            try:
                flat = next(it)
            except StopIteration:
                return
            except InvalidArgumentError:
                continue
            yield flat


def ignore_errors(log_warning=False):
    """Drops elements whose production raised InvalidArgumentError."""
    return lambda ds: _IgnoreErrors(ds)


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
