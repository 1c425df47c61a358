"""Builtins that converted code stages on tensors (a table: builtin -> replacement).

`print` stays a trace-time Python print, with a one-time note per call site pointing to
tf.print; `len`, `range`, `enumerate`, `zip`, `int`, `float` act on symbolic tensors as graph
ops (or loop plans for `for`), and `tf.stack` of a list carried through a graph loop stacks its
TensorArray. On Python values every replacement behaves exactly like the builtin.
"""
import builtins
import warnings

from ...ops import array_ops, math_ops
from ...ops.tensor_array import TensorArray
from ...tensor import Tensor
from ...tracing import context
from . import staging
from ...tracing.builder import user_location

_noted_sites = set()


def _print(*args, **kwargs):
    if context.current_builder() is not None:
        if staging.is_probing():
            return None
        loc = user_location(2)
        site = (loc.filename, loc.lineno) if loc is not None else None
        if site not in _noted_sites:
            _noted_sites.add(site)
            text = ("print() inside a tf.function runs only while the function is traced, not "
                    "on every call. Use tf.print(...) to print values each time it runs.")
            if loc is not None:
                warnings.warn_explicit(text, UserWarning, loc.filename, loc.lineno)
            else:
                warnings.warn(text, UserWarning, stacklevel=3)
    return builtins.print(*args, **kwargs)


def _len(x):
    if isinstance(x, TensorArray):
        return x.size()
    if staging.is_symbolic(x):
        if x.shape.rank == 0:
            raise staging.located(TypeError("len() of a scalar tensor is not defined"))
        if x.shape.rank is not None and x.shape[0] is not None:
            return x.shape[0]
        return array_ops.shape(x)[0]
    return builtins.len(x)


def _range(*args):
    if any(isinstance(a, Tensor) and a._is_symbolic for a in args):
        return array_ops.range(*args)
    return builtins.range(*args)


def _loopable(x):
    from .loops import ITERATION_CLAIMS, Enumerate, Zip
    return isinstance(x, (TensorArray, Enumerate, Zip)) or staging.is_symbolic(x) or \
        any(claims(x) for claims in ITERATION_CLAIMS)


def _enumerate(iterable, start=0):
    from .loops import Enumerate
    if _loopable(iterable):
        return Enumerate(iterable, start)
    return builtins.enumerate(iterable, start)


def _zip(*iterables, **kwargs):
    from .loops import Zip
    if iterables and any(_loopable(x) for x in iterables) and \
            all(_loopable(x) for x in iterables) and not kwargs:
        return Zip(iterables)
    return builtins.zip(*iterables, **kwargs)


def _cast_builtin(builtin, dtype):
    def convert(x=0, *args):
        if staging.is_symbolic(x) and not args:
            return math_ops.cast(x, dtype)
        return builtin(x, *args)
    return convert


def _stack(values, axis=0, name="stack"):
    if isinstance(values, TensorArray):
        stacked = values.stack()
        rank = stacked.shape.rank
        if axis == 0 or rank is None:
            return stacked
        axis = axis % rank
        perm = list(builtins.range(1, axis + 1)) + [0] + list(builtins.range(axis + 1, rank))
        return array_ops.transpose(stacked, perm)
    return array_ops.stack(values, axis=axis, name=name)


_TABLE = {
    builtins.print: _print,
    builtins.len: _len,
    builtins.range: _range,
    builtins.enumerate: _enumerate,
    builtins.zip: _zip,
    builtins.int: _cast_builtin(builtins.int, "int32"),
    builtins.float: _cast_builtin(builtins.float, "float32"),
    array_ops.stack: _stack,
}


def lookup(f):
    try:
        return _TABLE.get(f)
    except TypeError:  # unhashable callable
        return None
