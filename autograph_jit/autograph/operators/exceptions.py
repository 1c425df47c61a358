"""`assert_stmt`: Python's assert on Python values and eager tensors; a run-time check op (an
AssertionError when the graph runs) on a symbolic tensor, whose message carries the user's
file, line and assert statement."""
from . import staging


def assert_stmt(test, msg_fn):
    if not staging.is_symbolic(test):
        if not test:
            msg = msg_fn()
            raise AssertionError(msg) if msg is not None else AssertionError()
        return None
    from ...ops import check_ops
    from ...tracing.builder import user_location
    msg = msg_fn()
    loc = user_location(2)
    where = f" [{loc.filename}:{loc.lineno}: {loc.source}]" if loc is not None else ""
    text = ("assertion failed" if msg is None else str(msg)) + where
    check_ops.assert_that(test, message=text)
    return None
