"""AutoGraph's public entry points: conversion for tracing, to_code, to_graph, do_not_convert."""
import functools
import types

from . import conversion
from .operators import calls

_DO_NOT_CONVERT = calls.DO_NOT_CONVERT


def do_not_convert(func=None):
    """Mark `func` so AutoGraph leaves it as written (TF's
    tf.autograph.experimental.do_not_convert).

    >>> @tf.autograph.experimental.do_not_convert
    ... def plain(x):
    ...     return x + 1
    >>> print(tf.function(plain)(tf.constant(1)))
    tf.Tensor(2, shape=(), dtype=int32)
    """
    if func is None:
        return do_not_convert

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    setattr(wrapper, _DO_NOT_CONVERT, True)
    return wrapper


def _plain(fn):
    """The Python function behind a tf.function, bound method or function."""
    fn = getattr(fn, "python_function", fn)
    if isinstance(fn, types.MethodType):
        return fn.__func__
    return fn


def convert_for_tracing(func):
    """The function tf.function traces when autograph=True: `func` with its Python control
    flow converted (or `func` itself when it must run as written)."""
    if getattr(func, _DO_NOT_CONVERT, False):
        return func
    converted = calls.convert_callable(func)
    if converted is None:
        return func
    if _verbosity["level"] >= 1:
        print(to_code(func))
    key = calls.original_key(func)
    name = getattr(func, "__name__", "function")

    def traced(*args, **kwargs):
        with calls.calling(key, name):
            return converted(*args, **kwargs)
    traced.ag_converted = converted
    return traced


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """TF's tf.autograph.to_graph: the converted Python function (callable eagerly or inside a
    tf.function).

    >>> def double_if_positive(x):
    ...     if x > 0:
    ...         x = x * 2
    ...     return x
    >>> converted = tf.autograph.to_graph(double_if_positive)
    >>> print(tf.function(converted)(tf.constant(3)))
    tf.Tensor(6, shape=(), dtype=int32)
    """
    fn = getattr(entity, "python_function", entity)
    converted = calls.convert_callable(fn)
    if converted is None:
        raise ValueError(f"tf.autograph.to_graph: cannot convert {entity!r} (no Python source, "
                         "or not user code)")
    return converted


def to_code(entity, recursive=True, experimental_optional_features=None):
    """TF's tf.autograph.to_code: the converted source, each line commented with the original
    file and line it comes from.

    >>> def halve_until_one(x):
    ...     while x > 1:
    ...         x = x // 2
    ...     return x
    >>> "ag__.while_stmt" in tf.autograph.to_code(halve_until_one)
    True
    """
    fn = _plain(entity)
    if not isinstance(fn, types.FunctionType):
        call = getattr(type(fn), "__call__", None)
        if not isinstance(call, types.FunctionType):
            raise ValueError(f"tf.autograph.to_code: {entity!r} is not a Python function")
        fn = call
    return conversion.converted_source(fn)


_verbosity = {"level": 0}


def set_verbosity(level, alsologtostdout=False):
    """TF's tf.autograph.set_verbosity: at level >= 1 each converted function's code is printed
    when it is first converted for tracing.

    >>> tf.autograph.set_verbosity(0)
    """
    _verbosity["level"] = int(level)


def trace(*args):
    """TF's tf.autograph.trace: print the arguments while tracing (at trace time).

    >>> @tf.function
    ... def f(x):
    ...     tf.autograph.trace('tracing with', x)
    ...     return x + 1
    >>> _ = f(tf.constant(1))
    tracing with Tensor("x:0", shape=(), dtype=int32)
    """
    print(*args)


def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None):
    """Specifies additional arguments to be passed to the enclosing while_loop.

    Call it as the first statement of a loop body that AutoGraph turns into a graph loop. The
    converter takes the call out of the body and evaluates its arguments just before the loop
    (as TF does), so the variables named in `shape_invariants` are the values they have there.
    In a Python loop, eagerly, or outside a loop it does nothing.

    Args:
      parallel_iterations: accepted for TF compatibility; it tunes TF's executor and has no
        effect here.
      swap_memory: accepted for TF compatibility; no effect.
      maximum_iterations: stop the loop after this many iterations (an int or int tensor).
      shape_invariants: a list of `(variable, shape)` pairs: the loop variable may take any
        shape compatible with `shape` (e.g. `tf.TensorShape([None])`) from one iteration to the
        next; any other shape change of that variable is an error.

    Example:

    >>> @tf.function
    ... def grow(n):
    ...     x = tf.zeros([1])
    ...     for i in tf.range(n):
    ...         tf.autograph.experimental.set_loop_options(
    ...             shape_invariants=[(x, tf.TensorShape([None]))])
    ...         x = tf.concat([x, [1.0]], 0)
    ...     return x
    >>> grow(tf.constant(3)).shape
    TensorShape([4])
    """
    return None


class experimental:
    """`tf.autograph.experimental`.

    >>> @tf.autograph.experimental.do_not_convert
    ... def plain(x):
    ...     return x * 2
    >>> int(tf.function(plain)(tf.constant(3)))
    6
    """

    do_not_convert = staticmethod(do_not_convert)
    set_loop_options = staticmethod(set_loop_options)
