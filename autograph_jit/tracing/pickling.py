"""Pickling a tf.function: by its Python function and options, never by its traces.

Traces hold native code (ctypes pointers, LLVM engines) that cannot leave the process; the
receiver traces again on its first call, exactly as the sender did. So a `Function` pickles as:
- a global name when it is importable as itself from a module other than `__main__` (the
  receiver imports it: plain pickle, multiprocessing, cloudpickle alike);
- a bound method's `getattr(instance, name)` (the instance is pickled, its class binds again);
- otherwise its Python function and options, rebuilt by `rebuild_function`. Lambdas, nested
  functions and functions of `__main__` need a pickler that sends functions by value
  (cloudpickle, dill: what Spark, Dask and Ray use); plain `pickle` sends a `__main__` function by
  name (multiprocessing's workers have it) and refuses the rest with a TypeError that says what
  to send instead.

    import cloudpickle, autograph_jit as tf
    f = tf.function(lambda x: x * 2.0)
    g = cloudpickle.loads(cloudpickle.dumps(f))   # traces again on its first call
"""
import sys
import types
from .function import Function

_BY_VALUE_PICKLERS = ("cloudpickle", "dill")


def function_options(fn):
    """The keyword arguments that rebuild `fn` (a Function) with the same behaviour."""
    return {"name": fn._name, "input_signature": fn.input_signature,
            "autograph": fn._autograph, "reduce_retracing": fn._reduce_retracing,
            "jit_compile": fn.jit_compile, "backend": fn.backend, "strict": fn.strict,
            "optimizer_options": fn.optimizer_options}


def rebuild_function(python_function, options):
    """A fresh Function (no traces) for an unpickled one."""
    return Function(python_function, **options)


def reduce_function(fn):
    """`Function.__reduce__`: see the module docstring."""
    py = fn.python_function
    if isinstance(py, types.MethodType):  # a tf.function method bound to an instance
        return getattr, (py.__self__, py.__func__.__name__)
    module = getattr(py, "__module__", None)
    qualname = getattr(py, "__qualname__", None)
    found = _lookup(module, qualname)
    if found is fn and module != "__main__":
        return qualname  # importable by name: pickle writes a global reference
    if _pickler_sends_functions_by_value():
        return rebuild_function, (py, function_options(fn))
    if found is fn:  # a __main__ function for plain pickle: by name, as pickle sends functions
        return qualname
    raise TypeError(
        f"cannot pickle tf.function {fn._name!r}: plain pickle sends functions by name, and "
        f"{qualname or py!r} cannot be imported by name from {module!r} (a lambda, a nested "
        "function, or one replaced in its module). Send it with cloudpickle (as Spark, Dask and "
        "Ray do), or define it at module level and send the module-level tf.function, or save it "
        "with tf.saved_model.save and send the directory.")


def _lookup(module, qualname):
    if not module or not qualname or "<locals>" in qualname:
        return None
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _pickler_sends_functions_by_value():
    """Whether the pickler now running is cloudpickle's or dill's. A pickler is not handed to
    `__reduce__`, so the Python frames that called into it are searched for it (`self` of its
    `dump`); NumPy and the C pickle add no frames in between."""
    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            return False
        owner = frame.f_locals.get("self")
        if owner is not None and type(owner).__module__.split(".")[0] in _BY_VALUE_PICKLERS:
            return True
        frame = frame.f_back
    return False
