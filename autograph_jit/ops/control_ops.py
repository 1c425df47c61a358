"""Control-flow OpDefs: `cond` and `while_loop` holding region graphs, and their public functions.

Eagerly (no graph being built) `tf.cond` runs one Python branch and `tf.while_loop` is a Python
loop, as in TF2. While tracing, a symbolic predicate makes each branch / the loop's cond and body a
closed region graph: outer tensors they use become explicit region parameters (captures), passed as
operands of the node. Node inputs: cond = [pred, *captures]; while_loop = [*loop_vars,
*cond_captures, *body_captures] (+ the effect token when a region has effects).
"""
from .. import nest
from ..ir.graph import TOKEN, Value
from ..ir.types import TensorType
from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from ..tracing import context
from ..autodiff.tape import GradientTape
from ..tracing.builder import GraphBuilder
from . import array_ops
from .array_ops import zeros_like
from .math_ops import add, cast, less, logical_and
from .opdef import apply, defop
from .replay import replay
from .tensor_array import TensorArray, from_buffers, to_buffers


# ----------------------------------------------------------------------------------------------
# tracing regions
# ----------------------------------------------------------------------------------------------


def _trace_region(parent, name, fn, param_types):
    rb = GraphBuilder(name, parent=parent)
    with context.building(rb):
        params = [rb.symbolic(rb.add_param(t)) for t in param_types]
        out = fn(*params)
        # None outputs (a branch run for its side effects) stay Python Nones, as in TF
        flat = [x for x in nest.flatten(to_buffers(out)) if x is not None]
        tensors = [convert_to_tensor(x) for x in flat]
        values = [rb.value_of(t) for t in tensors]
    graph = rb.finish(values)
    return rb, graph, out


def _ensure_token(graph):
    if not graph.has_effects:
        tok = Value(TOKEN)
        graph.params.append(tok)
        graph.results.append(tok)


def _layout_params(rb, graph, n_explicit, captures):
    """Reorder a region's params as [explicit..., captures (in `captures` order)..., token]."""
    explicit = graph.params[:n_explicit]
    by_outer = {outer.id: param for outer, param in rb.captures}
    caps = []
    for outer in captures:
        p = by_outer.get(outer.id)
        caps.append(p if p is not None else Value(outer.type, name=outer.name))
    token = [p for p in graph.params if p.is_token]
    graph.params = explicit + caps + token


def _union_captures(*builders):
    seen, out = set(), []
    for rb in builders:
        for outer, _ in rb.captures:
            if outer.id not in seen:
                seen.add(outer.id)
                out.append(outer)
    return out


# ----------------------------------------------------------------------------------------------
# cond
# ----------------------------------------------------------------------------------------------


def _cond_infer(in_types, then_branch, else_branch):
    out = []
    for a, b in zip(then_branch.data_results, else_branch.data_results):
        out.append(TensorType(a.type.dtype, a.type.shape.most_specific_compatible_shape(
            b.type.shape)))
    return tuple(out)


def _cond_interpret(node, inputs, run_graph):
    g = node.attrs["then_branch"] if inputs[0] else node.attrs["else_branch"]
    return run_graph(g, inputs[1:])


def _cond_replay(attrs, args):
    g = attrs["then_branch"] if bool(args[0]) else attrs["else_branch"]
    return tuple(replay(g, args[1:]))


def _cond_vjp(c, *grads):
    then_g, else_g = c.attrs["then_branch"], c.attrs["else_branch"]
    n_caps = len(then_g.data_params)
    pred, caps, variables = c.inputs[0], list(c.inputs[1:1 + n_caps]), list(c.inputs[1 + n_caps:])
    sources = caps + variables

    def branch(g):
        def fn():
            with GradientTape(watch_accessed_variables=False) as tape:
                tape.watch([s for s in sources if s.dtype.is_floating])
                outs = replay(g, caps)
            used = [k for k, g_ in enumerate(grads) if g_ is not None]  # None: output unused
            gs = tape.gradient([outs[k] for k in used], sources,
                               output_gradients=[grads[k] for k in used],
                               unconnected_gradients="zero")
            return [g_ if g_ is not None else zeros_like(s if isinstance(s, Tensor)
                                                         else s.read_value())
                    for g_, s in zip(gs, sources)]
        return fn
    if not sources:
        return (None,)
    result = cond(pred, branch(then_g), branch(else_g))
    result = result if isinstance(result, (list, tuple)) else [result]
    return (None,) + tuple(g if s.dtype.is_floating else None for g, s in zip(result, sources))


