"""`while_stmt` and `for_stmt`: Python loops at trace time over Python values; graph
`while_loop`s when the condition is a tensor or the iterable is a tensor, `tf.range`, a
TensorArray, or `enumerate`/`zip` of those.

Staging a loop (`staged_loop`): the state variables live at the loop head become loop
variables. Tensors and TensorArrays carry as they are. Other values at loop entry (Python
numbers, lists, undefined names) are resolved by one throwaway *probe* trace of the body:
  - a Python number the body changes becomes a tensor of the dtype the body gives it (weak
    typing: `acc = 0; acc = acc + x[i]` carries a float32 accumulator for float32 `x`);
  - a list the body appends tensors to becomes a TensorArray (ListTensorArray);
  - the pending return value of a function returning from inside the loop gets a placeholder;
  - anything else the body leaves alone stays a Python constant of the loop; a change is an
    error naming the variable.
A tensor whose shape changes across iterations relaxes to None dims (control_ops.while_loop).

A Python loop whose `break`/`return` flag turns into a tensor switches: over a Python `range`
the remaining iterations become a graph loop; over other iterables each remaining iteration is
guarded by a cond on the flag.
"""
import itertools
import warnings

from ... import nest
from ...ir.types import TensorType
from ...ops import control_ops
from ...ops.tensor_array import TensorArray, from_buffers, to_buffers
from ...tensor import Tensor, convert_to_tensor
from ...tracing import context
from . import staging
from .conditionals import if_stmt
from .lists import from_list
from .variables import Undefined, UndefinedReturnValue

UNROLL_WARNING = 1000
_warned_sites = set()


# ----------------------------------------------------------------------------------------------
# while
# ----------------------------------------------------------------------------------------------


def while_stmt(test, body, get_state, set_state, symbol_names, temp_names):
    unroll = _Unroll("while")
    while True:
        cond = test()
        if staging.is_symbolic(cond):
            static = staging.static_value(cond)
            if static is not None and not static:
                return
            def body_fn(hidden):
                body()
                return []
            staged_loop(lambda hidden: test(), body_fn, [], get_state, set_state,
                        symbol_names, temp_names)
            return
        if not cond:
            return
        body()
        unroll.tick()


# ----------------------------------------------------------------------------------------------
# for
# ----------------------------------------------------------------------------------------------


class Enumerate:
    """`enumerate(x)` of a tensor / TensorArray inside converted code."""

    def __init__(self, inner, start):
        self.inner, self.start = inner, start


class Zip:
    """`zip(...)` of tensors / TensorArrays inside converted code."""

    def __init__(self, items):
        self.items = items


def for_stmt(iterable, extra_test, body, get_state, set_state, symbol_names, temp_names):
    plan = index_plan(iterable)
    if plan is not None:
        count, element = plan
        _staged_indexed(count, element, extra_test, body, get_state, set_state, symbol_names,
                        temp_names)
        return
    unroll = _Unroll("for")
    it = iter(iterable)
    for item in it:
        if extra_test is not None:
            flag = extra_test()
            if staging.is_symbolic(flag) and staging.static_value(flag) is None:
                _switch_to_staged(iterable, item, it, extra_test, body, get_state, set_state,
                                  symbol_names, temp_names)
                return
            if staging.is_symbolic(flag):
                flag = staging.static_value(flag)
            if not flag:
                return
        body(item)
        unroll.tick()


def _switch_to_staged(iterable, item, rest, extra_test, body, get_state, set_state,
                      symbol_names, temp_names):
    """The loop's exit flag became a tensor at `item`: the remaining iterations are staged."""
    if isinstance(iterable, range):
        remaining = range(item, iterable.stop, iterable.step)
        start, step = remaining.start, remaining.step
        _staged_indexed(len(remaining), lambda i: i * step + start, extra_test, body,
                        get_state, set_state, symbol_names, temp_names)
        return
    unroll = _Unroll("for")
    for x in itertools.chain([item], rest):
        if_stmt(extra_test(), lambda x=x: body(x), lambda: None, get_state, set_state,
                symbol_names, temp_names)
        unroll.tick()


