"""The algebraic simplification rules, as a table: OpDef -> rules tried on each such node.

The table is written with op names and keyed by OpDef (ops/op_keys.py: an unregistered name fails
at import); an op defined above the compiler registers its rules with `register_rules` from its
own module (tf.custom_gradient's `forward_last_inputs`).

A rule is `rule(node, ctx) -> list of replacement Values, or None when it does not apply`. It may
build new nodes with `ctx.emit(...)` (they are placed before `node`). Every rule keeps the value
*and the type* of the node's outputs: `x * 1` becomes `x` only when the result has x's dtype and
shape — with broadcasting `x * ones([4, 3])` for x of shape [3] is a [4, 3] tensor, not x.

Besides identities the table holds two canonicalizations for later passes: `sum_to` with static
shapes becomes `reduce_sum`, `bias_add` becomes `add`; and *if-conversion*: a pure `cond` whose
branches are a few elementwise ops on tiny values becomes `select`s (AutoGraph's loop flags).

Rules deliberately absent, because they change results: `x * 0 -> 0` (NaN * 0 is NaN, inf * 0 is
NaN), `x - x -> 0` (NaN), `x / c -> x * (1/c)` (rounding), `(x + a) + b -> x + (a + b)`
(float addition is not associative). `x + 0 -> x` is kept, as in TF's arithmetic optimizer,
although it turns `-0.0 + 0.0` (which is `+0.0`) into `-0.0`: equal values, different signs.
"""
import numpy as np

from ..ops import control_ops  # noqa: F401 - registers cond, named below
from ..ops.op_keys import by_op
from .rewrite import constant_value
from ..ops.opdef import infer_types

__all__ = ["RULES", "ELEMENTWISE_RULES", "rule_names", "register_rules", "forward_last_inputs"]


# -- predicates ----------------------------------------------------------------------------------

def _same_type(a, b):
    return a.dtype is b.dtype and a.shape == b.shape and (
        a.shape.rank is not None)


def _is_splat(value, number):
    """`value` is a constant whose every element equals `number` (whether it broadcasts the
    other operand is `_keeps`'s question)."""
    arr = constant_value(value)
    return arr is not None and arr.size >= 1 and bool(np.all(arr == number))


def _keeps(node, x):
    """The node's (single) output has exactly x's type: the other operand broadcast nothing."""
    return _same_type(node.outputs[0].type, x.type)


def _binary_identity(name, number, commutative):
    def rule(node, ctx):
        a, b = node.inputs
        if _is_splat(b, number) and _keeps(node, a):
            return [a]
        if commutative and _is_splat(a, number) and _keeps(node, b):
            return [b]
        return None
    rule.__name__ = name
    return rule


def _unary_involution(node, ctx):
    """f(f(x)) = x for negative and logical_not."""
    (x,) = node.inputs
    inner = x.node
    if inner is not None and inner.op.name == node.op.name and _keeps(node, inner.inputs[0]):
        return [inner.inputs[0]]
    return None


def _passthrough(node, ctx):
    """identity / stop_gradient: run time no-ops (gradients were taken when tracing)."""
    return [node.inputs[0]] if _keeps(node, node.inputs[0]) else None


def forward_last_inputs(node, ctx):
    """A rule for ops that forward their last inputs, such as custom_gradient (its gradient was
    taken when tracing): the outputs become those inputs when their types agree."""
    outs = node.inputs[len(node.inputs) - len(node.outputs):]
    same = all(_same_type(o.type, v.type) for o, v in zip(node.outputs, outs))
    return list(outs) if same else None


def _same_dtype_cast(node, ctx):
    (x,) = node.inputs
    return [x] if _keeps(node, x) else None


def _noop_reshape(node, ctx):
    x = node.inputs[0]
    if x.type.shape.is_fully_defined() and _keeps(node, x):
        return [x]
    inner = x.node
    if inner is not None and inner.op.name == "reshape":
        return ctx.emit("reshape", [inner.inputs[0], node.inputs[1]], {})
    return None


def _perm(perm, rank):
    return tuple(reversed(range(rank))) if perm is None else tuple(p % rank for p in perm)


def _transpose_of_transpose(node, ctx):
    x = node.inputs[0]
    inner = x.node
    rank = x.type.shape.rank
    if inner is None or inner.op.name != "transpose" or rank is None:
        return None
    p1 = _perm(inner.attrs["perm"], rank)
    p2 = _perm(node.attrs["perm"], rank)
    composed = tuple(p1[p] for p in p2)
    source = inner.inputs[0]
    if composed == tuple(range(rank)):
        return [source] if _keeps(node, source) else None
    return ctx.emit("transpose", [source], {"perm": composed})


def _noop_broadcast(node, ctx):
    """broadcast_like / broadcast_to / sum_to whose input already has the result's type."""
    x = node.inputs[0]
    if x.type.shape.is_fully_defined() and _keeps(node, x):
        return [x]
    return None


