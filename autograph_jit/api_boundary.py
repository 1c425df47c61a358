"""Public API boundaries: an error raised inside the library reaches the user with a traceback of
the user's own frames, as JAX's traceback filtering does.

`install(*namespaces)` wraps every public function of the TF-compatible namespaces (tf.*,
tf.math, tf.nn, ...) once: on an exception the wrapper drops this library's frames from the
traceback (tracebacks.py) and re-raises. The wrapper's own frame
stays, marked `__tracebackhide__` (pytest and IPython hide it). `tf.config.set_debug_tracebacks
(True)` or AUTOGRAPH_JIT_FULL_TRACEBACKS=1 keeps every frame. The fast path is one extra call.
"""
import functools
import os
import types

from . import tracebacks as _tracebacks


def boundary(fn):
    """`fn` as a public entry point whose errors show only the user's frames."""
    @functools.wraps(fn)
    def api_call(*args, **kwargs):
        __tracebackhide__ = True  # read by pytest and IPython
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise e.with_traceback(_tracebacks.filtered(e.__traceback__))
    api_call._api_boundary = True
    return api_call


# public names that are not plain library functions to wrap (decorators, context managers)
_SKIP = frozenset({"function", "custom_gradient", "name_scope", "device", "init_scope",
                   "print"})


def install(*namespaces):
    """Wrap the public functions of `namespaces` (modules) in `boundary`; one wrapper per
    function object, shared by every namespace that exports it."""
    made = {}
    for ns in namespaces:
        for name, value in list(vars(ns).items()):
            if name.startswith("_") or name in _SKIP or not isinstance(value, types.FunctionType):
                continue
            if getattr(value, "_api_boundary", False):
                continue
            code = getattr(getattr(value, "__wrapped__", value), "__code__", value.__code__)
            if not _tracebacks.is_library(os.path.abspath(code.co_filename)):
                continue
            new = made.get(id(value))
            if new is None:
                new = made[id(value)] = boundary(value)
                # pickle finds a function by module and name: point them at this namespace
                new.__module__, new.__qualname__ = ns.__name__, name
            setattr(ns, name, new)