def index_plan(x):
    """(count, element(i)) when iterating `x` is a graph loop over an int32 index; else None."""
    from ...ops import array_ops, math_ops
    if isinstance(x, TensorArray):
        return x.size(), x.read
    if isinstance(x, Enumerate):
        inner = index_plan(x.inner)
        if inner is None:
            return None
        count, element = inner
        return count, lambda i: (i + x.start, element(i))
    if isinstance(x, Zip):
        plans = [index_plan(item) for item in x.items]
        if any(p is None for p in plans):
            return None
        count = plans[0][0]
        for c, _ in plans[1:]:
            count = math_ops.minimum(count, c)
        return count, lambda i: tuple(e(i) for _, e in plans)
    if not staging.is_symbolic(x):
        return None
    node = x._val.node
    if node is not None and node.op.name == "range":
        return _range_plan(x, *(x._builder.symbolic(v) for v in node.data_inputs[:3]))
    if x.shape.rank == 0:
        raise staging.located(TypeError(
            "Cannot iterate over a scalar tensor: a `for` loop needs a tensor of rank >= 1."))
    if x.shape.rank is not None and x.shape[0] is not None:
        count = x.shape[0]
    else:
        count = array_ops.shape(x)[0]
    return count, lambda i: x[i]


def _range_plan(x, start, limit, delta):
    """Loop `i` over 0..count-1 for tf.range(start, limit, delta), without the range tensor
    (the common tf.range(n) gives the plain `max(n, 0)` iterations of `i` itself)."""
    from ...ops import math_ops
    start_v, delta_v = staging.static_value(start), staging.static_value(delta)
    if delta_v == 1:
        count = math_ops.maximum(limit - start if start_v != 0 else limit, 0)
    else:
        count = math_ops.maximum(-math_ops.floordiv(start - limit, delta), 0)
    if count.dtype.name != "int32":
        count = math_ops.cast(count, "int32")

    def element(i):
        i = math_ops.cast(i, x.dtype)
        if delta_v != 1:
            i = i * delta
        return i if start_v == 0 else start + i
    return count, element


def _staged_indexed(count, element, extra_test, body, get_state, set_state, symbol_names,
                    temp_names):
    from ...ops import array_ops, math_ops
    count_t = convert_to_tensor(count, dtype="int32") if not isinstance(count, Tensor) else \
        count

    def cond_fn(hidden):
        c = math_ops.less(hidden[0], count_t)
        if extra_test is None:
            return c
        flag = extra_test()
        if not staging.is_symbolic(flag):
            return c if flag else convert_to_tensor(False)
        return math_ops.logical_and(c, flag)

    def body_fn(hidden):
        body(element(hidden[0]))
        return [hidden[0] + 1]
    staged_loop(cond_fn, body_fn, [array_ops.constant(0)], get_state, set_state,
                symbol_names, temp_names)


# ----------------------------------------------------------------------------------------------
# the staged loop
# ----------------------------------------------------------------------------------------------


def staged_loop(cond_fn, body_fn, hidden, get_state, set_state, symbol_names, temp_names):
    """A while_loop node: `hidden` are extra loop tensors (an index) that cond_fn/body_fn
    read and body_fn returns updated; the user's variables flow through get/set_state."""
    from .calls import staged_region
    init = tuple(get_state())
    n = len(symbol_names)
    state, temps_init = list(init[:n]), init[n:]
    entry = list(state)
    if any(not _carries_as_is(v) for v in state):
        entry = _probe(body_fn, hidden, get_state, set_state, symbol_names, state, temps_init)
        set_state(init)
    carried = [i for i, v in enumerate(entry) if v is not _INVARIANT]
    nh = len(hidden)

    def assemble(values):
        full = list(state)
        for i, v in zip(carried, values):
            full[i] = v
        return tuple(full) + temps_init

    def cond_w(*vs):
        set_state(assemble(vs[nh:]))
        return convert_to_tensor(cond_fn(list(vs[:nh])))

    def body_w(*vs):
        set_state(assemble(vs[nh:]))
        with staged_region():
            new_hidden = body_fn(list(vs[:nh]))
        out = tuple(get_state())[:n]
        for i in range(n):
            if i not in carried and out[i] is not state[i] and not _same_python(out[i],
                                                                                 state[i]):
                raise staging.located(TypeError(
                    f"'{symbol_names[i]}' changes in the body of this graph loop from "
                    f"{staging.describe(state[i])} to {staging.describe(out[i])}; a graph loop "
                    "can only carry tensors. Fix: make it a tensor before the loop."))
        return list(new_hidden) + [_carry(symbol_names[i], vs[nh + k], out[i])
                                   for k, i in enumerate(carried)]

    loop_vars = list(hidden) + [entry[i] for i in carried]
    if not loop_vars:
        loop_vars = []
    outs = control_ops.while_loop(cond_w, body_w, loop_vars)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    final = assemble(outs[nh:])[:n]
    set_state(tuple(final) + tuple(Undefined(nm) for nm in temp_names))


