"""Which graph (if any) ops are being traced into, per thread. A leaf: imports nothing.

`apply` asks `current_builder()`: None means eager execution."""
import threading

_local = threading.local()


def current_builder():
    return getattr(_local, "builder", None)


class building:
    """Context manager making `builder` the target of every op applied inside it."""

    def __init__(self, builder):
        self.builder = builder

    def __enter__(self):
        self.prev = getattr(_local, "builder", None)
        _local.builder = self.builder
        return self.builder

    def __exit__(self, *exc):
        _local.builder = self.prev
        return False
