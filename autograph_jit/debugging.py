"""`tf.debugging`: run-time checks (see ops/check_ops.py)."""
import numpy as np

from .ops.check_ops import ASSERTS as _ASSERTS
from .errors import AssertionFailedError  # noqa: F401
from .ops.check_ops import Assert
from .errors import InvalidArgumentError
from .ops import array_ops, check_ops, math_ops
from .tensor import convert_to_tensor

globals().update(_ASSERTS)
__all__ = ["Assert", *_ASSERTS]


def check_numerics(tensor, message, name=None):
    """Checks a tensor for NaN and Inf values: returns it unchanged, or raises
    InvalidArgumentError (`"<message> : Tensor had NaN values"`, or Inf) — at run time inside a
    tf.function.

    >>> tf.debugging.check_numerics(tf.constant([1.0, 2.0]), "ok").numpy()
    array([1., 2.], dtype=float32)
    >>> try:
    ...     tf.debugging.check_numerics(tf.constant([1.0, float("inf")]), "bad x")
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(e.message)
    bad x : Tensor had Inf values
    """
    x = convert_to_tensor(tensor)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"check_numerics: the tensor must be floating-point, got {x.dtype.name}")
    if not getattr(x, "_is_symbolic", False):
        arr = x.numpy()
        if np.isnan(arr).any():
            raise InvalidArgumentError(f"{message} : Tensor had NaN values", "CheckNumerics")
        if np.isinf(arr).any():
            raise InvalidArgumentError(f"{message} : Tensor had Inf values", "CheckNumerics")
        return x
    check_ops.assert_that(math_ops.reduce_all(math_ops.is_finite(x)),
                          message=f"{message} : Tensor had NaN or Inf values")
    return array_ops.identity(x)


__all__.append("check_numerics")