class _Invariant:
    def __repr__(self):
        return "<loop invariant>"


_INVARIANT = _Invariant()


def _carries_as_is(v):
    if isinstance(v, (Tensor, TensorArray)):
        return True
    if nest.is_nested(v) and not isinstance(v, list):
        flat = nest.flatten(v)
        return bool(flat) and all(isinstance(x, (Tensor, TensorArray)) for x in flat)
    return False


def _param_like(rb, v):
    buffers = to_buffers(v)
    params = nest.map_structure(
        lambda t: rb.symbolic(rb.add_param(TensorType(t.dtype, t.shape))), buffers)
    return from_buffers(v, params)


def _probe(body_fn, hidden, get_state, set_state, names, state, temps_init):
    """Trace the body once, throwaway, to learn what it does to the non-tensor variables.
    Returns the loop-entry value of each variable, or _INVARIANT for the ones it leaves be."""
    from ...tracing.builder import GraphBuilder
    from .calls import staged_region
    builder = context.current_builder()
    rb = GraphBuilder("probe", parent=builder)
    with context.building(rb), staging.probing(), staged_region():
        given = []
        for v in state:
            if _carries_as_is(v):
                given.append(_param_like(rb, v))
            elif isinstance(v, list):
                given.append(list(v))
            else:
                given.append(v)
        set_state(tuple(given) + temps_init)
        body_fn([_param_like(rb, h) for h in hidden])
        out = tuple(get_state())[:len(names)]
    return [_entry_value(name, v, g, o) for name, v, g, o in zip(names, state, given, out)]


def _same_python(a, b):
    return type(a) is type(b) and not isinstance(a, (Tensor, TensorArray)) and _eq(a, b)


