"""What the staged (graph) paths of the operators share: recognising tensors and statically
known values, naming state variables in errors, converting Python values that cross a graph
cond/loop into tensors (Python numbers are weakly typed: they take the dtype of the tensor on
the other side), and the "probe" flag that silences trace-time notes during a throwaway trace.
"""
import numbers
import threading
import weakref

import numpy as np

from ... import dtypes, nest
from ...ops.tensor_array import TensorArray, to_buffers
from ...tensor import Tensor
from ...tracing import context
from .variables import Undefined
from ...runtime.interpreter import run_node

_local = threading.local()


def is_symbolic(x):
    return isinstance(x, Tensor) and x._is_symbolic


def static_value(x, limit=64):
    """The value of symbolic scalar `x` when it is known while tracing: computed now from
    constants and statically known shapes through a few pure ops, else None."""
    env, order, stack, seen = {}, [], [x._val], set()
    while stack:
        v = stack.pop()
        if v.id in seen or v.id in env:
            continue
        if v.type.value is not None:
            env[v.id] = np.asarray(v.type.value)
            if env[v.id].size > 4096:  # not worth computing at trace time
                return None
            continue
        node = v.node
        if node is None or node.op.effects or node.regions or len(order) >= limit:
            return None
        seen.add(v.id)
        order.append(node)
        stack.extend(node.data_inputs)
    try:
        for node in _topological(order):
            outs = run_node(node, [env[i.id] for i in node.inputs])
            for out_v, o in zip(node.outputs, outs):
                env[out_v.id] = o
    except Exception:  # not computable now (e.g. an invalid op on this shape)
        return None
    value = np.asarray(env[x._val.id])
    return value.item() if value.size == 1 else None


def _topological(nodes):
    """`nodes` ordered producers first."""
    ids = {id(n) for n in nodes}
    out, done = [], set()

    def visit(n):
        if id(n) in done:
            return
        done.add(id(n))
        for v in n.data_inputs:
            if v.node is not None and id(v.node) in ids:
                visit(v.node)
        out.append(n)
    for n in nodes:
        visit(n)
    return out


def located(exc):
    b = context.current_builder()
    return b.located(exc) if b is not None else exc


class probing:
    """While active, Python-side notes (print, unrolling warnings) are not emitted."""

    def __enter__(self):
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(self, *exc):
        _local.depth -= 1
        return False


def is_probing():
    return getattr(_local, "depth", 0) > 0


def is_tensor_like(x):
    return isinstance(x, (Tensor, TensorArray))


def is_weak(x):
    """A Python number: it adapts to the dtype of the tensor it meets."""
    return isinstance(x, numbers.Number) and not isinstance(x, (Tensor, np.ndarray)) or \
        isinstance(x, np.generic)


_WEAK_TENSORS = weakref.WeakValueDictionary()


def mark_weak(t):
    """Record that tensor `t` stands for Python numbers (a cond merged two different ones), so
    a graph loop may still widen its dtype like a Python number's."""
    if isinstance(t, Tensor):
        _WEAK_TENSORS[id(t)] = t
    return t


def is_weak_tensor(x):
    return isinstance(x, Tensor) and _WEAK_TENSORS.get(id(x)) is x


def has_tensors(x):
    return any(is_tensor_like(leaf) for leaf in nest.flatten(x))


def describe(x):
    """Short text for a value in an error message: 'a float32 tensor', 'the Python int 3'."""
    if isinstance(x, TensorArray):
        return f"a TensorArray of {x.dtype.name}"
    if isinstance(x, Tensor):
        article = "an" if x.dtype.name[0] in "aeiou" else "a"
        return f"{article} {x.dtype.name} tensor of shape {x.shape}"
    if isinstance(x, Undefined):
        return "undefined"
    if x is None:
        return "None"
    if isinstance(x, (bool, int, float)):
        return f"the Python {type(x).__name__} {x!r}"
    return f"a Python {type(x).__name__}"


def default_dtype(*values):
    """TF's dtype for Python numbers: bool, int32 (int64 if too big) or float32."""
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return dtypes.bool
    if any(isinstance(v, (float, np.floating)) for v in values):
        return dtypes.float32
    big = any(abs(int(v)) > 2 ** 31 - 1 for v in values)
    return dtypes.int64 if big else dtypes.int32


def weak_fits(value, dtype):
    """Whether the Python number `value` can become a tensor of `dtype` without changing."""
    if isinstance(value, (bool, np.bool_)):
        return dtype.name == "bool"
    if dtype.name == "bool":
        return False
    if dtype.is_integer:
        return float(value) == int(value) if isinstance(value, (float, np.floating)) else True
    return True


def leaves(x):
    return nest.flatten(to_buffers(x))
