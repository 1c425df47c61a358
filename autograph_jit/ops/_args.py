"""Argument conversion shared by the public op functions (TF's rules, in one place).

TF has no implicit type promotion between tensors: the first tensor argument fixes the dtype and
Python values adapt to it (`x + 1` with float32 `x` adds 1.0). NumPy arrays have a dtype of their
own but, as in TF, are converted to the fixing dtype.
"""
import numbers
import sys

import numpy as np

from ..tensor import EagerTensor, Tensor, convert_to_tensor, eager_scalar, constant_value
from ..tracing import context as _context

_LOCAL = _context._local
_SCALARS = (float, int)


def _dtype_of(v):
    if isinstance(v, Tensor):
        return v.dtype
    conv = getattr(v, "_as_tensor", None)
    if conv is not None:
        return v.dtype
    return None


# Types whose values are read into a tensor by `_as_tensor()` (tf.Variable registers itself).
VARIABLE_TYPES = set()


def match_dtypes(*values, dtype_hint=None):
    """Convert values to tensors of one dtype: the first tensor's, else the first value's."""
    if len(values) == 2 and dtype_hint is None and _LOCAL.builder is None:
        # eager `x + y`, `x + 1`, `v - g` (a Variable): the common cases, without the loop below
        a, b = values
        if type(a) in VARIABLE_TYPES:
            a = a._as_tensor()   # (read first, as the loop below does)
        ta, tb = type(a), type(b)
        if ta is EagerTensor:
            if tb is EagerTensor:
                return [a, b]
            if tb in _SCALARS:
                return [a, eager_scalar(b, a.dtype)]
            if tb in VARIABLE_TYPES:
                return [a, b._as_tensor()]
        elif ta in _SCALARS:
            if tb in VARIABLE_TYPES:
                b = b._as_tensor()
                tb = type(b)
            if tb is EagerTensor:
                return [eager_scalar(a, b.dtype), b]
        values = (a, b)
    dtype = None
    for v in values:
        dtype = _dtype_of(v)
        if dtype is not None:
            break
    out = []
    for v in values:
        if dtype is None:
            t = convert_to_tensor(v, dtype_hint=dtype_hint)
            dtype = t.dtype
        elif isinstance(v, np.ndarray) or isinstance(v, np.generic):
            t = convert_to_tensor(np.asarray(v).astype(dtype.np_dtype, copy=False))
        elif _dtype_of(v) is None:
            t = convert_to_tensor(v, dtype=dtype)
        else:
            t = convert_to_tensor(v)
        out.append(t)
    return out


def to_tensor(x, dtype=None, dtype_hint=None):
    if isinstance(x, Tensor) and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype, dtype_hint=dtype_hint)


def static_ints(value, what):
    """A Python int or list of ints from an int, list, NumPy array or concrete tensor.

    Floats are refused as TF refuses them (`tf.zeros([2.5])` is a TypeError, never a shape of 2),
    and so is anything else that is not an integer, with a TypeError naming the op and `what`."""
    original = value
    if isinstance(value, Tensor):
        v = constant_value(value)
        if v is None:
            return None
        value = v
    conv = getattr(value, "_as_tensor", None)
    if conv is not None:
        value = conv().numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
                cv = constant_value(v if isinstance(v, Tensor) else v._as_tensor())
                if cv is None:
                    return None
                v = cv.tolist() if isinstance(cv, np.ndarray) else cv
            out.append(None if v is None else _one_int(v, what, original))
        return tuple(out)
    if value is None:
        return None
    return _one_int(value, what, original)


def _one_int(v, what, whole):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        kind = "a float" if isinstance(v, (float, np.floating)) else type(v).__name__
        raise TypeError(f"{caller_op()}: {what} must be an integer or a list of integers, got "
                        f"{v!r} ({kind}) in {_short(whole)}. Fix: pass Python ints (e.g. "
                        f"int(...)) or an int32/int64 tensor.")
    return int(v)


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def caller_op():
    """The public op function being run (the innermost frame of a public, module-level function
    of the ops package), for error messages raised by argument helpers."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        fn = frame.f_globals.get(code.co_name)
        if frame.f_globals is not globals() \
                and frame.f_globals.get("__name__", "").startswith("autograph_jit.ops.") \
                and not code.co_name.startswith("_") and getattr(fn, "__code__", None) is code:
            return code.co_name
        frame = frame.f_back
    return "op"


def static_axis(value, what="axis"):
    """static_ints for an argument that must be known at trace time (an axis, a permutation):
    a tensor computed at run time is a clear TypeError, never silently the default."""
    v = static_ints(value, what)
    if v is None and value is not None:
        raise TypeError(f"{what} must be known when the function is traced (a Python int or "
                        f"list), but it is a tensor computed at run time: {value!r}. Fix: pass "
                        f"a Python value, or branch with tf.cond/tf.switch_case on the tensor.")
    return v
