"""Python operators on tensors (`+`, `@`, `<`, `[]`, ...) as a table from dunder to public op.

Installed on `Tensor` (and, through `install_on`, on Variable) so every operator goes through
the op registry. Reflected operators convert the Python/NumPy operand to the tensor's dtype.
"""
from .. import tracebacks as _tracebacks
from . import math_ops as m
from . import slicing
from ._args import match_dtypes

_BINARY = {
    "add": m.add, "sub": m.subtract, "mul": m.multiply, "truediv": m.truediv,
    "floordiv": m.floordiv, "mod": m.floormod, "pow": m.pow, "matmul": m.matmul,
}
_COMPARE = {"lt": m.less, "le": m.less_equal, "gt": m.greater, "ge": m.greater_equal}
_LOGICAL = {"and": m.logical_and, "or": m.logical_or, "xor": m.logical_xor}


def _reflected(fn):
    def op(self, other):
        try:
            self_t, other_t = match_dtypes(self, other)
            return fn(other_t, self_t)
        except Exception as e:
            raise e.with_traceback(_tracebacks.filtered(e.__traceback__))
    return op


def _forward(fn):
    """`x + y` as `fn(x, y)`, its errors showing the user's frames (tracebacks.py); the try
    costs nothing when nothing is raised."""
    def op(self, other):
        try:
            return fn(self, other)
        except Exception as e:
            raise e.with_traceback(_tracebacks.filtered(e.__traceback__))
    op.__name__ = op.__qualname__ = getattr(fn, "__name__", "op")
    return op


def _eq(self, other):
    """Elementwise `==` as TF2 (`tf.equal`); False when the operands cannot be compared."""
    if other is None:
        return False
    try:
        return m.equal(self, other)
    except (TypeError, ValueError):
        return False


def _ne(self, other):
    if other is None:
        return True
    try:
        return m.not_equal(self, other)
    except (TypeError, ValueError):
        return True


def install_on(cls, getitem=True):
    for name, fn in _BINARY.items():
        setattr(cls, f"__{name}__", _forward(fn))   # `x + y` is add(x, y)
        setattr(cls, f"__r{name}__", _reflected(fn))
    for name, fn in _COMPARE.items():
        setattr(cls, f"__{name}__", _forward(fn))
    for name, fn in _LOGICAL.items():
        setattr(cls, f"__{name}__", _forward(fn))
        setattr(cls, f"__r{name}__", _reflected(fn))
    cls.__eq__ = _eq
    cls.__ne__ = _ne
    cls.__neg__ = lambda self: m.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: m.abs(self)
    cls.__invert__ = lambda self: m.logical_not(self)

    if getitem:
        def getitem_(self, key):
            return slicing.getitem(self, key)
        cls.__getitem__ = getitem_