def _sum_to_as_reduce_sum(node, ctx):
    """sum_to with static shapes is a reduce_sum (+ reshape): one op family for the backends and
    for reduction fusion."""
    x, like = node.inputs
    src, dst = x.type.shape, node.outputs[0].type.shape
    if not (src.is_fully_defined() and dst.is_fully_defined()) or src == dst:
        return None
    src, dst = src.as_list(), dst.as_list()
    lead = len(src) - len(dst)
    kept = [i + lead for i, d in enumerate(dst) if d == 1 and src[i + lead] != 1]
    axes = tuple(range(lead)) + tuple(kept)
    if not kept:
        return ctx.emit("reduce_sum", [x], {"axis": axes, "keepdims": False})
    if not lead:
        return ctx.emit("reduce_sum", [x], {"axis": axes, "keepdims": True})
    (summed,) = ctx.emit("reduce_sum", [x], {"axis": axes, "keepdims": False})
    shape = ctx.constant(np.array(dst, np.int32))
    return ctx.emit("reshape", [summed, shape], {})


def _expand_then_squeeze(node, ctx):
    x = node.inputs[0]
    inner = x.node
    if inner is None or inner.op.name != "expand_dims" or node.attrs["axis"] is None:
        return None
    rank = x.type.shape.rank
    if rank is None or len(node.attrs["axis"]) != 1:
        return None
    if node.attrs["axis"][0] % rank == inner.attrs["axis"] % rank and _keeps(
            node, inner.inputs[0]):
        return [inner.inputs[0]]
    return None


def _pow_small(node, ctx):
    """pow(x, 1) -> x and pow(x, 2) -> square(x) (exact: x*x is correctly rounded)."""
    x, y = node.inputs
    if _is_splat(y, 1) and _keeps(node, x):
        return [x]
    if _is_splat(y, 2) and _keeps(node, x) and x.type.dtype.is_floating:
        return ctx.emit("square", [x], {})
    return None


def _select_same(node, ctx):
    _, a, b = node.inputs
    return [a] if a is b and _keeps(node, a) else None


# if-conversion limits: branches this small, on values this small, are cheaper computed both
# ways and selected than branched on (AutoGraph's break/continue/return flags and counters)
IF_CONVERT_MAX_NODES = 8
IF_CONVERT_MAX_ELEMENTS = 16


def _convertible_branch(graph):
    for n in graph.nodes:
        if n.op.effects or n.regions or not (n.op.elementwise or n.op.name == "constant"):
            return False
        if n.op.traps_on_integers and not all(
                v.type.dtype.is_floating for v in n.inputs) and not _safe_divisor(n):
            return False  # integer division can raise: only the branch taken may run it
        if not all(v.type.shape.is_fully_defined() for v in n.inputs):
            return False  # with an unknown dim the op may fail to broadcast at run time, and
            # only the branch taken may fail (e.g. [0, 1] * [3, 1] on the branch not taken)
        for v in n.outputs:
            size = v.type.shape.num_elements()
            if size is None or size > IF_CONVERT_MAX_ELEMENTS:
                return False
    return sum(n.op.name != "constant" for n in graph.nodes) <= IF_CONVERT_MAX_NODES


def _safe_divisor(node):
    """An integer division / modulo / pow by a constant that cannot raise (no zero divisor, no
    negative exponent): safe to compute on the branch not taken."""
    arr = constant_value(node.inputs[1])
    if arr is None:
        return False
    if node.op.name == "pow":
        return bool(np.all(arr >= 0))
    return bool(np.all(arr != 0))


def _cond_to_select(node, ctx):
    """If-conversion: a pure cond whose branches are a few elementwise ops on tiny values (the
    flags and counters AutoGraph makes for break/continue/return) computes both branches and
    picks each result with `select` — no region left, so fusion and the backends see plain ops.
    `select(p, true, false)` then simplifies to p itself."""
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    if node.has_effects or not (_convertible_branch(then_g) and _convertible_branch(else_g)):
        return None
    for t, e, want in zip(then_g.results, else_g.results, node.outputs):
        if t.type != want.type or e.type != want.type:
            return None  # branches of different shapes: the result's shape depends on the branch
    pred, operands = node.inputs[0], node.inputs[1:]
    picked = []
    for branch in (then_g, else_g):
        env = {p.id: v for p, v in zip(branch.params, operands)}
        for inner in branch.nodes:
            outs = ctx.copy(inner, [env[v.id] for v in inner.inputs])
            env.update((old.id, new) for old, new in zip(inner.outputs, outs))
        picked.append([env[r.id] for r in branch.results])
    return [t if t is e else ctx.emit("select", [pred, t, e], {})[0]
            for t, e in zip(picked[0], picked[1])]


