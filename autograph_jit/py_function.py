"""`tf.py_function` and `tf.numpy_function`: Python called from inside a graph.

Eagerly both simply call the function. While tracing, each becomes one host op in the graph: the
compiled code calls back into Python at that point, in program order, every call (the CPU backend
lowers it as a host callback by design, and `cf.explain()` counts it among the host callbacks).

`py_function` hands the function EagerTensors and is differentiable: its gradient op re-runs the
function eagerly under a GradientTape and returns the tape's gradients. `numpy_function` hands it
NumPy arrays and has no gradient, as in TF.
"""
import numpy as np

from . import dtypes, nest
from .autodiff.tape import GradientTape
from .errors import InvalidArgumentError
from .ir.types import TensorType
from .ops.opdef import PYTHON, apply, defop
from .tensor import EagerTensor, convert_to_tensor
from .tensor_shape import TensorShape
from .tracing import context


def _out_types(Tout):
    flat = nest.flatten(Tout)
    return [dtypes.as_dtype(t) for t in flat]


def _infer(in_types, func, Tout, numpy, stateful):
    return tuple(TensorType(dt, TensorShape(None)) for dt in _out_types(Tout))


def _results(name, func, Tout, values):
    wanted = _out_types(Tout)
    flat = [] if values is None else nest.flatten(values)
    if len(flat) != len(wanted):
        raise InvalidArgumentError(
            f"{name}: the function returned {len(flat)} value(s) but Tout lists {len(wanted)} "
            f"({[d.name for d in wanted]}). Fix: make Tout match what the function returns.", name)
    out = []
    for k, (v, dt) in enumerate(zip(flat, wanted)):
        arr = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        if arr.dtype != dt.np_dtype:
            if not np.can_cast(arr.dtype, dt.np_dtype, casting="same_kind") or \
                    (arr.dtype.kind == "f" and dt.np_dtype.kind in "iu"):
                raise InvalidArgumentError(
                    f"{name}: output {k} has dtype {arr.dtype} but Tout says {dt.name}. Fix: "
                    f"cast the result in the function or change Tout.", name)
            arr = arr.astype(dt.np_dtype)
        out.append(arr if arr.flags.c_contiguous else arr.copy())  # (ascontiguousarray makes 0-d 1-d)
    return tuple(out)


def _kernel(*arrays, func, Tout, numpy, stateful):
    if numpy:
        args = [np.array(a) for a in arrays]  # writable copies, as TF hands them
        name = "numpy_function"
    else:
        args = [EagerTensor(np.array(a), dtypes.as_dtype(a.dtype)) for a in arrays]
        name = "py_function"
    return _results(name, func, Tout, func(*args))


def _grad_infer(in_types, func, Tout, n_in):
    return tuple(in_types[:n_in])


def _grad_kernel(*arrays, func, Tout, n_in):
    xs = [EagerTensor(np.array(a), dtypes.as_dtype(a.dtype)) for a in arrays[:n_in]]
    upstream = [EagerTensor(np.array(a), dtypes.as_dtype(a.dtype)) for a in arrays[n_in:]]
    with GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        ys = nest.flatten(func(*xs))
    ys = [convert_to_tensor(y) for y in ys]
    pairs = [(y, g) for y, g in zip(ys, upstream) if y.dtype.is_floating]
    grads = tape.gradient([y for y, _ in pairs], xs,
                          output_gradients=[convert_to_tensor(g, dtype=y.dtype)
                                            for y, g in pairs])
    return tuple(np.zeros(x.shape, x.dtype.np_dtype) if g is None else
                 np.asarray(g.numpy(), x.dtype.np_dtype) for g, x in zip(grads, xs))


_py_function_grad = defop(
    "py_function_grad", _grad_infer, _grad_kernel, effects=PYTHON, num_outputs=None, host=True,
    doc="Gradient of a py_function: re-runs it eagerly under a tape.")


def _vjp(c, *upstream):
    if c.attrs["numpy"]:
        return (None,) * len(c.inputs)
    floating = [i for i, x in enumerate(c.inputs) if x.dtype.is_floating]
    if not floating:
        return (None,) * len(c.inputs)
    grads = apply(_py_function_grad, *c.inputs, *upstream, func=c.attrs["func"],
                  Tout=c.attrs["Tout"], n_in=len(c.inputs))
    grads = grads if isinstance(grads, (tuple, list)) else (grads,)
    return tuple(g if x.dtype.is_floating else None for g, x in zip(grads, c.inputs))


_py_function = defop("py_function", _infer, _kernel, vjp=_vjp, effects=PYTHON, num_outputs=None,
                     host=True,
                     doc="Call a Python function on the host (tf.py_function / numpy_function).")


def _call(func, inp, Tout, numpy, name):
    if not callable(func):
        raise TypeError(f"{name}: func must be callable, got {type(func).__name__}")
    inp = list(inp) if isinstance(inp, (list, tuple)) else [inp]
    tensors = [convert_to_tensor(x) for x in inp]
    single = not isinstance(Tout, (list, tuple))
    if context.current_builder() is None:
        if numpy:
            values = func(*[t.numpy() for t in tensors])
            outs = [EagerTensor(a, dt) for a, dt in
                    zip(_results(name, func, Tout, values), _out_types(Tout))]
        else:
            values = func(*tensors)
            flat = [] if values is None else nest.flatten(values)
            _results(name, func, Tout, values)  # the same checks as in a graph
            outs = [convert_to_tensor(v, dtype=dt) for v, dt in zip(flat, _out_types(Tout))]
    else:
        outs = apply(_py_function, *tensors, func=func, Tout=Tout, numpy=numpy, stateful=True)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    if single:
        return outs[0] if outs else None
    return nest.pack_sequence_as(list(Tout), outs)


def py_function(func=None, inp=None, Tout=None, name=None):
    """Wraps a Python function into a TensorFlow op that executes it eagerly.

    Inside a `tf.function` the call becomes a host op that runs `func` at run time, every call,
    with EagerTensors (so `.numpy()` works in it); the op is differentiable when `func` is made of
    differentiable ops.

    Args:
      func: a Python function taking tensors.
      inp: a list of input tensors.
      Tout: the output dtype, or a list of dtypes (then a list is returned).

    >>> @tf.function
    ... def f(x):
    ...     return tf.py_function(lambda t: t * 2, [x], tf.float32)
    >>> float(f(tf.constant(3.0)))
    6.0
    """
    if func is None:  # decorator form: @tf.py_function(Tout=tf.float32)
        return lambda f: (lambda *args: _call(f, list(args), Tout, False, "py_function"))
    return _call(func, inp if inp is not None else [], Tout, False, "py_function")


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None):
    """Wraps a Python function taking and returning NumPy arrays as a TensorFlow op.

    Inside a `tf.function` the call becomes a host op; `func` gets NumPy arrays and returns
    arrays (or values convertible to them) of the `Tout` dtypes. It has no gradient.

    >>> @tf.function
    ... def f(x):
    ...     return tf.numpy_function(lambda a: np.sort(a), [x], tf.float32)
    >>> f(tf.constant([3.0, 1.0, 2.0])).numpy()
    array([1., 2., 3.], dtype=float32)
    """
    if func is None:
        return lambda f: (lambda *args: _call(f, list(args), Tout, True, "numpy_function"))
    return _call(func, inp if inp is not None else [], Tout, True, "numpy_function")
