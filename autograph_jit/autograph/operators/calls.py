"""`converted_call`: how converted code calls anything.

User functions (and methods, and callable objects defined in user code) are converted
recursively before they run; library, builtin and autograph_jit code runs as it is, except the
builtins py_builtins.py stages on tensors (`print`, `len`, `range`, ...). Functions marked with
`do_not_convert` run as written.

It also keeps a stack of the user functions being traced and of the staged regions (branches
and loop bodies) entered, so a function that calls itself inside a tensor-dependent branch —
recursion whose base case is only known at run time, which would trace forever — fails at once
with an error at the call's line.
"""
import functools
import os
import sys
import sysconfig
import threading
import types
import warnings

from ...errors import ConversionError, NotConverted
from ...tracing import context
from ..conversion import convert, is_converted
from . import py_builtins, staging
from .variables import Undefined

DO_NOT_CONVERT = "__autograph_do_not_convert__"
_local = threading.local()
_STAGED = object()
_warned = set()


def _stack():
    s = getattr(_local, "stack", None)
    if s is None:
        s = _local.stack = []
    return s


def in_staged_region():
    """Whether the innermost user function being traced is inside one of its own staged
    branches or loop bodies (not merely called from one: a helper's Python-level checks
    still raise while tracing)."""
    stack = _stack()
    return bool(stack) and stack[-1] is _STAGED


class staged_region:
    """Marks the tracing of a staged branch or loop body (for the recursion check)."""

    def __enter__(self):
        _stack().append(_STAGED)

    def __exit__(self, *exc):
        _stack().pop()
        return False


class calling:
    """Marks the call of user function `key` (its original code object)."""

    def __init__(self, key, name):
        self.key, self.name = key, name

    def __enter__(self):
        stack = _stack()
        staged = False
        for entry in reversed(stack):
            if entry is _STAGED:
                staged = True
            elif entry is self.key and staged:
                raise staging.located(RecursionError(
                    f"'{self.name}' calls itself inside a branch or loop that depends on a "
                    "tensor, so its base case is only decided when the graph runs and tracing "
                    "would never end. Fix: make the recursion depend on Python values (e.g. a "
                    "Python int argument), or write it as a loop (a `while` on tensors)."))
        stack.append(self.key)

    def __exit__(self, *exc):
        _stack().pop()
        return False


# ----------------------------------------------------------------------------------------------
# which code is the user's
# ----------------------------------------------------------------------------------------------

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LIB_DIRS = tuple(p for p in {os.path.dirname(_PKG_DIR) + os.sep + "runtime", _PKG_DIR,
                              sysconfig.get_paths().get("stdlib"),
                              sysconfig.get_paths().get("purelib"),
                              sysconfig.get_paths().get("platlib"),
                              sys.prefix, sys.base_prefix, sys.exec_prefix} if p)


def is_user_code(func):
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    filename = code.co_filename
    if filename.startswith("<frozen") or filename.startswith("<autograph"):
        return False
    absolute = os.path.abspath(filename) if not filename.startswith("<") else filename
    return not any(absolute.startswith(d + os.sep) or absolute == d for d in _LIB_DIRS)


def original_key(f):
    """The code object identifying user function `f` across its converted forms."""
    f = getattr(f, "python_function", f)
    f = getattr(f, "__func__", f)
    f = getattr(f, "ag_original", f)
    return getattr(f, "__code__", None)


def _convert_or_none(func):
    """The converted plain function, or None when it must run as written."""
    if getattr(func, DO_NOT_CONVERT, False):
        return None
    if is_converted(func):
        return func
    if not is_user_code(func):
        return None
    try:
        return convert(func)
    except NotConverted:
        return None
    except ConversionError as e:
        name = getattr(func, "__qualname__", func)
        no_source = str(e).startswith("no source code")
        key = getattr(func, "__code__", func)
        if hasattr(key, "co_code"):  # the bool-of-tensor error then says why (symbolic.py)
            why = "its source code is not available" if no_source else str(e)
            context.UNCONVERTED[key] = f"{name!r} ({why})"
        if key not in _warned:
            _warned.add(key)
            if no_source:
                message = (
                    f"AutoGraph could not convert {name!r}: its source code is not available "
                    "(defined with `python -c`, `exec`, or in a REPL that keeps no source). It "
                    "runs as written, so a Python `if`/`while` on tensors inside it will fail. "
                    "Fix: define it in a .py file or a notebook cell, or use tf.cond / "
                    "tf.while_loop; @tf.autograph.experimental.do_not_convert silences this.")
            else:
                message = (
                    f"AutoGraph could not convert {name!r} ({e}); it runs as written, so Python "
                    "control flow on tensors inside it will fail. Decorate it with "
                    "@tf.autograph.experimental.do_not_convert to silence this.")
            code = getattr(func, "__code__", None)
            if code is not None:  # located at the user's function, not in this library
                warnings.warn_explicit(message, UserWarning, code.co_filename,
                                       code.co_firstlineno, module=getattr(func, "__module__",
                                                                           None) or "")
            else:
                warnings.warn(message, UserWarning, stacklevel=4)
        return None


def convert_callable(f):
    """`f` converted for calling from converted code (same kind of callable), or None."""
    if isinstance(f, types.FunctionType):
        return _convert_or_none(f)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        conv = _convert_or_none(f.__func__)
        return None if conv is None else types.MethodType(conv, f.__self__)
    if isinstance(f, functools.partial):
        conv = convert_callable(f.func)
        return None if conv is None else functools.partial(conv, *f.args, **f.keywords)
    if isinstance(f, type) or getattr(f, DO_NOT_CONVERT, False):
        return None
    call = getattr(type(f), "__call__", None)
    if isinstance(call, types.FunctionType) and is_user_code(call) and \
            not hasattr(f, "python_function"):
        conv = _convert_or_none(call)
        return None if conv is None else types.MethodType(conv, f)
    return None


def converted_call(f, args, kwargs):
    kwargs = kwargs or {}
    special = py_builtins.lookup(f)
    if special is not None:
        return special(*args, **kwargs)
    for a in args:
        if isinstance(a, Undefined):
            a._fail()
    target = convert_callable(f)
    key = original_key(f)
    if target is None:
        if key is not None and hasattr(f, "python_function"):  # a tf.function
            with calling(key, getattr(f, "__name__", "function")):
                return f(*args, **kwargs)
        return f(*args, **kwargs)
    with calling(key, getattr(f, "__name__", "function")):
        return target(*args, **kwargs)