cond_op = defop("cond", _cond_infer, None, vjp=_cond_vjp, num_outputs=None,
                interpret=_cond_interpret, replay=_cond_replay,
                doc="Run region then_branch or else_branch on the captures, by input 0.")


def cond(pred, true_fn=None, false_fn=None, name=None):
    """TF's tf.cond. Eagerly, or with a predicate known while tracing, runs one branch only.

    >>> x, y = tf.constant(2), tf.constant(5)
    >>> print(tf.cond(x < y, lambda: tf.add(x, y), lambda: tf.square(y)))
    tf.Tensor(7, shape=(), dtype=int32)
    """
    if true_fn is None or false_fn is None:
        raise TypeError("tf.cond requires both true_fn and false_fn")
    builder = context.current_builder()
    if builder is None or not (isinstance(pred, Tensor) and pred._is_symbolic):
        return true_fn() if bool(pred) else false_fn()
    pred = convert_to_tensor(pred)
    if pred.dtype.name != "bool" or pred.shape.rank not in (0, None):
        raise TypeError(f"tf.cond: pred must be a scalar bool tensor, got {pred!r}")
    t_rb, t_g, t_out = _trace_region(builder, "then", true_fn, [])
    e_rb, e_g, e_out = _trace_region(builder, "else", false_fn, [])
    try:
        nest.assert_same_structure(t_out, e_out, check_types=False)
        t_none = [x is None for x in nest.flatten(t_out)]
        if t_none != [x is None for x in nest.flatten(e_out)]:
            raise ValueError("one branch returns None where the other returns a value")
    except (TypeError, ValueError) as e:
        raise builder.located(ValueError(
            f"tf.cond: true_fn and false_fn must return the same structure: {e}")) from None
    for i, (a, b) in enumerate(zip(t_g.data_results, e_g.data_results)):
        if a.type.dtype is not b.type.dtype:
            raise builder.located(TypeError(
                f"tf.cond: output {i} has dtype {a.type.dtype.name} in true_fn but "
                f"{b.type.dtype.name} in false_fn. Fix: tf.cast one branch's value so both "
                "branches return the same dtype."))
    captures = _union_captures(t_rb, e_rb)
    _layout_params(t_rb, t_g, 0, captures)
    _layout_params(e_rb, e_g, 0, captures)
    if t_g.has_effects or e_g.has_effects:
        _ensure_token(t_g)
        _ensure_token(e_g)
    cap_tensors = [builder.symbolic(v) for v in captures]
    outs = apply(cond_op, pred, *cap_tensors, then_branch=t_g, else_branch=e_g)
    outs = iter(list(outs) if isinstance(outs, tuple) else [outs])
    filled = [None if none else next(outs) for none in t_none]
    packed = nest.pack_sequence_as(t_out, filled) if nest.is_nested(t_out) else filled[0]
    return from_buffers(t_out, packed)


# ----------------------------------------------------------------------------------------------
# while_loop
# ----------------------------------------------------------------------------------------------


def _while_infer(in_types, cond_graph, body, n_vars):
    return tuple(TensorType(r.type.dtype, r.type.shape) for r in body.data_results)


def _split_while_inputs(node_attrs, inputs, has_token):
    cond_g, body_g, n = node_attrs["cond_graph"], node_attrs["body"], node_attrs["n_vars"]
    nc = len(cond_g.data_params) - n
    nb = len(body_g.data_params) - n
    vars_ = list(inputs[:n])
    ccaps = list(inputs[n:n + nc])
    bcaps = list(inputs[n + nc:n + nc + nb])
    tok = inputs[-1] if has_token else None
    return vars_, ccaps, bcaps, tok


