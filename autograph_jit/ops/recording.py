"""What `apply` tells the active GradientTapes: the tape stack and `record`, in a leaf module.

`apply` (ops/opdef.py) calls `record` after every op while a tape is active. Keeping the stack and
the recording here, below the op families, lets ops/opdef.py stay free of autodiff imports, and
lets autodiff/tape.py (the backward pass, which runs ops) import the op families at top level —
the imports run one way: autodiff -> ops -> ops.recording. JAX's `ad_util` plays the same role.

A tape records an op when one of its inputs is watched (directly, or as the output of an op it
recorded); the op's floating outputs then become watched. Variables are watched by identity;
an op that reads a variable (`OpDef.reads_variable`) is recorded as an edge from the Variable to
the tensor read. A record is a plain `(op, inputs, outputs, attrs)` tuple (cheap to make on every
op); the backward pass wraps the ones it differentiates in a `Call` for the VJP.
"""
from ..ir.graph import Graph
from ..tensor import EagerTensor

__all__ = ["ACTIVE_TAPES", "Call", "key", "record", "record_one", "trainable_dtype",
           "variables_read"]

ACTIVE_TAPES = []  # the GradientTapes recording now, innermost last


class Call:
    """One recorded op application: what a VJP needs (`op`, `inputs`, `outputs`, `attrs`).

    `skip_input_indices`: the inputs whose gradient nobody asks for (not watched by the tape
    running the VJP), as TF's `op.skip_input_indices`: a VJP may return None for them instead of
    computing a gradient that would be thrown away (matmul's VJP does: one product fewer)."""

    __slots__ = ("op", "inputs", "outputs", "attrs", "skip_input_indices")

    def __init__(self, op, inputs, outputs, attrs):
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs
        self.skip_input_indices = ()


def key(x):
    """Identity of a tensor for the tape: the graph Value for symbolic tensors (several Python
    wrappers may stand for one Value), the object itself otherwise."""
    if type(x) is EagerTensor:   # (the common case, without a failing attribute lookup)
        return id(x)
    val = getattr(x, "_val", None)
    return id(val) if val is not None else id(x)


def trainable_dtype(dtype):
    """Gradients flow through floating tensors only."""
    return dtype.is_floating


def variables_read(graph):
    """Variables read anywhere in `graph` (regions included), in first-read order."""
    seen, out = set(), []
    for node in graph.walk():
        var = node.attrs.get("var")
        if var is not None and id(var) not in seen:
            seen.add(id(var))
            out.append(var)
    return out


def _variables_in_regions(attrs):
    seen, out = set(), []
    for g in attrs.values():
        if isinstance(g, Graph):
            for v in variables_read(g):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
    return out


def record(op, inputs, outputs, attrs):
    """Called by `apply` after every op while tapes are active."""
    if op.reads_variable:
        var = attrs["var"]
        for tape in ACTIVE_TAPES:
            if tape._recording:
                tape._variable_accessed(var)
        inputs = (var,)
    elif op.vjp is None:
        return
    elif op.interpret is not None:
        # ops holding regions: variables read inside them are sources too
        variables = _variables_in_regions(attrs)
        for var in variables:
            for tape in ACTIVE_TAPES:
                if tape._recording:
                    tape._variable_accessed(var)
        inputs = tuple(inputs) + tuple(variables)
    for tape in ACTIVE_TAPES:
        if not tape._recording:
            continue
        watched = tape._watched
        for x in inputs:
            if (id(x) if type(x) is EagerTensor else key(x)) in watched:
                break
        else:
            continue
        tape._records.append((op, inputs, outputs, attrs))   # (a Call when differentiated)
        for o in outputs:
            if o.dtype.is_floating:   # (trainable_dtype)
                watched[id(o) if type(o) is EagerTensor else key(o)] = o


def record_one(op, inputs, output):
    """`record(op, inputs, (output,), {})` for the eager fast path of `apply` (ops/opdef.py): an
    op of EagerTensor inputs, one output and no attributes, so no variable read and no region."""
    if op.vjp is None:
        return
    for tape in ACTIVE_TAPES:
        if not tape._recording:
            continue
        watched = tape._watched
        for x in inputs:
            if id(x) in watched:
                break
        else:
            continue
        tape._records.append((op, inputs, (output,), {}))
        if output.dtype.is_floating:
            watched[id(output)] = output
