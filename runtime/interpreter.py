"""The graph interpreter: runs a Graph by calling each node's NumPy kernel in program order.

It is the reference every compiled backend is checked against, and the fallback for ops a
backend cannot lower. It only needs what a Node carries (its OpDef's `kernel`, or `interpret` for
ops holding regions), so it never imports the compiler.
"""
import numpy as np

from .kernel_errors import as_op_error, leaked

TOKEN_VALUE = None  # effect tokens carry no data at run time


def run_graph(graph, args):
    """Evaluate `graph` on `args` (one array per parameter, tokens as None) -> list of results."""
    env = {}
    for p, a in zip(graph.params, args):
        env[p.id] = a
    for node in graph.nodes:
        inputs = [env[v.id] for v in node.inputs]
        results = run_node(node, inputs)
        for v, r in zip(node.outputs, results):
            env[v.id] = r
    return [env[r.id] for r in graph.results]


def run_node(node, inputs):
    """One node: data inputs -> data outputs (+ token passthrough), cast to the declared dtypes."""
    op = node.op
    interpret = getattr(op, "interpret", None)
    if interpret is not None:
        return interpret(node, inputs, run_graph)
    data = [x for x, v in zip(inputs, node.inputs) if not v.is_token]
    try:
        with np.errstate(all="ignore"):
            result = op.kernel(*data, **node.attrs)
    except Exception as e:
        if not leaked(e):
            raise
        shown = [f"{np.asarray(x).dtype}{list(np.shape(x))}" for x in data]
        raise as_op_error(op.name, e, shown, _data_attrs(node.attrs)) from None
    if not isinstance(result, tuple):
        result = (result,)
    out = []
    for value, v in zip(result, node.data_outputs):
        arr = np.asarray(value)
        want = v.type.dtype.np_dtype
        if arr.dtype != want:
            arr = arr.astype(want)
        out.append(arr)
    if len(node.outputs) > len(out):  # the effect token
        out.append(TOKEN_VALUE)
    return out


def _data_attrs(attrs):
    """The attributes worth showing in an error (not constant values or Python objects)."""
    return {k: v for k, v in attrs.items() if isinstance(v, (int, float, bool, tuple, list,
                                                             type(None)))}