def _eq(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


def _entry_value(name, value, given, out):
    """What variable `name` (`value` before the loop) enters the graph loop as."""
    if _carries_as_is(value):
        return value
    if isinstance(value, list):
        if out is given and len(out) == len(value) and all(
                a is b for a, b in zip(out, value)):
            return _INVARIANT
        return _list_entry(name, value, given, out)
    if out is given or _same_python(out, given):
        return _INVARIANT
    if isinstance(value, UndefinedReturnValue) and isinstance(out, Undefined):
        return _INVARIANT
    if isinstance(value, UndefinedReturnValue):
        if value.all_paths_return and staging.has_tensors(out):
            from ...ops.array_ops import zeros
            return nest.map_structure(
                lambda t: zeros([d if d is not None else 0 for d in t.shape.as_list()],
                                dtype=t.dtype) if isinstance(t, Tensor) else t,
                to_buffers(out))
        raise staging.located(ValueError(
            f"This function returns {staging.describe(out)} from inside a graph loop (the "
            "loop runs on tensors) but can also reach its end without a return, where Python "
            "would return None. A graph cannot return a tensor on one path and None on "
            "another. Fix: add a return statement after the loop."))
    if isinstance(value, Undefined):
        raise staging.located(ValueError(
            f"'{name}' is assigned in the body of this graph loop (the loop runs on tensors) but "
            f"has no value before the loop, and it is used after an iteration or after the "
            f"loop. A graph loop carries each variable from one iteration to the next, so it "
            f"needs a value to start from. Fix: initialize '{name}' before the loop (e.g. "
            f"{name} = tf.zeros(...) or {name} = 0)."))
    if staging.is_weak(value):
        if isinstance(out, Tensor):
            if not staging.weak_fits(value, out.dtype):
                raise staging.located(TypeError(
                    f"'{name}' is {staging.describe(value)} before this graph loop but the loop "
                    f"body makes it a {out.dtype.name} tensor. Fix: initialize it with a value "
                    f"of that dtype (e.g. tf.constant({value!r}, tf.{out.dtype.name}))."))
            return convert_to_tensor(value, dtype=out.dtype)
        if staging.is_weak(out):
            return convert_to_tensor(value, dtype=staging.default_dtype(value, out))
    raise staging.located(TypeError(
        f"'{name}' is {staging.describe(value)} before this graph loop but the loop body makes "
        f"it {staging.describe(out)}. A graph loop can only carry tensors (and Python numbers, "
        f"which become tensors). Fix: give '{name}' a tensor value before the loop."))


def _list_entry(name, value, given, out):
    if out is not given:
        raise staging.located(TypeError(
            f"'{name}' is a Python list that the body of this graph loop rebinds to "
            f"{staging.describe(out)}; a list can only be appended to in a graph loop. Fix: use "
            "a tf.TensorArray (ta = ta.write(i, x)) and ta.stack() after the loop."))
    new = out[len(value):]
    if len(out) < len(value) or any(a is not b for a, b in zip(out, value)):
        raise staging.located(TypeError(
            f"'{name}' is a Python list changed in place by the body of this graph loop; only "
            "append() is supported there. Fix: use a tf.TensorArray."))
    if not all(isinstance(x, Tensor) or staging.is_weak(x) for x in new + list(value)):
        bad = next(x for x in new + list(value) if not isinstance(x, Tensor)
                   and not staging.is_weak(x))
        raise staging.located(TypeError(
            f"'{name}' is a Python list that this graph loop appends {staging.describe(bad)} "
            "to; in a graph loop a list can only collect tensors (it becomes a stacked "
            "tf.TensorArray). Fix: append tensors, or build a tf.TensorArray yourself."))
    first = next((x for x in new if isinstance(x, Tensor)), None)
    dtype = first.dtype if first is not None else staging.default_dtype(*new)
    shape = first.shape if first is not None else None
    items = [convert_to_tensor(x, dtype=dtype) for x in value]
    return from_list(items, dtype, shape)


def _carry(name, entry, out):
    """The body's new value of carried variable `name`, checked against its entry value."""
    if isinstance(entry, TensorArray) or isinstance(out, TensorArray):
        if not (isinstance(entry, TensorArray) and isinstance(out, TensorArray)) or \
                entry.dtype is not out.dtype:
            raise _carry_error(name, entry, out)
        return out
    if isinstance(entry, Tensor):
        if isinstance(out, Tensor):
            if out.dtype is not entry.dtype:
                raise _carry_error(name, entry, out)
            return out
        if staging.is_weak(out) and staging.weak_fits(out, entry.dtype):
            return convert_to_tensor(out, dtype=entry.dtype)
        raise _carry_error(name, entry, out)
    try:
        nest.assert_same_structure(entry, out, check_types=False)
    except (TypeError, ValueError):
        raise _carry_error(name, entry, out) from None
    return nest.pack_sequence_as(entry, [_carry(name, a, b) for a, b in
                                         zip(nest.flatten(entry), nest.flatten(out))])


def _carry_error(name, entry, out):
    if isinstance(entry, Tensor) and isinstance(out, Tensor):
        return staging.located(TypeError(
            f"'{name}' enters this graph loop as {entry.dtype.name} but the loop body makes it "
            f"{out.dtype.name}; a loop variable keeps one dtype. Fix: tf.cast it (e.g. "
            f"{name} = tf.cast({name}, tf.{out.dtype.name}) before the loop, or cast the "
            "body's value back)."))
    return staging.located(TypeError(
        f"'{name}' enters this graph loop as {staging.describe(entry)} but the loop body makes "
        f"it {staging.describe(out)}; a loop variable must keep its type and structure."))


# ----------------------------------------------------------------------------------------------
# unrolling warning
# ----------------------------------------------------------------------------------------------


class _Unroll:
    """Counts Python iterations while tracing; at UNROLL_WARNING iterations that added graph
    nodes, warns once per loop with its line, suggesting a graph loop."""

    def __init__(self, kind):
        self.kind = kind
        self.count = 0
        self.builder = context.current_builder()
        self.start = len(self.builder.graph.nodes) if self.builder is not None else 0

    def tick(self):
        self.count += 1
        if self.count != UNROLL_WARNING or self.builder is None or staging.is_probing():
            return
        if len(self.builder.graph.nodes) == self.start:
            return  # a pure-Python loop: nothing is unrolled into the graph
        from ...tracing.builder import user_location
        loc = user_location(2)
        site = (loc.filename, loc.lineno) if loc is not None else None
        if site in _warned_sites:
            return
        _warned_sites.add(site)
        hint = "for i in tf.range(n)" if self.kind == "for" else "a tensor loop condition"
        text = (f"This Python `{self.kind}` loop has run {UNROLL_WARNING} iterations while "
                f"tracing: every iteration is unrolled into the graph (it keeps growing and "
                f"compiles slowly). Use {hint} to build one graph loop instead.")
        if loc is not None:
            warnings.warn_explicit(text + f"\n    {loc.source}", UserWarning, loc.filename,
                                   loc.lineno)
        else:
            warnings.warn(text, UserWarning, stacklevel=3)
