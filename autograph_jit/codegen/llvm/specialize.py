"""Shape specialization: the concrete type of every value of a graph for one call's input shapes.

The CPU backend compiles one executable per tuple of concrete input shapes, so every loop has a
constant trip count and every buffer a constant size. Each node's type rule (OpDef.infer) runs
again on concrete input types; small values known at compile time (constants, `tf.shape(x)`,
arithmetic on them) are folded with the op's own NumPy kernel, so shape tensors computed in the
graph (reshape targets, slice bounds, ...) become static. A node whose output shape still depends
on data (`boolean_mask`, a while loop whose variables change shape) raises Unspecializable: the
partitioner leaves it to the interpreter.

One data-dependent shape is compiled anyway: a TensorArray buffer that a `dynamic_size=True`
write grows (what `out.append(x)` in a converted loop makes). Its Spec is *growable*: the element
shape is static, the row count is known only at run time, and the native code keeps it as a
heap record (data, capacity, count; k_grow.py). A growable value may only flow into
tensor_array_write/read, shape/size, and loops and branches that pass it on; any other consumer
raises NeedsConcrete: at top level the partitioner ends the compiled segment there and hands the
buffer to Python as an array, inside a loop or branch the enclosing node is Unspecializable.
Writes update the record in place, so a growable value must be used linearly: nothing may use a
TensorArray version after the write (or loop, or branch) that consumed it.
"""
import numpy as np

from ...ir.types import TensorType
from ...runtime.interpreter import run_node
from ...tensor_shape import TensorShape
from .symdim import Dim, numel

FOLD_LIMIT = 4096          # fold values up to this many elements at compile time
SHAPE_ONLY = {"shape", "size"}  # ops whose result depends only on their input's shape
NEVER_FOLD = {"print", "assign_variable", "read_variable"}
GROW_OPS = {"tensor_array_write", "tensor_array_read", "shape", "size", "while_loop", "cond"}
_RECORDS = "#records"     # env key: count of growable records made so far
_CTX = "#region"          # env key: (last-use index by value id, index of the node, region)


class Unspecializable(Exception):
    def __init__(self, node, reason):
        super().__init__(reason)
        self.node = node
        self.reason = reason


class NeedsConcrete(Unspecializable):
    """A growable TensorArray buffer reaches an op that needs its exact shape."""


class Spec:
    """The concrete type of one value: dtype, shape (tuple of ints), value (ndarray) if known.

    Growable (record is not None): a TensorArray buffer whose row count is known only at run
    time; shape is (0, *element shape) and `record` names its native record (versions written
    in place share it). placeholder: it may still be the rank-1 placeholder of an array whose
    element shape was unknown when it was made (tensor_array.py). borrowed: captured by a loop
    or branch that must not write it."""
    __slots__ = ("dtype", "shape", "value", "record", "placeholder", "borrowed")

    def __init__(self, dtype, shape, value=None, record=None, placeholder=False,
                 borrowed=False):
        self.dtype = dtype
        self.shape = tuple(d if isinstance(d, Dim) else int(d) for d in shape)
        self.value = value
        self.record = record
        self.placeholder = placeholder
        self.borrowed = borrowed

    @property
    def growable(self):
        return self.record is not None

    @property
    def elem(self):
        return self.shape[1:]

    @property
    def size(self):
        """Elements: an int, or a Dim for a symbolic shape (symdim.py)."""
        return numel(self.shape)

    @property
    def nbytes(self):
        return self.size * self.dtype.size

    def type(self):
        if self.growable:
            return TensorType(self.dtype, TensorShape([None, *self.elem]))
        return TensorType(self.dtype, self.shape, value=self.value)

    def __repr__(self):
        if self.growable:
            return f"Spec({self.dtype.name}, {['?', *self.elem]}, record {self.record})"
        return f"Spec({self.dtype.name}, {self.shape})"


def _grow_spec(env, dtype, elem, record=None, placeholder=False):
    if record is None:
        record = env[_RECORDS] = env.get(_RECORDS, 0) + 1
    return Spec(dtype, (0, *elem), record=record, placeholder=placeholder)


def _as_arg(spec, borrowed=False):
    """A region parameter's spec for an argument: values change per iteration or branch."""
    if spec is None:
        return None
    if spec.growable:
        return Spec(spec.dtype, spec.shape, record=spec.record, placeholder=spec.placeholder,
                    borrowed=spec.borrowed or borrowed)
    return spec