def _while_interpret(node, inputs, run_graph):
    cond_g, body_g = node.attrs["cond_graph"], node.attrs["body"]
    has_token = cond_g.has_effects
    vars_, ccaps, bcaps, tok = _split_while_inputs(node.attrs, inputs, has_token)
    extra = [tok] if has_token else []
    while True:
        r = run_graph(cond_g, vars_ + ccaps + extra)
        if has_token:
            extra = [r[-1]]
        if not r[0]:
            break
        out = run_graph(body_g, vars_ + bcaps + extra)
        vars_ = out[:len(vars_)]
        if has_token:
            extra = [out[-1]]
    return vars_ + extra


def _while_replay(attrs, args):
    cond_g, body_g, n = attrs["cond_graph"], attrs["body"], attrs["n_vars"]
    nc = len(cond_g.data_params) - n
    vars_, ccaps, bcaps = list(args[:n]), list(args[n:n + nc]), list(args[n + nc:])
    while bool(replay(cond_g, vars_ + ccaps)[0]):
        vars_ = replay(body_g, vars_ + bcaps)
    return tuple(vars_)


# Its VJP (`vjp=`) is set by ops/while_grad.py when that module is imported (the package's
# __init__ imports it): the gradient builds while_loops and conds, so it imports this module.
while_op = defop("while_loop", _while_infer, None, num_outputs=None,
                 interpret=_while_interpret, replay=_while_replay,
                 doc="Loop: while region cond_graph(vars) is true, vars = region body(vars).")


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """TF's tf.while_loop. Eagerly a Python loop; while tracing, a `while_loop` node.

    >>> i = tf.constant(0)
    >>> print(tf.while_loop(lambda i: i < 10, lambda i: i + 3, [i]))
    [<tf.Tensor: shape=(), dtype=int32, numpy=12>]
    """
    if not callable(cond) or not callable(body):
        raise TypeError("tf.while_loop: cond and body must be callable")
    builder = context.current_builder()
    single = not isinstance(loop_vars, (list, tuple))
    structure = [loop_vars] if single else loop_vars
    if builder is None:
        return _eager_while(cond, body, structure, single, maximum_iterations)
    flat = [convert_to_tensor(v) for v in nest.flatten(to_buffers(structure))]
    # A leaf of shape_invariants that is None leaves that variable's shape free to relax.
    fixed = [False] * len(flat)
    if shape_invariants is not None:
        invariants = nest.flatten([shape_invariants] if single else shape_invariants)
        if len(invariants) != len(flat):
            raise ValueError(f"tf.while_loop: shape_invariants has {len(invariants)} shapes but "
                             f"loop_vars has {len(flat)} tensors")
        types = [TensorType(t.dtype, t.shape if inv is None else _as_shape(inv))
                 for t, inv in zip(flat, invariants)]
        fixed = [inv is not None for inv in invariants]
        for t, ty in zip(flat, types):
            if not ty.shape.is_compatible_with(t.shape):
                raise builder.located(ValueError(
                    f"tf.while_loop: a loop variable enters with shape {t.shape}, which is not "
                    f"compatible with its shape invariant {ty.shape}."))
    else:
        types = [TensorType(t.dtype, t.shape) for t in flat]
    arrays = [x if isinstance(x, TensorArray) else None for x in nest.flatten(structure)]
    counter = maximum_iterations is not None
    if counter:
        max_it = cast(convert_to_tensor(maximum_iterations), "int32")
        flat = [array_ops.constant(0)] + flat
        types = [TensorType("int32", ())] + types
        fixed = [False] + fixed
        arrays = [None] + arrays

    def unpack(params):
        vals = params[1:] if counter else params
        return from_buffers(structure, nest.pack_sequence_as(structure, list(vals)))

    def cond_fn(*params):
        r = cond(*unpack(params))
        r = convert_to_tensor(r)
        return logical_and(less(params[0], max_it), r) if counter else r

    def body_fn(*params):
        out = body(*unpack(params))
        n_user = len(params) - counter
        out = [out] if not isinstance(out, (list, tuple)) and n_user == 1 else out
        flat_out = [convert_to_tensor(x) for x in nest.flatten(to_buffers(out))]
        return ([add(params[0], 1)] + flat_out) if counter else flat_out

    for _ in range(8):  # relax shapes that change in the body, then retrace (bounded by rank)
        b_rb, b_g, _ = _trace_region(builder, "body", body_fn, types)
        if len(b_g.data_results) != len(types):
            raise builder.located(ValueError(
                f"tf.while_loop: body returned {len(b_g.data_results) - counter} values but "
                f"loop_vars has {len(types) - counter}."))
        relaxed, changed = [], False
        for i, (t, r) in enumerate(zip(types, b_g.data_results)):
            shaped = _shaped_placeholder(arrays[i], flat[i], t, r.type)
            if shaped is not None:
                flat[i], ty = shaped
                relaxed.append(ty)
                changed = True
                continue
            if r.type.dtype is not t.dtype:
                raise builder.located(TypeError(
                    f"tf.while_loop: loop variable {i - counter} enters the loop as "
                    f"{t.dtype.name} but the body returns {r.type.dtype.name}. Fix: tf.cast the "
                    "body's value to the loop variable's dtype."))
            # the loop variable's type must be at least as general as what the body returns
            fits = (t.shape.is_compatible_with(r.type.shape)
                    and t.shape.merge_with(r.type.shape) == r.type.shape)
            if not fits:
                if fixed[i]:
                    raise builder.located(ValueError(
                        f"tf.while_loop: loop variable {i - counter} has shape {t.shape} "
                        f"(shape_invariants) but the body returns shape {r.type.shape}."))
                relaxed.append(TensorType(t.dtype, t.shape.most_specific_compatible_shape(
                    r.type.shape)))
                changed = True
            else:
                relaxed.append(t)
        if not changed:
            break
        types = relaxed
    c_rb, c_g, _ = _trace_region(builder, "cond", cond_fn, types)
    if len(c_g.data_results) != 1 or c_g.data_results[0].type.dtype.name != "bool":
        raise builder.located(TypeError("tf.while_loop: cond must return a scalar bool tensor"))
    n = len(types)
    c_caps = [outer for outer, _ in c_rb.captures]
    b_caps = [outer for outer, _ in b_rb.captures]
    _layout_params(c_rb, c_g, n, c_caps)
    _layout_params(b_rb, b_g, n, b_caps)
    if c_g.has_effects or b_g.has_effects:
        _ensure_token(c_g)
        _ensure_token(b_g)
    inputs = flat + [builder.symbolic(v) for v in c_caps + b_caps]
    outs = apply(while_op, *inputs, cond_graph=c_g, body=b_g, n_vars=n)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    if counter:
        outs = outs[1:]
    packed = from_buffers(structure, nest.pack_sequence_as(structure, outs))
    return packed[0] if single else packed


