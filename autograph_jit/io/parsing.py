"""`tf.io.parse_single_example` / `parse_example` with `FixedLenFeature`, `VarLenFeature` and
`FixedLenSequenceFeature`: serialized `tf.train.Example`s (protobuf) to tensors.

Runs on eager string values (bytes, tf.string tensors from TFRecordDataset/TextLineDataset);
inside `Dataset.map` a function over string elements runs eagerly (see data/mapfn.py).
"""
import collections

import numpy as np

from .. import dtypes
from ..errors import HostOnlyError, InvalidArgumentError
from ..sparse import SparseTensor
from ..string_tensor import as_array, wrap
from ..tensor import EagerTensor, Tensor

__all__ = ["FixedLenFeature", "VarLenFeature", "FixedLenSequenceFeature",
           "parse_single_example", "parse_example"]

_KIND = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_KIND_NAME = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """TF's `tf.io.FixedLenFeature(shape, dtype, default_value=None)`: a dense feature of a
    known shape (dtype float32, int64 or string).

    >>> spec = {'x': tf.io.FixedLenFeature([2], tf.float32), 'y': tf.io.FixedLenFeature([], tf.int64, default_value=0)}
    >>> ex = tf.train.Example(features=tf.train.Features(feature={'x': tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0]))}))
    >>> parsed = tf.io.parse_single_example(ex.SerializeToString(), spec)
    >>> parsed['x'].numpy(), int(parsed['y'])
    (array([1., 2.], dtype=float32), 0)
    """

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtypes.as_dtype(dtype), default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """TF's `tf.io.VarLenFeature(dtype)`: a variable-length feature, parsed to a SparseTensor.

    >>> ex = tf.train.Example(features=tf.train.Features(feature={'ids': tf.train.Feature(int64_list=tf.train.Int64List(value=[3, 1, 4]))}))
    >>> parsed = tf.io.parse_single_example(ex.SerializeToString(), {'ids': tf.io.VarLenFeature(tf.int64)})
    >>> tf.sparse.to_dense(parsed['ids']).numpy()
    array([3, 1, 4])
    """

    def __new__(cls, dtype):
        return super().__new__(cls, dtypes.as_dtype(dtype))


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """TF's `tf.io.FixedLenSequenceFeature(shape, dtype, allow_missing=False)`: a
    [None] + shape dense feature (padded to the longest in a batch).

    >>> spec = tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True)
    >>> spec.shape, spec.dtype, spec.allow_missing
    ([], tf.int64, True)
    """

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtypes.as_dtype(dtype), allow_missing, default_value)


def _records(serialized, what):
    if isinstance(serialized, Tensor) and not isinstance(serialized, EagerTensor):
        raise HostOnlyError(f"{what}: a symbolic string tensor cannot be parsed inside a traced "
                            "function here; parse in Dataset.map (which runs string functions "
                            "eagerly) or eagerly.")
    arr = serialized._value if isinstance(serialized, EagerTensor) else np.asarray(
        serialized, dtype=object)
    return arr


def _example(data, index):
    from .protos import Example
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        return Example.FromString(bytes(data))
    except Exception as e:  # protobuf's DecodeError
        raise InvalidArgumentError(f"Could not parse example input {index}: not a serialized "
                                   f"tf.train.Example ({e})") from None


def _values(feature, name, dtype):
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    want = _KIND[dtype.name]
    if kind != want:
        raise InvalidArgumentError(
            f"Feature: {name}. Data types don't match. Expected type: {dtype.name}, "
            f"Actual type: {_KIND_NAME[kind]}")
    vals = list(getattr(feature, kind).value)
    if dtype is dtypes.string:
        return np.array(vals, dtype=object).reshape(len(vals))
    return np.asarray(vals, dtype=dtype.np_dtype)


def _check_dtype(name, spec):
    if spec.dtype.name not in _KIND:
        raise ValueError(f"Feature {name!r}: dtype must be tf.float32, tf.int64 or tf.string, "
                         f"got {spec.dtype.name}")


def _fixed(example, name, spec, index):
    shape = tuple(int(d) for d in spec.shape)
    feat = example.features.feature.get(name) if name in example.features.feature else None
    vals = None if feat is None else _values(feat, name, spec.dtype)
    if vals is None:
        if spec.default_value is None:
            raise InvalidArgumentError(f"Feature: {name} (data type: {spec.dtype.name}) is "
                                       f"required but could not be found (example {index}).")
        arr, _ = as_array(spec.default_value, spec.dtype)
        return np.broadcast_to(arr, shape).copy() if arr.shape != shape else arr
    size = int(np.prod(shape)) if shape else 1
    if vals.size != size:
        raise InvalidArgumentError(f"Key: {name}. Can't parse serialized Example: expected "
                                   f"{size} values for shape {list(shape)}, got {vals.size} "
                                   f"(example {index}).")
    return vals.reshape(shape)