def at_node(env, last, index, graph):
    """Tell specialize_node where it is: the region's last_uses(), the node's index, the
    region."""
    env[_CTX] = (last, index, graph)


def last_uses(graph):
    """{value id: index of the last node using it} (len(nodes) for the graph's results)."""
    last = {}
    for k, n in enumerate(graph.nodes):
        for v in n.inputs:
            last[v.id] = k
    for r in graph.results:
        last[r.id] = len(graph.nodes)
    return last


def specialize(graph, param_specs, env=None):
    """{value.id: Spec} for `graph`'s params (tokens map to None) and every node, regions too."""
    env = {} if env is None else env
    for p, s in zip(graph.params, param_specs):
        env[p.id] = s
    last = last_uses(graph)
    saved = env.get(_CTX)
    try:
        for k, node in enumerate(graph.nodes):
            env[_CTX] = (last, k, graph)
            specialize_node(node, env)
    finally:
        env[_CTX] = saved
    return env


def _specialize_region(node, graph, args, env):
    """specialize() of a region: a growable reaching an op that needs its shape makes the
    enclosing node unspecializable (the partitioner may cut only between top-level nodes)."""
    try:
        specialize(graph, args, env)
    except NeedsConcrete as e:
        raise Unspecializable(node, e.reason) from None
    _check_results_linear(node, graph, env)


def _check_results_linear(node, graph, env):
    seen = set()
    for r in graph.data_results:
        s = env[r.id]
        if s is not None and s.growable:
            if s.record in seen:
                raise Unspecializable(node, "a region returns two versions of one TensorArray")
            seen.add(s.record)


def _consume(node, value, spec, env):
    """`node` takes growable `value` over (writes it in place): it must be its last use."""
    if spec.borrowed:
        raise Unspecializable(node, "a TensorArray captured by a loop or branch is written "
                                    "there without being passed back")
    ctx = env.get(_CTX)
    used_twice = sum(1 for v in node.inputs if v.id == value.id) > 1
    if ctx is None or used_twice or ctx[0].get(value.id, -1) != ctx[1]:
        raise NeedsConcrete(node, "a TensorArray version is used again after it was written "
                                  "(it is grown in place)")


def _concrete(node, ty):
    if ty.shape.rank is None or not ty.shape.is_fully_defined():
        raise Unspecializable(node, f"its output shape {ty} depends on the input data")
    return Spec(ty.dtype, ty.shape.as_tuple(), ty.value)


def specialize_node(node, env):
    ins = [env[v.id] for v in node.inputs]
    data = [s for s, v in zip(ins, node.inputs) if not v.is_token]
    name = node.op.name
    if name not in GROW_OPS and any(s.growable for s in data):
        raise NeedsConcrete(node, f"{name} needs the exact shape of a TensorArray grown in the "
                                  f"loop")
    if name == "cond":
        outs = _specialize_cond(node, ins, env)
    elif name == "while_loop":
        outs = _specialize_while(node, ins, env)
    elif name == "fusion":
        body = node.attrs["body"]
        specialize(body, data, env)
        outs = [env[r.id] for r in body.results]
    elif name == "tensor_array_write" and (node.attrs["dynamic_size"] or data[0].growable
                                           or data[2].growable):  # (fuzz seed 101699)
        outs = _specialize_write(node, data, env)
    elif name == "read_variable":  # its current shape, which is part of every plan's key
        var = node.attrs["var"]
        outs = [Spec(var.dtype, np.shape(var._value))]
    else:
        if name == "assign_variable" and data[0].shape != np.shape(node.attrs["var"]._value):
            raise Unspecializable(node, f"it gives variable {node.attrs['var'].name!r} a new "
                                        f"shape {list(data[0].shape)}")
        grows = any(s.growable for s in data)
        if grows and data[0].placeholder and not _rank_free(node, env):
            raise Unspecializable(node, f"{name} of a TensorArray that may still have no "
                                        "element shape (pass element_shape= to tf.TensorArray)")
        try:
            tys = node.op.infer([s.type() for s in data], **node.attrs)
        except Exception as e:  # the traced types checked out; concrete ones may not
            raise Unspecializable(node, f"its type rule rejects the concrete shapes: {e}") \
                from None
        tys = tys if isinstance(tys, (tuple, list)) else (tys,)
        outs = [_concrete(node, t) for t in tys]
        if not grows:  # (the shape of a growable is known only at run time)
            _fold(node, data, outs)
    it = iter(outs)
    for v in node.outputs:
        env[v.id] = None if v.is_token else next(it)


