"""State OpDefs: reading and writing a Variable (effects ordered by the effect token).

The Variable object itself travels as the `var` attribute; eagerly the kernels read and replace
its NumPy buffer. Writes replace the buffer instead of mutating it, so tensors read earlier keep
their values (a read is a snapshot, as in TF).
"""
import numpy as np

from ..ir.types import TensorType
from ..errors import InvalidArgumentError
from ..tensor_shape import TensorShape
from .opdef import READS_VARIABLE, WRITES_VARIABLE, defop


def _read_infer(in_types, var):
    return TensorType(var.dtype, var.shape)


read_variable = defop("read_variable", _read_infer, lambda var: var._value,
                      effects=READS_VARIABLE, vjp=lambda c, g: g,
                      doc="The current value of attribute `var`.")


def _assign_infer(in_types, var):
    value = in_types[0]
    if value.dtype is not var.dtype:
        raise InvalidArgumentError(
            f"Cannot assign a {value.dtype.name} value to variable {var.name!r} of dtype "
            f"{var.dtype.name}. Fix: tf.cast the value to tf.{var.dtype.name}.", "assign_variable")
    _check_shape(value.shape, var)
    return ()


def _check_shape(shape, var):
    """The same error at trace time (static shapes) and at run time (a None dim in the trace:
    the kernel checks the actual value)."""
    if not var.shape.is_compatible_with(shape):
        raise InvalidArgumentError(
            f"Cannot assign a value of shape {TensorShape(shape)} to variable {var.name!r} of "
            f"shape {var.shape}.", "assign_variable")


def _assign_kernel(value, var):
    _check_shape(np.shape(value), var)
    arr = np.array(value, dtype=var.dtype.np_dtype)  # a private copy: callers may reuse `value`
    arr.flags.writeable = False
    var._value = arr
    return ()


assign_variable = defop("assign_variable", _assign_infer, _assign_kernel,
                        effects=WRITES_VARIABLE, num_outputs=0,
                        doc="Replace the value of attribute `var` with input 0.")
