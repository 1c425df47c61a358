"""TF's text form of tensor values for `tf.print`: `[1 2 3]`, `[[0 0]\n [0 0]]`, `...` elision.

Numbers print the way TF's C++ runtime does: floats with 6 significant digits when that round-trips
(9 for float32 / 17 for float64 otherwise), integers plainly, booleans as 1/0; each dimension longer
than 2*summarize shows its first and last `summarize` entries around `...`.
"""
import numpy as np

_FLOAT_DIGITS = {np.dtype(np.float16): 9, np.dtype(np.float32): 9, np.dtype(np.float64): 17}
_ROUNDTRIP = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float32,
              np.dtype(np.float64): np.float64}


def format_scalar(value, dtype):
    kind = dtype.kind
    if kind == "b":
        return "1" if value else "0"
    if kind in "iu":
        return str(int(value))
    v = float(value)
    if np.isnan(v):
        return "nan" if not np.signbit(v) else "-nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    cast = _ROUNDTRIP[dtype]
    short = "%.6g" % v
    if cast(float(short)) == cast(v):
        return short
    return "%.*g" % (_FLOAT_DIGITS[dtype], v)


def format_tensor(arr, summarize=3):
    """The whole value as tf.print shows it (summarize=-1 or None prints every element)."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return format_scalar(arr[()], arr.dtype)
    if summarize is None or summarize < 0:
        summarize = max(arr.shape) if arr.size else 1
    return _format_dims(arr, 0, summarize)


def _format_dims(arr, depth, summarize):
    n = arr.shape[0]
    elided = n > 2 * summarize
    idx = list(range(summarize)) + [None] + list(range(n - summarize, n)) if elided \
        else list(range(n))
    if arr.ndim == 1:
        parts = ["..." if i is None else format_scalar(arr[i], arr.dtype) for i in idx]
        return "[" + " ".join(parts) + "]"
    # sub-arrays on their own lines, indented under the opening bracket; a blank line
    # separates blocks of rank >= 2
    sep = "\n" + ("\n" if arr.ndim > 2 else "") + " " * (depth + 1)
    parts = ["..." if i is None else _format_dims(arr[i], depth + 1, summarize) for i in idx]
    return "[" + sep.join(parts) + "]"
