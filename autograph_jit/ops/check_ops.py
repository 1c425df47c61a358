"""Run-time checks: the `assert` op (an effect, so it is never dropped or reordered) and TF's
`tf.debugging.assert_*` / `tf.Assert` built on it.

Eagerly a failing check raises at once; in a graph it raises when the graph runs. The error is
`AssertionFailedError`, both TF's InvalidArgumentError and Python's AssertionError, so code
written for either (or for a converted `assert` statement) catches it.
"""
import builtins

import numpy as np

from ..errors import AssertionFailedError
from ..tensor import convert_to_tensor
from . import check_examples, math_ops
from .opdef import IO, apply, defop

__all__ = ["AssertionFailedError", "Assert", "assert_that", "ASSERTS"]


def _assert_infer(in_types, message, summarize, error=None):
    if in_types[0].dtype.name != "bool":
        raise TypeError("assert: the condition must be a bool tensor, got "
                        f"{in_types[0].dtype.name}")
    return ()


_ERROR_CLASSES = {}


def error_class(name):
    """AssertionFailedError that is also the builtin exception `name` (a staged `raise
    ValueError(...)` fails as a ValueError when the graph runs); AssertionFailedError itself
    when `name` is None or not a builtin exception."""
    if name is None:
        return AssertionFailedError
    cls = _ERROR_CLASSES.get(name)
    if cls is None:
        base = getattr(builtins, name, None)
        cls = AssertionFailedError
        if isinstance(base, type) and issubclass(base, Exception) and \
                not issubclass(AssertionFailedError, base):
            try:
                cls = type(name, (AssertionFailedError, base), {})
            except TypeError:  # incompatible layouts (e.g. OSError)
                cls = AssertionFailedError
        _ERROR_CLASSES[name] = cls
    return cls


def _assert_kernel(cond, *data, message, summarize, error=None):
    if np.all(cond):
        return ()
    shown = []
    for d in data:
        d = np.asarray(d)
        flat = d.ravel()
        if summarize is not None and summarize >= 0 and flat.size > summarize:
            shown.append(np.array2string(flat[:summarize]).rstrip("]") + " ...]")
        else:
            shown.append(np.array2string(d))
    raise error_class(error)(message + ("\n" + "\n".join(shown) if shown else ""), "assert")


assert_op = defop("assert", _assert_infer, _assert_kernel, effects=IO, num_outputs=0,
                  doc="Raise AssertionFailedError(message, data) unless every element of "
                      "input 0 is true.")


def assert_that(condition, data=(), message="assertion failed", summarize=3, error=None):
    """The check op on `condition` (reduced with all()), showing `data` when it fails; `error`:
    the name of a builtin exception the failure also is (see error_class)."""
    cond = convert_to_tensor(condition)
    if cond.dtype.name != "bool":
        raise TypeError(f"assert: the condition must be a bool tensor, got {cond.dtype.name}")
    tensors = [convert_to_tensor(d) for d in data]
    attrs = {} if error is None else {"error": str(error)}
    apply(assert_op, cond, *tensors, message=str(message), summarize=summarize, **attrs)
    return None


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 (TF's name)
    """TF's tf.debugging.Assert(condition, data, summarize=None).

    >>> x = tf.constant([1.0, -1.0])
    >>> tf.debugging.Assert(tf.reduce_all(x > -2.0), [x])
    >>> tf.debugging.Assert(tf.reduce_all(x > 0.0), [x])
    Traceback (most recent call last):
    ...
    autograph_jit.errors.AssertionFailedError: assertion failed
    [ 1. -1.]
    """
    return assert_that(condition, list(data), "assertion failed",
                       3 if summarize is None else summarize)


def _binary(fn, text):
    def check(x, y, data=None, summarize=None, message=None, name=None):
        x_t = convert_to_tensor(x)
        y_t = convert_to_tensor(y, dtype_hint=x_t.dtype)
        msg = (f"{message}\n" if message else "") + \
            f"Condition x {text} y did not hold element-wise:"
        shown = list(data) if data is not None else [x_t, y_t]
        return assert_that(fn(x_t, y_t), shown, msg, 3 if summarize is None else summarize)
    check.__name__ = check.__qualname__ = f"assert_{fn.__name__}"
    check.__doc__ = f"""Asserts the condition `x {text} y` holds element-wise (at run time in a graph).

    Raises tf.errors.InvalidArgumentError showing `data` (default: x and y) when it fails.

    Args:
      x, y: tensors (y is converted to x's dtype). data: tensors to print on failure.
      summarize: how many entries of each to print. message: a prefix for the error.
    """
    return check


def _unary(fn, text):
    def check(x, data=None, summarize=None, message=None, name=None):
        x_t = convert_to_tensor(x)
        msg = (f"{message}\n" if message else "") + f"Condition x {text} did not hold " \
                                                    "element-wise:"
        shown = list(data) if data is not None else [x_t]
        return assert_that(fn(x_t, math_ops.cast(0, x_t.dtype)), shown, msg,
                           3 if summarize is None else summarize)
    check.__doc__ = f"""Asserts the condition `x {text}` holds element-wise (at run time in a graph).

    Raises tf.errors.InvalidArgumentError showing `data` (default: x) when it fails.

    Args:
      x: a tensor. data: tensors to print on failure. summarize: how many entries to print.
      message: a prefix for the error.
    """
    return check


ASSERTS = {
    "assert_equal": _binary(math_ops.equal, "=="),
    "assert_none_equal": _binary(math_ops.not_equal, "!="),
    "assert_less": _binary(math_ops.less, "<"),
    "assert_less_equal": _binary(math_ops.less_equal, "<="),
    "assert_greater": _binary(math_ops.greater, ">"),
    "assert_greater_equal": _binary(math_ops.greater_equal, ">="),
    "assert_positive": _unary(math_ops.greater, "> 0"),
    "assert_negative": _unary(math_ops.less, "< 0"),
    "assert_non_negative": _unary(math_ops.greater_equal, ">= 0"),
    "assert_non_positive": _unary(math_ops.less_equal, "<= 0"),
}
for _name, _check in ASSERTS.items():
    _check.__name__ = _check.__qualname__ = _name
    _check.__doc__ += "\n" + check_examples.EXAMPLES.get(_name, "")
