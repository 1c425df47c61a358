"""Which graph (if any) ops are being traced into, per thread. A leaf: imports only the runtime's
fork-safety helpers.

`apply` asks `current_builder()`: None means eager execution. `TRACING[0]` counts the
`building` blocks open in any thread, the writers holding variable write locks
(`pause_native_calls`, variable_locks.py) and the native warm calls that write variables
running without the GIL (they count themselves, with the GIL held): the native
warm call (codegen/llvm/native_call.py) reads it and steps aside while it is not zero, leaving
the per-thread decision to the ordinary path. `TRACING[1]` counts the native warm calls that
write variables running without the GIL now (they change it with the GIL held); writers on
the ordinary path wait for it to reach zero (`wait_for_native_writers`)."""
import threading
import time

import numpy as np

from ..runtime import forksafe



class _Local(threading.local):
    # A class-level default: reading `builder` in a thread that never set it finds None without
    # raising and catching an AttributeError inside getattr (~1 µs, on every eager op).
    builder = None
    device = None   # "CPU" / "GPU" inside a tf.device scope (eager_context.device)


_local = _Local()
TRACING = np.zeros(2, np.int64)   # [0]: native warm calls step aside; [1]: see variable_locks
_count_lock = forksafe.Lock()


@forksafe.in_child
def _count_this_thread_only():
    """A forked child has only the forking thread: other threads' traces never end there."""
    TRACING[0] = 1 if current_builder() is not None else 0
    TRACING[1] = 0


def pause_native_calls():
    """Native warm calls step aside until the matching `resume_native_calls` (they take no
    variable lock: a call holding some lets go of the GIL, see variable_locks.py)."""
    with _count_lock:
        TRACING[0] += 1


def resume_native_calls():
    with _count_lock:
        TRACING[0] -= 1


def wait_for_native_writers():
    """Return once no native warm call that writes variables runs without the GIL (each sleeps
    the GIL away until they finish; with native calls paused, no new one starts)."""
    while TRACING[1]:
        time.sleep(0)


def current_builder():
    return getattr(_local, "builder", None)


class building:
    """Context manager making `builder` the target of every op applied inside it."""

    def __init__(self, builder):
        self.builder = builder

    def __enter__(self):
        self.prev = getattr(_local, "builder", None)
        with _count_lock:
            TRACING[0] += 1
        _local.builder = self.builder
        return self.builder

    def __exit__(self, *exc):
        _local.builder = self.prev
        with _count_lock:
            TRACING[0] -= 1
        return False


class lifted:
    """Context manager running ops eagerly even while this thread traces (`tf.init_scope`)."""

    def __enter__(self):
        self.prev = getattr(_local, "builder", None)
        _local.builder = None

    def __exit__(self, *exc):
        _local.builder = self.prev
        return False


def current_device():
    """The device kind ("CPU" or "GPU") of the innermost tf.device scope of this thread, or
    None outside any (tf.function picks its backend from it, tracing/function.py)."""
    return _local.device


class device_scope:
    """Context manager: `kind` ("CPU", "GPU", or None: no change) is this thread's device."""

    def __init__(self, kind):
        self.kind = kind

    def __enter__(self):
        self.prev = _local.device
        if self.kind is not None:
            _local.device = self.kind

    def __exit__(self, *exc):
        _local.device = self.prev
        return False


# code objects of user functions AutoGraph could not convert -> why (written by
# autograph.operators.calls, read by the bool-of-tensor error in tracing/symbolic.py)
UNCONVERTED = {}
