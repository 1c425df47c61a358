"""`assert_stmt`: Python's assert on Python values and eager tensors; a run-time check op (an
AssertionError when the graph runs) on a symbolic tensor, whose message carries the user's
file, line and assert statement.

`raise_stmt`: Python's raise, except while a staged branch or loop body is traced (its code
runs at trace time whatever the condition will be): there it is a check op that always fails
when that path runs, with the exception's type (for builtin exceptions) and message."""
import builtins

from . import staging
from .calls import in_staged_region
from ...ops import check_ops
from ...tracing.builder import user_location


def assert_stmt(test, msg_fn):
    if not staging.is_symbolic(test):
        if not test:
            msg = msg_fn()
            raise AssertionError(msg) if msg is not None else AssertionError()
        return None
    msg = msg_fn()
    loc = user_location(2)
    where = f" [{loc.filename}:{loc.lineno}: {loc.source}]" if loc is not None else ""
    text = ("assertion failed" if msg is None else str(msg)) + where
    check_ops.assert_that(test, message=text)
    return None


def raise_stmt(exc, catchable=False):
    if not in_staged_region():
        raise exc
    if isinstance(exc, type):
        exc = exc()
    if not isinstance(exc, BaseException):
        raise TypeError("exceptions must derive from BaseException")
    name = type(exc).__name__
    if catchable:
        raise staging.located(RuntimeError(
            f"This `raise {name}(...)` is inside a `try` with an `except` clause and inside a "
            "branch or loop that depends on a tensor. The branch is traced into the graph "
            "whatever the condition turns out to be, so the exception can only be raised when "
            "the graph runs, where no Python `except` can catch it. Fix: decide with a Python "
            "value, or compute a flag tensor instead of raising (tf.where / tf.cond)."))
    loc = user_location(2)
    where = f" [{loc.filename}:{loc.lineno}: {loc.source}]" if loc is not None else ""
    error = name if isinstance(getattr(builtins, name, None), type) and \
        getattr(builtins, name) is type(exc) else None
    check_ops.assert_that(False, message=f"{name}: {exc}{where}", error=error)
