"""Which graph (if any) ops are being traced into, per thread. A leaf: imports nothing of ours.

`apply` asks `current_builder()`: None means eager execution. `TRACING[0]` counts the
`building` blocks open in any thread: the native warm call (codegen/llvm/fastcall.py) reads it
and steps aside while it is not zero, leaving the per-thread decision to the ordinary path."""
import threading

import numpy as np

_local = threading.local()
TRACING = np.zeros(1, np.int64)
_count_lock = threading.Lock()


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
