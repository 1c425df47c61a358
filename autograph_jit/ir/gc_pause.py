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

The pause only defers the collections that are due; the first full one of the process comes soon
after import whatever happens (CPython runs one after ten young-generation passes when many new
objects survived), and walking the ~40,000 objects the imports left costs 20-60 ms, then inside
the first `fit`. `freeze_imported()`, called once at the end of `import autograph_jit`, moves
those objects to the collector's permanent generation (`gc.freeze`): module state that lives as
long as the process, so no later collection walks it again.
"""
import contextlib
import functools
import gc
import os
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


def freeze_imported():
    """Move every object alive now to the collector's permanent generation (`gc.freeze`).

    Called once, as the last step of `import autograph_jit`, when what is alive is the imported
    modules' state (this package, NumPy, ...): later collections, the full ones included, walk
    only the objects made after it. (An object frozen here is still freed when its last
    reference goes; only a reference cycle among frozen objects would be kept.)

    AUTOGRAPH_JIT_GC_FREEZE=0 (or false/off) leaves the collector as it was.

    Example:

        gc_pause.freeze_imported()   # the end of autograph_jit/__init__.py
    """
    if os.environ.get("AUTOGRAPH_JIT_GC_FREEZE", "1").lower() not in ("0", "false", "off", ""):
        gc.freeze()
