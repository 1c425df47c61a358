"""Python's cyclic garbage collector, paused while a function is compiled.

A cold compile (tracing, the optimizer's passes, the LLVM lowering) allocates tens of thousands
of small objects that live until the compile ends: graph nodes and values, llvmlite instructions.
With automatic collection on, those allocations trigger collections, and each full one walks the
whole heap, which after `import autograph_jit` holds the package, NumPy and the LLVM bindings:
about 30 ms of the ~100 ms of Python a Keras MLP step's compile takes. Nothing a compile makes is
garbage before it ends, so `paused()` turns automatic collection off for the compile and back on
after it; the next allocation after that runs the one young-generation collection that was due.

Pauses nest and may overlap across threads (a counter under a lock): collection resumes when the
last one ends, and only if it was on when the first one began (a program that turned the
collector off keeps it off). An explicit `gc.collect()` still runs during a pause.
"""
import contextlib
import functools
import gc
import threading

_lock = threading.Lock()
_depth = 0
_resume = False  # collection was on when the outermost pause began


@contextlib.contextmanager
def paused():
    """Pause automatic garbage collection for the body of a `with` statement.

    Example:

        with gc_pause.paused():
            graph = run_passes(graph)   # no collection walks the heap meanwhile
    """
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()


def pausing(fn):
    """Decorator: `fn` runs with automatic garbage collection paused (see `paused`).

    (Its wrapper frame lies in this package, so the tracer's search for the user's source line,
    which skips the library's frames, never stops at it, as it would at contextlib's.)

    Example:

        @gc_pause.pausing
        def run_pipeline(graph): ...
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with paused():
            return fn(*args, **kwargs)
    return wrapper