def _select_of_bools(node, ctx):
    """select(c, true, false) -> c, select(c, false, true) -> not c, select(c, true, x) and
    select(c, c, x) -> c or x, select(c, x, false) and select(c, x, c) -> c and x (bool values
    of c's type)."""
    c, a, b = node.inputs
    if not _keeps(node, c) or node.outputs[0].type.dtype.name != "bool":
        return None
    if _is_splat(a, True) and _is_splat(b, False):
        return [c]
    if _is_splat(a, False) and _is_splat(b, True):
        return ctx.emit("logical_not", [c], {})
    if _is_splat(a, True):
        return ctx.emit("logical_or", [c, b], {})
    if _is_splat(b, False) or b is c:
        return ctx.emit("logical_and", [c, a], {})
    if a is c:
        return ctx.emit("logical_or", [c, b], {})
    return None


def _relu_mask_from_output(node, ctx):
    """`greater(x, 0)` (the relu gradient's mask) becomes `greater(relu(x), 0)` when relu(x) is
    computed earlier: the same booleans (relu(x) > 0 exactly when x > 0, NaN included), and x
    then has no use besides relu, so matmul epilogue fusion can swallow the whole bias + relu."""
    x, zero = node.inputs
    if not _is_splat(zero, 0):
        return None
    relu = ctx.find("relu", x)
    if relu is None or relu.outputs[0] is x:
        return None
    return ctx.emit("greater", [relu.outputs[0], zero], {})


def _bias_add_as_add(node, ctx):
    """bias_add on the last axis is a broadcasting add: one op for fusion to handle (a Dense
    layer's matmul -> bias_add -> relu becomes a matmul fusion)."""
    x, b = node.inputs
    rank = x.type.shape.rank
    if rank is None or node.attrs["channel_axis"] % rank != rank - 1:
        return None
    last = x.type.shape[rank - 1]
    if last is None or b.type.shape.rank != 1 or b.type.shape[0] != last:
        return None
    return ctx.emit("add", [x, b], {})


def _shrink_splats(node, ctx):
    """An elementwise op reading a constant whose elements are all equal (what folding
    `zeros_like(x)` or a broadcast scalar leaves) reads that one scalar instead, when the result's
    type stays the same: fused loops then broadcast a register, not a materialized buffer."""
    inputs = list(node.inputs)
    changed = False
    for i, v in enumerate(inputs):
        arr = constant_value(v)
        if arr is None or arr.ndim == 0 or arr.size < 2 or not np.all(arr == arr.flat[0]):
            continue
        trial = inputs[:i] + [None] + inputs[i + 1:]
        scalar_type = type(v.type)(v.type.dtype, ())
        types = [scalar_type if x is None else x.type for x in trial]
        try:
            out = infer_types(node.op, types, node.attrs)
        except Exception:  # noqa: BLE001 - the op does not broadcast this operand
            continue
        if list(out) != [o.type for o in node.outputs]:
            continue
        inputs[i] = ctx.constant(np.asarray(arr.flat[0], dtype=arr.dtype))
        changed = True
    return ctx.copy(node, inputs) if changed else None


ELEMENTWISE_RULES = (_shrink_splats,)

RULES = by_op({
    "multiply": [_binary_identity("x_times_one", 1, commutative=True)],
    "add": [_binary_identity("x_plus_zero", 0, commutative=True)],
    "subtract": [_binary_identity("x_minus_zero", 0, commutative=False)],
    "divide": [_binary_identity("x_over_one", 1, commutative=False)],
    "negative": [_unary_involution],
    "logical_not": [_unary_involution],
    "identity": [_passthrough],
    "stop_gradient": [_passthrough],
    "cast": [_same_dtype_cast],
    "reshape": [_noop_reshape],
    "transpose": [_transpose_of_transpose],
    "broadcast_like": [_noop_broadcast],
    "broadcast_to": [_noop_broadcast],
    "sum_to": [_noop_broadcast, _sum_to_as_reduce_sum],
    "squeeze": [_expand_then_squeeze],
    "pow": [_pow_small],
    "select": [_select_same, _select_of_bools],
    "cond": [_cond_to_select],
    "greater": [_relu_mask_from_output],
    "bias_add": [_bias_add_as_add],
})


def register_rules(op, *rules):
    """Add rewrite rules for `op`, as the module defining an op above the compiler does.

    Args:
      op: the OpDef.
      *rules: functions `rule(node, ctx) -> list of Values or None`, tried after existing ones.
    Example: `register_rules(_custom_gradient, forward_last_inputs)`.
    """
    RULES.setdefault(op, []).extend(rules)


def rule_names():
    """op name -> the names of its rules (for documentation and explain())."""
    return {op.name: [r.__name__.strip("_") for r in rules] for op, rules in RULES.items()}