def _rank_free(node, env):
    """Does `node` read a maybe-placeholder array the same way whatever its rank? A read (a
    still-placeholder array raises natively), size (chosen natively), and shape when only its
    first entry, the row count, is used (`ta.size()`)."""
    name = node.op.name
    if name in ("tensor_array_read", "size"):
        return True
    ctx = env.get(_CTX)
    if name != "shape" or ctx is None or len(ctx) < 3:
        return False
    last, k, graph = ctx
    out = node.outputs[0]
    if last.get(out.id) == len(graph.nodes):  # a region result: any use
        return False
    users = [n for n in graph.nodes[k + 1:] if any(v.id == out.id for v in n.inputs)]
    return all(n.op.name == "strided_slice" and n.attrs.get("spec") == (("index", 0),)
               for n in users)


def _specialize_write(node, data, env):
    """A write into a growable buffer, or a dynamic_size write that may grow its buffer."""
    buf = data[0]
    value = data[2]
    if value.growable:  # its row count is known only at run time: not a static element shape
        raise NeedsConcrete(node, "tensor_array_write of a TensorArray grown in a loop as an "
                                  "element needs its exact shape")
    if value.dtype is not buf.dtype:
        raise Unspecializable(node, "tensor_array_write: dtypes differ")
    if buf.growable:
        if buf.elem != value.shape and not buf.placeholder:
            raise Unspecializable(node, f"tensor_array_write of an element of shape "
                                        f"{list(value.shape)} into an array of "
                                        f"{list(buf.elem)}")
        if buf.placeholder and buf.elem != value.shape:
            raise Unspecializable(node, "tensor_array_write: element shapes differ")
        _consume(node, node.inputs[0], buf, env)
        return [_grow_spec(env, buf.dtype, buf.elem, buf.record)]
    index = data[1]
    n = buf.shape[0]
    placeholder = len(buf.shape) == 1 and len(value.shape) > 0
    if not placeholder and buf.shape[1:] != value.shape:
        raise Unspecializable(node, f"tensor_array_write of an element of shape "
                                    f"{list(value.shape)} into an array of {list(buf.shape)}")
    if index.value is not None:  # a known index: the grown shape is static
        i = int(index.value)
        if i >= 0:
            out = Spec(buf.dtype, (max(n, i + 1), *value.shape))
            _fold(node, data, [out])
            return [out]
    return [_grow_spec(env, buf.dtype, value.shape)]


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
    args = data[1:]
    results = _cond_branches(node, [_as_arg(s) for s in args], tok, env)
    passed = {s.record for rs in results for s in rs if s.growable}
    lent = [s is not None and s.growable and s.record not in passed for s in args]
    if any(lent):  # arrays only read in the branches: they must not be written there
        results = _cond_branches(node, [_as_arg(s, b) for s, b in zip(args, lent)], tok, env)
    for v, s, b in zip(node.inputs[1:], args, lent):
        if s is not None and s.growable and not b:
            _consume(node, v, s, env)
    outs = []
    for i, (a, b) in enumerate(zip(*results)):
        if a.growable or b.growable:
            outs.append(_merge_branches(node, i, a, b, env))
            continue
        if a.shape != b.shape:
            raise Unspecializable(node, f"output {i} has shape {list(a.shape)} in one branch and "
                                        f"{list(b.shape)} in the other")
        outs.append(Spec(a.dtype, a.shape))
    return outs + tok


def _merge_branches(node, i, a, b, env):
    """A cond output that is a grown TensorArray in at least one branch: the branches' record
    when both pass the same one on, else a record of its own that each branch moves its array
    into (a record's buffer changes hands, a static array is copied in; k_grow.py)."""
    if a.growable and b.growable and a.record == b.record and a.elem == b.elem:
        return _grow_spec(env, a.dtype, a.elem, a.record, a.placeholder or b.placeholder)
    grown, other = (a, b) if a.growable else (b, a)
    elem = grown.elem
    if other.growable:
        fits = other.elem == elem
    else:
        fits = other.shape[1:] == elem and len(other.shape) == len(elem) + 1 or (
            len(other.shape) == 1 and len(elem) > 0)
    if grown.dtype is not other.dtype or not fits:
        raise Unspecializable(node, f"output {i} is a TensorArray grown in one branch and an "
                                    "array of another type in the other")
    placeholder = a.placeholder or b.placeholder or (
        not other.growable and len(other.shape) != len(elem) + 1)
    return _grow_spec(env, grown.dtype, elem, placeholder=placeholder)


