"""SymbolicTensor: a tensor standing for a graph Value while a function is being traced."""
import sys

from ..errors import SymbolicValueError
from ..tensor import Tensor
from . import context
from ..ir.types import TensorType

_BOOL_HINT = (
    "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed while tracing{where}: its "
    "value is only known when the graph runs. Use tf.cond / tf.while_loop, or let AutoGraph "
    "convert the `if`/`while` statement (tf.function(autograph=True), the default).")


def _unconverted():
    """'f' (why) when the code asking for a tensor's bool is a function AutoGraph could not
    convert (recorded in tracing.context.UNCONVERTED), else ''."""
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            break
        note = context.UNCONVERTED.get(frame.f_code)
        if note:
            return note
        frame = frame.f_back
    return ""


class SymbolicTensor(Tensor):
    __slots__ = ("_val", "_builder")
    _is_symbolic = True

    def __init__(self, value, builder):
        self._val = value
        self._builder = builder

    @property
    def dtype(self):
        return self._val.type.dtype

    @property
    def shape(self):
        return self._val.type.shape

    @property
    def name(self):
        node = self._val.node
        if node is None:
            return f"{self._val.name or 'arg'}:0"
        return f"{node.name}:{self._val.index}"

    @property
    def graph(self):
        return self._builder.graph

    @property
    def op(self):
        return self._val.node

    def set_shape(self, shape):
        """Refine the static shape (TF's Tensor.set_shape)."""
        merged = self.shape.merge_with(shape)
        self._val.type = TensorType(self.dtype, merged, self._val.type.value)

    def constant_value(self):
        """The value when it depends on constants only (computed now), else None."""
        if self._val.type.value is not None:
            return self._val.type.value
        return self._builder.evaluate_constant(self._val)

    @property
    def numpy(self):
        # An AttributeError, as TF's graph tensors have no `numpy` (hasattr(t, "numpy") is
        # False); also a TypeError, for code that caught this library's earlier error type.
        raise SymbolicValueError(
            f"'{self.name}' is a symbolic tensor of a tf.function's graph: it has no value (no "
            "`numpy()`) while the function is traced, nor afterwards when it was kept in a Python "
            "list or attribute. Return it from the function instead, or use tf.print to see its "
            "value at run time.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"Cannot convert the symbolic tensor {self.name} to a NumPy array: its "
                        "value only exists when the traced function runs. Use tf ops instead of "
                        "NumPy inside a tf.function.")

    def __bool__(self):
        where = self._builder.location_text()
        unconverted = _unconverted()
        if unconverted:  # AutoGraph is on, but could not convert the code running now
            raise TypeError(
                f"Using a symbolic `tf.Tensor` as a Python `bool` is not allowed while "
                f"tracing{where}: its value is only known when the graph runs. AutoGraph is on "
                f"but could not convert {unconverted}, so its `if`/`while` run as plain Python. "
                "Fix: define the function in a .py file or a notebook cell (AutoGraph reads its "
                "source), or use tf.cond / tf.while_loop.")
        raise TypeError(_BOOL_HINT.format(where=where))

    def __len__(self):
        d = self.shape[0] if self.shape.rank else None
        if d is None:
            raise TypeError(f"len is not well defined for a symbolic tensor of shape "
                            f"{self.shape}; use tf.shape(x)[0].")
        return d

    def __iter__(self):
        if self.shape.rank is None or self.shape.rank == 0 or self.shape[0] is None:
            raise TypeError(f"Iterating over a symbolic tensor of shape {self.shape} is not "
                            "allowed: use tf.range / tf.while_loop, or let AutoGraph convert "
                            "the loop.")
        return (self[i] for i in range(self.shape[0]))

    def __index__(self):
        raise TypeError("A symbolic tensor cannot be used as a Python index while tracing")

    def __int__(self):
        raise TypeError("int() of a symbolic tensor is not defined while tracing")

    def __float__(self):
        raise TypeError("float() of a symbolic tensor is not defined while tracing")

    def __str__(self):
        return 'Tensor("%s", shape=%s, dtype=%s)' % (self.name, self.shape, self.dtype.name)

    def __repr__(self):
        return "<tf.Tensor '%s' shape=%s dtype=%s>" % (self.name, self.shape, self.dtype.name)

    def __format__(self, spec):
        return format(str(self), spec)
