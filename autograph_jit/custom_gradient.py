"""`tf.custom_gradient`: a function that supplies its own gradient.

The decorated function runs with every tape paused; its outputs then pass through one
`custom_gradient` op whose inputs are the function's tensor arguments, the values of the
variables it read, and its outputs. The op's kernel forwards the outputs (the optimizer removes it
from compiled code: gradients are taken when tracing); its VJP calls the user's `grad_fn`. The op
is a graph node, so the custom gradient survives a tf.function called under an outer tape (the
graph is replayed op by op) — there the forward is re-run on the replayed inputs, because the
`grad_fn` made while tracing closes over tensors of that trace.
"""
import functools
import inspect

from . import nest
from .autodiff.tape import GradientTape, stop_recording
from .ops.opdef import apply, defop
from .passes.algebra_rules import forward_last_inputs, register_rules
from .tensor import Tensor, convert_to_tensor
from .tracing import context


def _infer(in_types, n_args, n_vars, **_):
    return tuple(in_types[n_args + n_vars:])


def _kernel(*arrays, n_args, n_vars, **_):
    return tuple(arrays[n_args + n_vars:])


def _origin():
    """Who builds ops now: eager (None) or one trace (its builder's token)."""
    builder = context.current_builder()
    if builder is None:
        return None
    token = getattr(builder, "_custom_gradient_token", None)
    if token is None:
        token = builder._custom_gradient_token = object()
    return token


def _vjp(c, *upstream):
    n_args, n_vars = c.attrs["n_args"], c.attrs["n_vars"]
    args = list(c.inputs[:n_args])
    grad_fn = c.attrs["grad_fn"]
    if c.attrs["origin"] is not _origin():
        with stop_recording():
            _, grad_fn = c.attrs["forward"](*args)
    variables = list(c.attrs["variables"])
    if variables:
        result = grad_fn(*upstream, variables=variables)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError("tf.custom_gradient: a grad_fn that receives `variables` must return "
                            "(grads_for_inputs, grads_for_variables)")
        in_grads, var_grads = result
        var_grads = list(var_grads)
        if len(var_grads) != len(variables):
            raise ValueError(f"tf.custom_gradient: grad_fn returned {len(var_grads)} variable "
                             f"gradient(s) for {len(variables)} variable(s) used")
    else:
        in_grads, var_grads = grad_fn(*upstream), []
    in_grads = list(in_grads) if isinstance(in_grads, (tuple, list)) else [in_grads]
    if len(in_grads) != n_args:
        raise ValueError(f"tf.custom_gradient: grad_fn returned {len(in_grads)} gradient(s) for "
                         f"{n_args} input(s); return one gradient (or None) per input")
    n_out = len(c.inputs) - n_args - n_vars
    return tuple(_as_grad(g, x) for g, x in zip(in_grads, args)) + \
        tuple(_as_grad(g, x) for g, x in zip(var_grads, c.inputs[n_args:n_args + n_vars])) + \
        (None,) * n_out


def _as_grad(g, x):
    if g is None:
        return None
    return convert_to_tensor(g, dtype=x.dtype)


_custom_gradient = defop(
    "custom_gradient", _infer, _kernel, vjp=_vjp, num_outputs=None,
    doc="Forwards its last inputs; its gradient is the user's grad_fn (tf.custom_gradient).")
# gradients were taken when tracing: before lowering the op is its forwarded inputs
register_rules(_custom_gradient, forward_last_inputs)


def _accepts_variables(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return "variables" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def custom_gradient(f=None):
    """Decorator to define a function with a custom gradient.

    `f(*x)` returns `(y, grad_fn)`: `y` a tensor or nested structure of tensors, and
    `grad_fn(*upstream)` the gradients with respect to each `x` (one per input, or a single
    tensor for one input). If `f` reads trainable variables, `grad_fn` must accept
    `variables=` and return `(grads_for_x, grads_for_variables)`. Works eagerly, inside
    `tf.function`, under nested tapes (higher-order gradients differentiate `grad_fn`).

    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     def grad(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        tensors = [a if isinstance(a, Tensor) else convert_to_tensor(a) for a in args]

        def run(*xs):
            return f(*xs, **kwargs)

        with stop_recording():
            with GradientTape(watch_accessed_variables=True) as tracker:
                result = run(*tensors)
        if not isinstance(result, (tuple, list)) or len(result) != 2 or not callable(result[1]):
            raise TypeError(f"tf.custom_gradient: {getattr(f, '__name__', f)!r} must return "
                            "(outputs, grad_fn), with grad_fn a function of the upstream "
                            "gradients")
        y, grad_fn = result
        variables = [v for v in tracker.watched_variables() if v.trainable]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(
                "If using @custom_gradient with a function that uses variables, then grad_fn "
                "must accept a keyword argument 'variables'. Variables used: "
                f"{[v.name for v in variables]}")
        flat_y = [convert_to_tensor(t) for t in nest.flatten(y)]
        reads = [v.read_value() for v in variables]
        outs = apply(_custom_gradient, *tensors, *reads, *flat_y, n_args=len(tensors),
                     n_vars=len(variables), variables=tuple(variables), grad_fn=grad_fn,
                     forward=run, origin=_origin())
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        return nest.pack_sequence_as(y, outs)

    return decorated


__all__ = ["custom_gradient"]
