"""Shape specialization: the concrete type of every value of a graph for one call's input shapes.

The CPU backend compiles one executable per tuple of concrete input shapes, so every loop has a
constant trip count and every buffer a constant size. Each node's type rule (OpDef.infer) runs
again on concrete input types; small values known at compile time (constants, `tf.shape(x)`,
arithmetic on them) are folded with the op's own NumPy kernel, so shape tensors computed in the
graph (reshape targets, slice bounds, ...) become static. A node whose output shape still depends
on data (`boolean_mask`, a while loop whose variables change shape) raises Unspecializable: the
partitioner leaves it to the interpreter.
"""
import numpy as np

from ...ir.types import TensorType
from ...runtime.interpreter import run_node

FOLD_LIMIT = 4096          # fold values up to this many elements at compile time
SHAPE_ONLY = {"shape", "size"}  # ops whose result depends only on their input's shape
NEVER_FOLD = {"print", "assign_variable", "read_variable"}


class Unspecializable(Exception):
    def __init__(self, node, reason):
        super().__init__(reason)
        self.node = node
        self.reason = reason


class Spec:
    """The concrete type of one value: dtype, shape (tuple of ints), value (ndarray) if known."""
    __slots__ = ("dtype", "shape", "value")

    def __init__(self, dtype, shape, value=None):
        self.dtype = dtype
        self.shape = tuple(int(d) for d in shape)
        self.value = value

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * self.dtype.size

    def type(self):
        return TensorType(self.dtype, self.shape, value=self.value)

    def __repr__(self):
        return f"Spec({self.dtype.name}, {self.shape})"


def specialize(graph, param_specs, env=None):
    """{value.id: Spec} for `graph`'s params (tokens map to None) and every node, regions too."""
    env = {} if env is None else env
    for p, s in zip(graph.params, param_specs):
        env[p.id] = s
    for node in graph.nodes:
        specialize_node(node, env)
    return env


def _concrete(node, ty):
    if ty.shape.rank is None or not ty.shape.is_fully_defined():
        raise Unspecializable(node, f"its output shape {ty} depends on the input data")
    return Spec(ty.dtype, ty.shape.as_tuple(), ty.value)


def specialize_node(node, env):
    ins = [env[v.id] for v in node.inputs]
    data = [s for s, v in zip(ins, node.inputs) if not v.is_token]
    name = node.op.name
    if name == "cond":
        outs = _specialize_cond(node, ins, env)
    elif name == "while_loop":
        outs = _specialize_while(node, ins, env)
    elif name == "fusion":
        body = node.attrs["body"]
        specialize(body, data, env)
        outs = [env[r.id] for r in body.results]
    elif name == "read_variable":  # its current shape, which is part of every plan's key
        var = node.attrs["var"]
        outs = [Spec(var.dtype, np.shape(var._value))]
    else:
        if name == "assign_variable" and data[0].shape != np.shape(node.attrs["var"]._value):
            raise Unspecializable(node, f"it gives variable {node.attrs['var'].name!r} a new "
                                        f"shape {list(data[0].shape)}")
        try:
            tys = node.op.infer([s.type() for s in data], **node.attrs)
        except Exception as e:  # the traced types checked out; concrete ones may not
            raise Unspecializable(node, f"its type rule rejects the concrete shapes: {e}") \
                from None
        tys = tys if isinstance(tys, (tuple, list)) else (tys,)
        outs = [_concrete(node, t) for t in tys]
        _fold(node, data, outs)
    it = iter(outs)
    for v in node.outputs:
        env[v.id] = None if v.is_token else next(it)


def _fold(node, data, outs):
    name = node.op.name
    if name in NEVER_FOLD or node.op.effects or node.regions:
        return
    if name == "constant":
        outs[0].value = np.asarray(node.attrs["value"], outs[0].dtype.np_dtype)
        return
    if name in SHAPE_ONLY:
        args = [np.empty(s.shape, s.dtype.np_dtype) for s in data]
    elif all(s.value is not None for s in data):
        args = [s.value for s in data]
    else:
        return
    if any(o.size > FOLD_LIMIT for o in outs):
        return
    try:
        values = run_node(node, args)
    except Exception:  # leave the error to run time, where it is reported with its location
        return
    for o, v in zip(outs, values):
        o.value = np.asarray(v)


def _specialize_cond(node, ins, env):
    data = [s for s, v in zip(ins, node.inputs) if not v.is_token]
    tok = [None] if node.inputs and node.inputs[-1].is_token else []
    results = []
    for key in ("then_branch", "else_branch"):
        g = node.attrs[key]
        specialize(g, data[1:] + tok, env)
        results.append([env[r.id] for r in g.data_results])
    outs = []
    for i, (a, b) in enumerate(zip(*results)):
        if a.shape != b.shape:
            raise Unspecializable(node, f"output {i} has shape {list(a.shape)} in one branch and "
                                        f"{list(b.shape)} in the other")
        outs.append(Spec(a.dtype, a.shape))
    return outs + tok


def _specialize_while(node, ins, env):
    n = node.attrs["n_vars"]
    cond_g, body = node.attrs["cond_graph"], node.attrs["body"]
    data = [s for s, v in zip(ins, node.inputs) if not v.is_token]
    tok = [None] if node.inputs and node.inputs[-1].is_token else []
    nc = len(cond_g.data_params) - n
    vars_ = [Spec(s.dtype, s.shape) for s in data[:n]]  # values change every iteration
    ccaps, bcaps = data[n:n + nc], data[n + nc:]
    specialize(cond_g, vars_ + ccaps + tok, env)
    specialize(body, vars_ + bcaps + tok, env)
    for i, (v, r) in enumerate(zip(vars_, body.data_results)):
        got = env[r.id]
        if got.shape != v.shape:
            raise Unspecializable(node, f"loop variable {i} enters with shape {list(v.shape)} "
                                        f"and the body returns shape {list(got.shape)}")
    return [Spec(v.dtype, v.shape) for v in vars_] + tok
