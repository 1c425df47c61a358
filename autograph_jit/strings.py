"""`tf.strings` namespace: thin re-exports of ops/string_ops.py, and `split` (its result is a
RaggedTensor, an api-layer type, so it is defined here)."""
import numpy as _np

from . import dtypes as _dtypes
from .ops import type_rules as _tr
from .ops._args import to_tensor as _to_tensor
from .ops.string_ops import (  # noqa: F401
    as_string, join, length, lower, reduce_join, regex_full_match, regex_replace, strip, substr,
    to_number, upper)
from .ops.hash_ops import to_hash_bucket_fast, to_hash_bucket_strong  # noqa: F401
from .ragged.ragged_tensor import RaggedTensor as _RaggedTensor
from .tensor import convert_to_tensor as _convert_to_tensor


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Splits each string at `sep` (runs of whitespace when None): a 1-D tensor for a scalar
    input, a RaggedTensor (one row per string) for a vector. Eager only.

    >>> tf.strings.split("a b  c").numpy()
    array([b'a', b'b', b'c'], dtype=object)
    >>> tf.strings.split(tf.constant(["a,b", "c"]), sep=",").to_list()
    [[b'a', b'b'], [b'c']]
    """
    x = _to_tensor(input)
    if getattr(x, "_is_symbolic", False):
        raise TypeError("tf.strings.split returns a RaggedTensor, and RaggedTensors are eager "
                        "only here: call it outside tf.function (e.g. in a tf.data map run "
                        "eagerly) or use tf.strings.regex_replace/substr in the graph.")
    _tr.check_dtype("split", x.type, (_dtypes.string,))
    s = None if sep is None else (sep.encode() if isinstance(sep, str) else bytes(sep))
    if s == b"":
        raise ValueError("tf.strings.split: sep must not be empty")

    def parts(b):
        return b.split(s, maxsplit) if s is not None else b.split(None, maxsplit)
    arr = x.numpy()
    if _np.ndim(arr) == 0:
        return _convert_to_tensor(_np.array(parts(arr), dtype=object), dtype=_dtypes.string)
    if _np.ndim(arr) != 1:
        raise ValueError(f"tf.strings.split: input must be a scalar or a vector, got rank "
                         f"{_np.ndim(arr)}")
    rows = [parts(b) for b in arr]
    values = _np.array([p for r in rows for p in r], dtype=object)
    return _RaggedTensor.from_row_lengths(_convert_to_tensor(values, dtype=_dtypes.string),
                                         [len(r) for r in rows])
