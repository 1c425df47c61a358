"""`tf.debugging`: run-time checks (see ops/check_ops.py)."""
from .ops.check_ops import ASSERTS as _ASSERTS
from .errors import AssertionFailedError  # noqa: F401
from .ops.check_ops import Assert

globals().update(_ASSERTS)
__all__ = ["Assert", *_ASSERTS]