def _cond_branches(node, args, tok, env):
    results = []
    for key in ("then_branch", "else_branch"):
        g = node.attrs[key]
        _specialize_region(node, g, args + tok, env)
        results.append([env[r.id] for r in g.data_results])
    return results


def _specialize_while(node, ins, env):
    n = node.attrs["n_vars"]
    cond_g = node.attrs["cond_graph"]
    data = [s for s, v in zip(ins, node.inputs) if not v.is_token]
    tok = [None] if node.inputs and node.inputs[-1].is_token else []
    nc = len(cond_g.data_params) - n
    vars_ = [_as_arg(s) if s.growable else Spec(s.dtype, s.shape) for s in data[:n]]
    ccaps = [_as_arg(s, True) for s in data[n:n + nc]]
    bcaps = [_as_arg(s, True) for s in data[n + nc:]]
    for v, s in zip(node.inputs[:n], data[:n]):
        if s.growable:
            _consume(node, v, s, env)
    return _settle_while(node, vars_, ccaps, bcaps, tok, env)


def _settle_while(node, vars_, ccaps, bcaps, tok, env):
    """Specialize the loop's regions until the variables' specs are stable."""
    cond_g, body = node.attrs["cond_graph"], node.attrs["body"]
    guess = None  # the shape mismatch that made a variable growable on trial
    for _ in range(3):  # a var turns growable at most once; then the body must agree
        try:
            _specialize_region(node, cond_g, [_as_arg(v, True) for v in vars_] + ccaps + tok,
                               env)
            _specialize_region(node, body, vars_ + bcaps + tok, env)
            changed = False
            for i, (v, r) in enumerate(zip(vars_, body.data_results)):
                new = _merge_var(node, i, v, env[r.id], env)
                if new is not v:
                    if not env[r.id].growable:
                        guess = guess or Unspecializable(node, _mismatch(i, v, env[r.id], node))
                    vars_[i] = new
                    changed = True
        except Unspecializable:
            if guess is not None:  # not a TensorArray after all: report the shape change
                raise guess from None
            raise
        if not changed:
            return [_as_arg(v) for v in vars_] + tok
    raise Unspecializable(node, "the loop variables' shapes do not settle")


def _var_label(node, i):
    """'x' for a loop variable AutoGraph named (the body's parameter name), else its index."""
    params = node.attrs["body"].data_params if node is not None else ()
    name = params[i].name if i < len(params) else None
    return f"'{name}'" if name else f"loop variable {i}"


def _mismatch(i, var, got, node=None):
    return (f"{_var_label(node, i)} enters with shape {list(var.shape)} and the body returns "
            f"shape {list(got.shape)}")


def _merge_var(node, i, var, got, env):
    """The spec of loop variable i given what the body returns for it (var if unchanged)."""
    if var.growable:
        if not got.growable or got.record != var.record:
            raise Unspecializable(node, f"loop variable {i} is a growing TensorArray, but the "
                                        "body returns another array for it")
        if got.placeholder and not var.placeholder:
            return Spec(var.dtype, var.shape, record=var.record, placeholder=True)
        return var
    if got.growable:
        elem = got.elem
        if got.dtype is not var.dtype:
            raise Unspecializable(node, f"loop variable {i} changes dtype")
        if var.shape[1:] == elem and len(var.shape) == len(elem) + 1:
            return _grow_spec(env, var.dtype, elem)
        if len(var.shape) == 1 and elem:
            return _grow_spec(env, var.dtype, elem, placeholder=True)
        raise Unspecializable(node, f"loop variable {i} enters with shape {list(var.shape)} "
                                    f"and the body grows it as rows of {list(elem)}")
    if got.shape != var.shape:
        if got.dtype is var.dtype and var.shape and got.shape and (
                got.shape[1:] == var.shape[1:] or len(var.shape) == 1 < len(got.shape)):
            # rows added, e.g. a TensorArray written at its size: try it as a growable array
            return _merge_var(node, i, var, _grow_spec(env, got.dtype, got.shape[1:]), env)
        raise Unspecializable(node, _mismatch(i, var, got, node))
    return var