def _shaped_placeholder(array, buffer, entry, returned):
    """(buffer, type) to enter the loop with in place of a fixed-size TensorArray's placeholder
    buffer (rank 1: no element shape yet, tensor_array.py) that the body writes elements of a
    known shape into: zeros of the final shape, which is what the first write makes of it. The
    loop variable then keeps one shape, so the loop compiles with a static buffer instead of a
    TensorArray grown at run time (an RNN layer's outputs inside a loop over batches). None when
    that is not the case."""
    if array is None or array.dynamic_size or entry.shape.rank != 1:
        return None
    shape = returned.shape
    if shape.rank is None or shape.rank < 2 or not shape[1:].is_fully_defined():
        return None
    elem = list(shape.as_tuple()[1:])
    dims = array_ops.concat([array_ops.shape(buffer)[:1], array_ops.constant(elem)], 0)
    zeros = array_ops.zeros(dims, dtype=entry.dtype)
    return zeros, TensorType(entry.dtype, TensorShape([entry.shape[0], *elem]))


def _as_shape(shape):
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def _eager_while(cond, body, structure, single, maximum_iterations):
    vars_ = structure
    i = 0
    while maximum_iterations is None or i < int(maximum_iterations):
        if not bool(cond(*vars_)):
            break
        out = body(*vars_)
        if not isinstance(out, (list, tuple)) and len(vars_) == 1:
            out = [out]  # TF accepts a bare tensor from the body of a one-variable loop
        try:
            nest.assert_same_structure(list(vars_), list(out), check_types=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"tf.while_loop: body must return the structure of loop_vars: "
                             f"{e}") from None
        vars_ = type(structure)(out) if isinstance(structure, (list, tuple)) else out
        i += 1
    if single:
        return vars_[0]
    return list(vars_) if isinstance(structure, list) else vars_

