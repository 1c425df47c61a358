"""Op specs for the host ops of the preprocessing layers: `hash_bucket` (TF's
to_hash_bucket_fast / to_hash_bucket_strong; the expected buckets are the ones TF 2.21 gives,
recorded once) and `lookup_table_find` (a HostTable's mapping, against a Python dict)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import dtypes
from autograph_jit.ir.types import TensorType
from autograph_jit.ops.lookup_ops import HostTable, find

from .opspec import Case, OpSpec

WORDS = np.array([b"a", b"hello", b"", b"a longer string of many bytes"], dtype=object)
GRID = np.array([[b"hello"], [b"a"]], dtype=object)

# TF 2.21: tf.strings.to_hash_bucket_fast / _strong on WORDS and GRID
TF_STRONG_133 = np.array([4, 0, 6, 2], np.int64)     # key [133, 133], 7 buckets
TF_STRONG_1_2 = np.array([1, 6, 5, 6], np.int64)     # key [1, 2], 7 buckets
TF_FAST_GRID_10 = np.array([[6], [9]], np.int64)     # 10 buckets


def _fast_ref(expected):
    def ref(x):
        pytest.importorskip("farmhash")
        return expected
    return ref


class _Squares(HostTable):
    """A table mapping each int64 to its square, strings to their length."""

    def output_type(self, in_type):
        return TensorType(dtypes.int64, in_type.shape)

    def find(self, array):
        return np.vectorize(lambda v: len(v) if isinstance(v, bytes) else int(v) ** 2,
                            otypes=[np.int64])(array).reshape(np.shape(array))


TABLE = _Squares()

SPECS = [
    OpSpec("hash_bucket", fn=lambda x: tf.strings.to_hash_bucket_strong(x, 7, [133, 133]),
           ref=lambda x: TF_STRONG_133, cases=[Case((WORDS,))]),
    OpSpec("hash_bucket_strong_key_pair",
           fn=lambda x: tf.strings.to_hash_bucket_strong(x, 7, [1, 2]),
           ref=lambda x: TF_STRONG_1_2, covers=("hash_bucket",), cases=[Case((WORDS,))]),
    OpSpec("hash_bucket_fast", fn=lambda x: tf.strings.to_hash_bucket_fast(x, 10),
           ref=_fast_ref(TF_FAST_GRID_10), covers=("hash_bucket",), cases=[Case((GRID,))]),
    OpSpec("lookup_table_find", fn=lambda x: find(TABLE, x),
           ref=lambda x: (np.asarray(x, np.int64) ** 2), cases=[
               Case((np.array([1, -3, 4], np.int64),)), Case((np.array([[2], [5]], np.int32),)),
               Case((np.array(7, np.int64),))]),
    OpSpec("lookup_table_find_strings", fn=lambda x: find(TABLE, x),
           ref=lambda x: np.array([1, 5, 0, 29], np.int64), covers=("lookup_table_find",),
           cases=[Case((WORDS,))]),
]
