"""File datasets: list_files, TextLineDataset, TFRecordDataset, FixedLengthRecordDataset and
CsvDataset (tf.string elements are NumPy bytes objects, see structure.py)."""
import csv
import glob
import gzip
import io
import os
import zlib

import numpy as np

from .. import dtypes
from ..errors import DataLossError, NotFoundError
from ..io.tfrecord import tf_record_iterator
from ..ops.opdef import InvalidArgumentError
from ..string_tensor import string_tensor
from ..tracing.signature import TensorSpec
from . import structure
from .dataset import UNKNOWN, Dataset

_STRING = TensorSpec([], dtypes.string)


def _scalar_bytes(value):
    arr = np.empty((), dtype=object)
    arr[()] = value
    return arr


def _filenames(filenames, what):
    """File names from a str/path, a list of them, a string tensor or a dataset of names."""
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype is not dtypes.string:
            raise TypeError(f"{what}: a dataset of filenames must hold scalar tf.string "
                            f"elements, got {spec}")
        return filenames
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    elif hasattr(filenames, "_value"):  # a string tensor (scalar or vector)
        filenames = list(np.asarray(filenames._value, dtype=object).reshape(-1))
    names = []
    for f in filenames:
        if hasattr(f, "_value"):
            f = f._value[()]
        names.append(os.fsencode(f))
    return Dataset.from_tensor_slices(string_tensor(np.array(names, dtype=object)))


class _FileDataset(Dataset):
    """Elements read file by file (or interleaved over `num_parallel_reads` files)."""

    def __init__(self, filenames, what, num_parallel_reads=None):
        self._files = _filenames(filenames, what)
        self._parallel = num_parallel_reads

    def _inputs(self):
        return [self._files]

    def _cardinality(self):
        return UNKNOWN

    def _read(self, path):
        raise NotImplementedError  # abstract: each reader defines it

    def _iter_flat(self):
        if self._parallel not in (None, 0, 1):
            ds = self._files.interleave(lambda f: _OneFile(self, f), cycle_length=int(
                self._parallel) if int(self._parallel) > 0 else None, num_parallel_calls=None)
            yield from ds._iter_flat()
            return
        for (name,) in self._files._iter_flat():
            yield from self._read(os.fsdecode(name[()]))


class _OneFile(Dataset):
    def __init__(self, reader, name):
        self._reader, self._name = reader, os.fsdecode(name.numpy())
        self._spec = reader.element_spec

    def _iter_flat(self):
        return self._reader._read(self._name)


def _open(path, compression_type):
    kind = "" if compression_type is None else str(compression_type).upper()
    try:
        if kind == "GZIP":
            return gzip.open(path, "rb")
        if kind == "ZLIB":
            with open(path, "rb") as fh:
                return io.BytesIO(zlib.decompress(fh.read()))
        if kind:
            raise ValueError(f"compression_type must be '', 'ZLIB' or 'GZIP', got {kind!r}")
        return open(path, "rb")
    except FileNotFoundError:
        raise NotFoundError(f"{path}; No such file or directory") from None


class TextLineDataset(_FileDataset):
    """TF's `tf.data.TextLineDataset(filenames)`: the lines of text files as scalar tf.string
    tensors, without their line ending (\\n or \\r\\n).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = open(path, "w").write("one\\ntwo\\n")
    >>> for line in tf.data.TextLineDataset(path): print(line.numpy())
    b'one'
    b'two'
    """

    _tf_name = "TextLineDatasetV2"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        super().__init__(filenames, "TextLineDataset", num_parallel_reads)
        self._compression = compression_type
        self._spec = _STRING

    def _read(self, path):
        with _open(path, self._compression) as fh:
            for line in fh:
                if line.endswith(b"\n"):
                    line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
                yield (_scalar_bytes(line),)


class TFRecordDataset(_FileDataset):
    """TF's `tf.data.TFRecordDataset(filenames, compression_type=None)`: the records of
    TFRecord files as scalar tf.string tensors; a corrupted file raises DataLossError naming
    the file and offset.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'r.tfrecord')
    >>> with tf.io.TFRecordWriter(path) as w:
    ...     for text in (b'a', b'bc'):
    ...         w.write(text)
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path)]
    [b'a', b'bc']
    """

    _tf_name = "TFRecordDatasetV2"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        super().__init__(filenames, "TFRecordDataset", num_parallel_reads)
        self._compression = "" if compression_type is None else compression_type
        self._spec = _STRING

    def _read(self, path):
        for record in tf_record_iterator(path, self._compression):
            yield (_scalar_bytes(record),)


