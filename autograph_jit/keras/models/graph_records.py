"""The graph cache's record form of a graph (keras/models/graph_cache.py): compact JSON data,
read back in a new process with few allocations.

`tracing/graph_json.py` (the SavedModel's codec) spells every value's type and every node's
source location in full, as one dict per node: for a Keras train step that is ~110 kB of JSON
and ~2,500 type and shape objects to rebuild. A cache entry is read on the path to a warm
process's first step, so here:
- the types and the source locations of all the entry's graphs (regions included) are in two
  tables (`Tables`), each distinct one written once; a decoded graph shares one TensorType
  (one SourceLocation) among the values (nodes) that have it — as a trace does, types and
  locations are never changed in place (a pass gives a value a new type);
- a graph is `[name, [param type], [param name] | null, [node], [result]]` and a node
  `[op, name | null (the op's name), [input], [output type], {attr: value} | null, loc]`: types
  and locations are table indices (loc -1: none), inputs and results number the graph's values
  in definition order (params first, then each node's outputs), each region on its own;
- an attribute holding a region graph is `{"region": graph}`; every other attribute value is
  graph_json's tagged JSON (`encode_value`/`decode_value`: arrays by their bytes, dtypes,
  shapes, variables by their position in the key's variable list).

Reading is safe on any input (JSON only, no pickle): a record that is not one raises KeyError,
IndexError, TypeError or ValueError (an unknown op, an index outside the values defined so far,
a negative one), which the graph cache treats as a damaged entry. The decoder does not run the
IR verifier: a decoded graph is SSA with closed regions by construction (inputs can only name
values defined before them in the same graph), and its types are the ones the writer stored
from a verified graph, under a sha256 of the body (cpu_engine.read_entry) and a key that names
the package's source files.
"""
from ...ir.graph import TOKEN, Graph, Node, SourceLocation, Value
from ...ir.types import TensorType
from ...ops import opdef
from ...tensor_shape import TensorShape
from ...tracing.graph_json import decode_value, encode_value

__all__ = ["Tables", "encode", "decode", "decode_tables"]


class Tables:
    """The type and location tables an entry's graphs share while they are encoded."""

    def __init__(self):
        self.types = []     # "!effect" | [dtype name, [dim | null] | null]
        self.locs = []      # [filename, lineno, source, function]
        self._type_index = {}
        self._loc_index = {}

    def type(self, t):
        if t is TOKEN:
            key = "!effect"
            record = key
        else:
            dims = None if t.shape.rank is None else list(t.shape.as_tuple())
            key = (t.dtype.name, None if dims is None else tuple(dims))
            record = [t.dtype.name, dims]
        k = self._type_index.get(key)
        if k is None:
            k = self._type_index[key] = len(self.types)
            self.types.append(record)
        return k

    def loc(self, loc):
        if loc is None:
            return -1
        key = (loc.filename, loc.lineno, loc.source, loc.function)
        k = self._loc_index.get(key)
        if k is None:
            k = self._loc_index[key] = len(self.locs)
            self.locs.append(list(key))
        return k

    def as_json(self):
        return {"types": self.types, "locs": self.locs}


def encode(graph, tables, var_key):
    """The record of `graph` (types and locations added to `tables`); `var_key(variable)`
    names a Variable. Raises SaveError for an attribute graph_json cannot write."""
    index = {}
    for p in graph.params:
        index[p.id] = len(index)
    nodes = []
    for node in graph.nodes:
        attrs = None
        if node.attrs:
            where = f"op {node.op.name!r}"
            attrs = {k: {"region": encode(v, tables, var_key)} if isinstance(v, Graph)
                     else encode_value(v, var_key, f"{where} attribute {k!r}")
                     for k, v in node.attrs.items()}
        nodes.append([node.op.name, None if node.name == node.op.name else node.name,
                      [index[v.id] for v in node.inputs],
                      [tables.type(v.type) for v in node.outputs],
                      attrs, tables.loc(node.location)])
        for v in node.outputs:
            index[v.id] = len(index)
    names = [p.name for p in graph.params]
    return [graph.name, [tables.type(p.type) for p in graph.params],
            names if any(n is not None for n in names) else None,
            nodes, [index[r.id] for r in graph.results]]


def decode_tables(data):
    """(types, locations): the decoded tables of an entry's `{"types", "locs"}`."""
    types = []
    for t in data["types"]:
        if t == "!effect":
            types.append(TOKEN)
        else:
            dtype, dims = t
            types.append(TensorType(dtype, TensorShape(dims)))
    locs = [None if loc is None else SourceLocation(*loc) for loc in data["locs"]]
    return types, locs


def decode(record, tables, variables):
    """The Graph of `record`; `tables` from `decode_tables`, `variables` the Variables the
    records' variable attributes index."""
    types, locs = tables
    name, param_types, param_names, node_records, result_indices = record
    if param_names is None:
        param_names = [None] * len(param_types)
    elif len(param_names) != len(param_types):
        raise ValueError("parameter names do not match the parameters")
    if param_types and min(param_types) < 0:
        raise IndexError("a negative index")
    values = [Value(types[t], name=n) for t, n in zip(param_types, param_names)]
    params = list(values)
    registry = opdef.REGISTRY
    nodes = []
    for op_name, node_name, inputs, outputs, attrs, loc in node_records:
        op = registry.get(op_name)
        if op is None:
            raise ValueError(f"the cached graph uses op {op_name!r}, which this version of "
                             "autograph_jit does not define")
        if (inputs and min(inputs) < 0) or (outputs and min(outputs) < 0) or loc < -1:
            raise IndexError("a negative index")
        if attrs:
            attrs = {k: decode(v["region"], tables, variables)
                     if type(v) is dict and "region" in v else decode_value(v, variables)
                     for k, v in attrs.items()}
        node = Node(op, [values[i] for i in inputs], attrs or {},
                    [types[t] for t in outputs],
                    location=None if loc == -1 else locs[loc],
                    name=op_name if node_name is None else node_name)
        nodes.append(node)
        values.extend(node.outputs)
    if result_indices and min(result_indices) < 0:
        raise IndexError("a negative index")
    return Graph(name, params, nodes, [values[i] for i in result_indices])
