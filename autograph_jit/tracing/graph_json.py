"""Graphs to JSON and back (no pickle anywhere): the text half of the SavedModel format
(saved_model/serialize.py) and the body of the Keras steps' graph cache
(keras/models/graph_cache.py).

A graph is `{"name", "params": [type], "nodes": [node], "results": [value index]}`. Values are
numbered in definition order within their graph (params first, then each node's outputs), so a
node's `inputs` and the graph's `results` are lists of those numbers; regions are closed graphs,
numbered on their own. A type is `"!effect"` or `{"dtype": "float32", "shape": [null, 10]}`
(`"shape": null` for unknown rank). A node is `{"op", "name", "inputs", "outputs": [type],
"attrs": {name: value}, "loc": [file, line, source, function] | null}`.

Attribute values are JSON scalars or one-key tagged objects: `{"tuple": [...]}`, `{"list": [...]}`,
`{"dict": [[key, value], ...]}`, `{"float": "nan"|"inf"|"-inf"}`, `{"dtype": "int32"}`,
`{"shape": [...]}`, `{"ndarray": {"dtype", "shape", "base64"}}` (C-order bytes), `{"graph": ...}`
(a region), `{"variable": "v3"}` (a key of variables.npz). Anything else refuses to save, naming
the op and attribute.
"""
import base64
import math

import numpy as np

from .. import dtypes as _dtypes
from ..errors import SaveError
from ..ir.graph import TOKEN, Graph, Node, SourceLocation, Value
from ..ir.types import TensorType
from ..ops import opdef
from ..tensor_shape import TensorShape
from ..variables import Variable

__all__ = ["encode_graph", "decode_graph", "encode_value", "decode_value", "SaveError"]


# ----------------------------------------------------------------------------------------------
# types and attribute values
# ----------------------------------------------------------------------------------------------


def _encode_type(t):
    if t is TOKEN:
        return "!effect"
    dims = None if t.shape.rank is None else list(t.shape.as_tuple())
    return {"dtype": t.dtype.name, "shape": dims}


def _decode_type(d):
    if d == "!effect":
        return TOKEN
    return TensorType(d["dtype"], TensorShape(d["shape"]))


def encode_value(x, var_key, where="value"):
    """JSON for one attribute value; `var_key(variable)` names a Variable."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, np.bool_):
        return int(x)
    if isinstance(x, (float, np.floating)) and not isinstance(x, np.ndarray):
        x = float(x)
        return x if math.isfinite(x) else {"float": repr(x)}
    if isinstance(x, (np.ndarray, np.generic)):
        arr = np.array(x, order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)
        if arr.dtype.kind not in "biuf":
            raise SaveError(f"{where}: arrays of dtype {arr.dtype} cannot be saved")
        return {"ndarray": {"dtype": arr.dtype.str, "shape": list(arr.shape),
                            "base64": base64.b64encode(arr.tobytes()).decode("ascii")}}
    if isinstance(x, _dtypes.DType):
        return {"dtype": x.name}
    if isinstance(x, TensorShape):
        return {"shape": None if x.rank is None else list(x.as_tuple())}
    if isinstance(x, Graph):
        return {"graph": encode_graph(x, var_key)}
    if isinstance(x, Variable):
        return {"variable": var_key(x)}
    if isinstance(x, tuple):
        return {"tuple": [encode_value(v, var_key, where) for v in x]}
    if isinstance(x, list):
        return {"list": [encode_value(v, var_key, where) for v in x]}
    if isinstance(x, dict):
        return {"dict": [[encode_value(k, var_key, where), encode_value(v, var_key, where)]
                         for k, v in x.items()]}
    raise SaveError(f"{where}: a value of type {type(x).__name__} ({x!r}) cannot be saved")


def decode_value(d, variables):
    if d is None or isinstance(d, (bool, int, float, str)):
        return d
    if isinstance(d, list):  # only from tagged containers
        return [decode_value(v, variables) for v in d]
    (tag, body), = d.items()
    if tag == "float":
        return float(body)
    if tag == "ndarray":
        raw = base64.b64decode(body["base64"])
        return np.frombuffer(raw, dtype=np.dtype(body["dtype"])).reshape(body["shape"]).copy()
    if tag == "dtype":
        return _dtypes.as_dtype(body)
    if tag == "shape":
        return TensorShape(body)
    if tag == "graph":
        return decode_graph(body, variables)
    if tag == "variable":
        return variables[body]
    if tag == "tuple":
        return tuple(decode_value(v, variables) for v in body)
    if tag == "list":
        return [decode_value(v, variables) for v in body]
    if tag == "dict":
        return {decode_value(k, variables): decode_value(v, variables) for k, v in body}
    raise ValueError(f"unknown tag {tag!r} in a saved graph")


# ----------------------------------------------------------------------------------------------
# graphs
# ----------------------------------------------------------------------------------------------


def encode_graph(graph, var_key):
    index = {}

    def number(v):
        index[v.id] = len(index)

    for p in graph.params:
        number(p)
    nodes = []
    for node in graph.nodes:
        where = f"op {node.op.name!r}"
        attrs = {k: encode_value(v, var_key, f"{where} attribute {k!r}")
                 for k, v in node.attrs.items()}
        loc = node.location
        nodes.append({
            "op": node.op.name, "name": node.name,
            "inputs": [index[v.id] for v in node.inputs],
            "outputs": [_encode_type(v.type) for v in node.outputs],
            "attrs": attrs,
            "loc": None if loc is None else [loc.filename, loc.lineno, loc.source, loc.function],
        })
        for v in node.outputs:
            number(v)
    return {"name": graph.name, "params": [_encode_type(p.type) for p in graph.params],
            "param_names": [p.name for p in graph.params],
            "nodes": nodes, "results": [index[r.id] for r in graph.results]}


def decode_graph(d, variables):
    values = []
    params = []
    for t, name in zip(d["params"], d.get("param_names") or [None] * len(d["params"])):
        v = Value(_decode_type(t), name=name)
        params.append(v)
        values.append(v)
    nodes = []
    for nd in d["nodes"]:
        op = opdef.REGISTRY.get(nd["op"])
        if op is None:
            raise ValueError(f"the saved graph uses op {nd['op']!r}, which this version of "
                             "autograph_jit does not define")
        attrs = {k: decode_value(v, variables) for k, v in nd["attrs"].items()}
        loc = nd["loc"]
        node = Node(op, [values[i] for i in nd["inputs"]], attrs,
                    [_decode_type(t) for t in nd["outputs"]],
                    location=None if loc is None else SourceLocation(*loc), name=nd["name"])
        nodes.append(node)
        values.extend(node.outputs)
    return Graph(d["name"], params, nodes, [values[i] for i in d["results"]])
