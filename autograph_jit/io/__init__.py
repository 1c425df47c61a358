"""`tf.io`: TFRecord files (`TFRecordWriter`, `TFRecordOptions`, `tf_record_iterator`),
`tf.train.Example` parsing (`parse_single_example`, `parse_example`, `FixedLenFeature`,
`VarLenFeature`, `FixedLenSequenceFeature`), `serialize_tensor` / `parse_tensor`,
`read_file` / `write_file`. The protobuf messages need the `protobuf` package (extra `data`).
"""
import os

import numpy as np

from ..errors import NotFoundError
from ..string_tensor import string_tensor
from .parsing import (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature, parse_example,
                      parse_single_example)
from .serialize import parse_tensor, serialize_tensor
from .tfrecord import TFRecordOptions, TFRecordWriter, tf_record_iterator

__all__ = ["TFRecordWriter", "TFRecordOptions", "tf_record_iterator", "FixedLenFeature",
           "VarLenFeature", "FixedLenSequenceFeature", "parse_single_example", "parse_example",
           "serialize_tensor", "parse_tensor", "read_file", "write_file"]


def read_file(filename, name=None):
    """The bytes of a file as a scalar tf.string tensor.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'hello.txt')
    >>> tf.io.write_file(path, 'hello')
    >>> tf.io.read_file(path).numpy()
    b'hello'
    """
    path = filename.numpy() if hasattr(filename, "numpy") else filename
    path = os.fsdecode(path)
    try:
        with open(path, "rb") as fh:
            return string_tensor(np.array(fh.read(), dtype=object))
    except FileNotFoundError:
        raise NotFoundError(f"{path}; No such file or directory") from None


def write_file(filename, contents, name=None):
    """Write `contents` (bytes / a string tensor) to `filename`.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'out.bin')
    >>> tf.io.write_file(path, b'abc')
    >>> open(path, 'rb').read()
    b'abc'
    """
    path = os.fsdecode(filename.numpy() if hasattr(filename, "numpy") else filename)
    data = contents.numpy() if hasattr(contents, "numpy") else contents
    with open(path, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else bytes(data))