class FixedLengthRecordDataset(_FileDataset):
    """TF's `tf.data.FixedLengthRecordDataset(filenames, record_bytes, header_bytes,
    footer_bytes)`: fixed-size records as tf.string.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'r.bin')
    >>> _ = open(path, 'wb').write(b'aabbcc')
    >>> [r.numpy() for r in tf.data.FixedLengthRecordDataset(path, record_bytes=2)]
    [b'aa', b'bb', b'cc']
    """

    _tf_name = "FixedLengthRecordDatasetV2"

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        super().__init__(filenames, "FixedLengthRecordDataset", num_parallel_reads)
        self._record = int(record_bytes)
        self._header, self._footer = int(header_bytes or 0), int(footer_bytes or 0)
        self._compression = compression_type
        self._spec = _STRING

    def _read(self, path):
        with _open(path, self._compression) as fh:
            data = fh.read()
        body = data[self._header:len(data) - self._footer]
        if len(body) % self._record:
            raise DataLossError(f"Excluding the header ({self._header} bytes) and footer "
                                f"({self._footer} bytes), input file \"{path}\" has body "
                                f"length {len(body)} bytes, which is not an exact multiple of "
                                f"the record length ({self._record} bytes).")
        for i in range(0, len(body), self._record):
            yield (_scalar_bytes(body[i:i + self._record]),)


def list_files(file_pattern, shuffle=None, seed=None):
    """`Dataset.list_files`: matching file names (sorted, then shuffled unless
    shuffle=False)."""
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else \
        list(file_pattern)
    names = []
    for p in patterns:
        p = os.fsdecode(p.numpy() if hasattr(p, "numpy") else p)
        names.extend(glob.glob(p))
    names = sorted(set(names))
    if not names:
        raise InvalidArgumentError(f"Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be "
                                   f"true. Summarized data: b'No files matched pattern: "
                                   f"{', '.join(os.fsdecode(p) for p in patterns)}'")
    ds = Dataset.from_tensor_slices(string_tensor(np.array(
        [n.encode() for n in names], dtype=object)))
    if shuffle is None or shuffle:
        ds = ds.shuffle(len(names), seed=seed)
    return ds


class CsvDataset(_FileDataset):
    """TF's `tf.data.experimental.CsvDataset(filenames, record_defaults, header=False, ...)`:
    each CSV record as a tuple of scalars; `record_defaults` gives each column's dtype
    (a dtype: required; a value: its default for empty fields).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'data.csv')
    >>> _ = open(path, 'w').write('x,y\\n1,2.5\\n3,4.5\\n')
    >>> ds = tf.data.experimental.CsvDataset(path, [tf.int32, tf.float32], header=True)
    >>> [(int(x), float(y)) for x, y in ds]
    [(1, 2.5), (3, 4.5)]
    """

    _tf_name = "CsvDatasetV2"

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        super().__init__(filenames, "CsvDataset")
        self._compression = compression_type
        self._header, self._delim = bool(header), field_delim
        self._quote, self._na = use_quote_delim, na_value
        self._defaults = []
        for d in record_defaults:
            if isinstance(d, dtypes.DType) or (isinstance(d, type) and d in (float, int, str)):
                dt = dtypes.as_dtype(d) if isinstance(d, dtypes.DType) else {
                    float: dtypes.float32, int: dtypes.int32, str: dtypes.string}[d]
                self._defaults.append((dt, None))
            else:
                if hasattr(d, "numpy"):
                    d = d.numpy()
                arr, dt = structure.as_array(d)
                arr = arr.reshape(-1)
                self._defaults.append((dt, arr[0] if arr.size else None))
        self._cols = list(range(len(self._defaults))) if select_cols is None else \
            [int(c) for c in select_cols]
        self._exclude = set(exclude_cols or ())
        self._spec = tuple(TensorSpec([], dt) for dt, _ in self._defaults)

    def _read(self, path):
        with _open(path, self._compression) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            reader = csv.reader(text, delimiter=self._delim,
                                quoting=csv.QUOTE_MINIMAL if self._quote else csv.QUOTE_NONE)
            for line_no, row in enumerate(reader):
                if line_no == 0 and self._header:
                    continue
                if not row:
                    continue
                cols = [c for c in self._cols if c not in self._exclude] if \
                    self._exclude else self._cols
                if max(cols) >= len(row):
                    raise InvalidArgumentError(f"Expect {len(self._defaults)} fields but have "
                                               f"{len(row)} in record {line_no} of {path}")
                yield tuple(self._convert(row[c], k, line_no, path)
                            for k, c in enumerate(cols))

    def _convert(self, text, k, line_no, path):
        dt, default = self._defaults[k]
        if text == "" or text == self._na:
            if default is None:
                raise InvalidArgumentError(f"Field {k} is required but missing in record "
                                           f"{line_no} of {path}!")
            return np.asarray(default, dtype=object if dt is dtypes.string else dt.np_dtype)
        if dt is dtypes.string:
            return _scalar_bytes(text.encode("utf-8"))
        try:
            value = float(text) if dt.is_floating else int(text)
        except ValueError:
            raise InvalidArgumentError(f"Field {k} in record {line_no} of {path} is not a valid "
                                       f"{dt.name}: {text!r}") from None
        return np.asarray(value, dtype=dt.np_dtype)


__all__ = ["TextLineDataset", "TFRecordDataset", "FixedLengthRecordDataset", "CsvDataset",
           "list_files"]