def _sequence(example, name, spec, index):
    inner = tuple(int(d) for d in spec.shape)
    feat = example.features.feature.get(name) if name in example.features.feature else None
    vals = None if feat is None else _values(feat, name, spec.dtype)
    if vals is None:
        if not spec.allow_missing:
            raise InvalidArgumentError(f"Feature: {name} (data type: {spec.dtype.name}) is "
                                       f"required but could not be found (example {index}).")
        vals = np.zeros((0,), dtype=object if spec.dtype is dtypes.string else
                        spec.dtype.np_dtype)
    step = int(np.prod(inner)) if inner else 1
    if vals.size % step:
        raise InvalidArgumentError(f"Key: {name}. Number of values {vals.size} is not a "
                                   f"multiple of the feature size {step} (example {index}).")
    return vals.reshape((vals.size // step,) + inner)


def _wrap(arr, dtype):
    return wrap(np.array(arr, order="C") if arr.dtype != object else arr, dtype)


def parse_single_example(serialized, features, name=None, example_names=None):
    """TF's `tf.io.parse_single_example`: a dict of tensors (SparseTensor for VarLenFeature).

    >>> example = tf.train.Example(features=tf.train.Features(feature={
    ...     "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0]))}))
    >>> record = example.SerializeToString()
    >>> tf.io.parse_single_example(record, {"x": tf.io.FixedLenFeature([2], tf.float32)})
    {'x': <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>}
    """
    arr = _records(serialized, "parse_single_example")
    if arr.ndim != 0:
        raise InvalidArgumentError(f"parse_single_example: serialized must be a scalar, got "
                                   f"shape {arr.shape}; use tf.io.parse_example for a batch.")
    example = _example(arr[()], 0)
    out = {}
    for key, spec in features.items():
        _check_dtype(key, spec)
        if isinstance(spec, VarLenFeature):
            feat = example.features.feature.get(key) if key in example.features.feature else None
            vals = None if feat is None else _values(feat, key, spec.dtype)
            if vals is None:
                vals = np.zeros((0,), dtype=object if spec.dtype is dtypes.string else
                                spec.dtype.np_dtype)
            out[key] = SparseTensor(np.arange(len(vals), dtype=np.int64).reshape(-1, 1),
                                    _wrap(vals, spec.dtype), [len(vals)])
        elif isinstance(spec, FixedLenSequenceFeature):
            out[key] = _wrap(_sequence(example, key, spec, 0), spec.dtype)
        elif isinstance(spec, FixedLenFeature):
            out[key] = _wrap(_fixed(example, key, spec, 0), spec.dtype)
        else:
            raise TypeError(f"Feature {key!r}: unsupported feature spec {spec!r}")
    return out


def parse_example(serialized, features, name=None, example_names=None):
    """TF's `tf.io.parse_example` on a vector of serialized Examples: FixedLen features gain
    a leading batch dimension; VarLen ones are [batch, longest] SparseTensors.

    >>> make = lambda v: tf.train.Example(features=tf.train.Features(feature={'x': tf.train.Feature(float_list=tf.train.FloatList(value=[v]))})).SerializeToString()
    >>> batch = tf.io.parse_example([make(1.0), make(2.0)], {'x': tf.io.FixedLenFeature([1], tf.float32)})
    >>> batch['x'].numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    arr = _records(serialized, "parse_example")
    if arr.ndim != 1:
        raise InvalidArgumentError(f"parse_example: serialized must be a vector, got shape "
                                   f"{arr.shape}")
    examples = [_example(v, i) for i, v in enumerate(arr)]
    out = {}
    for key, spec in features.items():
        _check_dtype(key, spec)
        if isinstance(spec, VarLenFeature):
            idx, vals, longest = [], [], 0
            for b, ex in enumerate(examples):
                feat = ex.features.feature.get(key) if key in ex.features.feature else None
                v = None if feat is None else _values(feat, key, spec.dtype)
                v = [] if v is None else list(v)
                idx.extend([b, j] for j in range(len(v)))
                vals.extend(v)
                longest = max(longest, len(v))
            values = np.array(vals, dtype=object if spec.dtype is dtypes.string else
                              spec.dtype.np_dtype).reshape(len(vals))
            out[key] = SparseTensor(np.asarray(idx, np.int64).reshape(-1, 2),
                                    _wrap(values, spec.dtype), [len(examples), longest])
        elif isinstance(spec, FixedLenSequenceFeature):
            rows = [_sequence(ex, key, spec, i) for i, ex in enumerate(examples)]
            longest = max((r.shape[0] for r in rows), default=0)
            inner = tuple(int(d) for d in spec.shape)
            pad = spec.default_value if spec.default_value is not None else (
                b"" if spec.dtype is dtypes.string else 0)
            batch = np.full((len(rows), longest) + inner, pad,
                            dtype=object if spec.dtype is dtypes.string else spec.dtype.np_dtype)
            for i, r in enumerate(rows):
                batch[i, :r.shape[0]] = r
            out[key] = _wrap(batch, spec.dtype)
        else:
            shape = (len(examples),) + tuple(int(d) for d in spec.shape)
            rows = [_fixed(ex, key, spec, i) for i, ex in enumerate(examples)]
            batch = np.stack(rows) if rows else np.zeros(
                shape, dtype=object if spec.dtype is dtypes.string else spec.dtype.np_dtype)
            out[key] = _wrap(batch, spec.dtype)
    return out
