"""`and_`, `or_`, `not_`: Python semantics (short-circuit, operand values) on Python values and
eager tensors; on a symbolic tensor, `and`/`or` become a lazily evaluated cond (the right
operand is only computed when needed, as in Python) and `not` becomes logical_not."""
from . import staging
from .conditionals import if_exp
from ...ops import math_ops


def not_(x):
    if not staging.is_symbolic(x):
        return not x
    static = staging.static_value(x)
    if static is not None:
        return not static
    if x.dtype.name == "bool":
        return math_ops.logical_not(x)
    return math_ops.equal(x, 0)


def and_(a_fn, b_fn):
    a = a_fn()
    if not staging.is_symbolic(a):
        return b_fn() if a else a
    static = staging.static_value(a)
    if static is not None:
        return b_fn() if static else a
    return if_exp(a, b_fn, lambda: a)


def or_(a_fn, b_fn):
    a = a_fn()
    if not staging.is_symbolic(a):
        return a if a else b_fn()
    static = staging.static_value(a)
    if static is not None:
        return a if static else b_fn()
    return if_exp(a, lambda: a, b_fn)
