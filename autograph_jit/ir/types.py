"""TensorType: the static type of a value (dtype + possibly partial TensorShape)."""
from .. import dtypes as _dtypes
from ..tensor_shape import TensorShape, as_shape

__all__ = ["TensorType"]


class TensorType:
    """`value` is the NumPy value when it is known while typing (eager inputs, traced constants);
    type rules may use it to refine shapes (`tf.range(10)` has shape [10] in a graph too). It is
    not part of the type: equality and hashing ignore it."""

    __slots__ = ("dtype", "shape", "value")

    def __init__(self, dtype, shape, value=None):
        self.dtype = _dtypes.as_dtype(dtype)
        self.shape = as_shape(shape)
        self.value = value

    def __eq__(self, other):
        return (isinstance(other, TensorType) and self.dtype is other.dtype
                and self.shape == other.shape)

    def __hash__(self):
        return hash((self.dtype, self.shape))

    def __iter__(self):  # allows `dtype, shape = ty`
        yield self.dtype
        yield self.shape

    def __repr__(self):
        return f"TensorType({self.dtype!r}, {self.shape!r})"

    def __str__(self):
        """Printer spelling: f32[?,10], i32[], bool[*] for unknown rank."""
        if self.shape.rank is None:
            return f"{self.dtype.short}[*]"
        dims = ",".join("?" if d is None else str(d) for d in self.shape.as_tuple())
        return f"{self.dtype.short}[{dims}]"


def scalar(dtype):
    return TensorType(dtype, TensorShape(()))
