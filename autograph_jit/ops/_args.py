"""Argument conversion shared by the public op functions (TF's rules, in one place).

TF has no implicit type promotion between tensors: the first tensor argument fixes the dtype and
Python values adapt to it (`x + 1` with float32 `x` adds 1.0). NumPy arrays have a dtype of their
own but, as in TF, are converted to the fixing dtype.
"""
import numpy as np

from ..tensor import Tensor, convert_to_tensor


def _dtype_of(v):
    if isinstance(v, Tensor):
        return v.dtype
    conv = getattr(v, "_as_tensor", None)
    if conv is not None:
        return v.dtype
    return None


def match_dtypes(*values, dtype_hint=None):
    """Convert values to tensors of one dtype: the first tensor's, else the first value's."""
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
    """A Python int or list of ints from an int, list, NumPy array or concrete tensor."""
    if isinstance(value, Tensor):
        from ..tensor import constant_value
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
                from ..tensor import constant_value
                cv = constant_value(v if isinstance(v, Tensor) else v._as_tensor())
                if cv is None:
                    return None
                v = cv
            out.append(None if v is None else int(v))
        return tuple(out)
    if value is None:
        return None
    return int(value)


def static_axis(value, what="axis"):
    """static_ints for an argument that must be known at trace time (an axis, a permutation):
    a tensor computed at run time is a clear TypeError, never silently the default."""
    v = static_ints(value, what)
    if v is None and value is not None:
        raise TypeError(f"{what} must be known when the function is traced (a Python int or "
                        f"list), but it is a tensor computed at run time: {value!r}. Fix: pass "
                        f"a Python value, or branch with tf.cond/tf.switch_case on the tensor.")
    return v
