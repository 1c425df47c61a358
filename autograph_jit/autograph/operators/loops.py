"""`while_stmt` and `for_stmt`: Python loops at trace time over Python values; graph
`while_loop`s when the condition is a tensor or the iterable is a tensor, `tf.range`, a
TensorArray, or `enumerate`/`zip` of those.

Staging a loop (`staged_loop`): the state variables live at the loop head become loop
variables. Tensors and TensorArrays carry as they are. Other values at loop entry (Python
numbers, lists, undefined names) are resolved by one throwaway *probe* trace of the body:
  - a Python number the body changes becomes a tensor of the dtype the body gives it (weak
    typing: `acc = 0; acc = acc + x[i]` carries a float32 accumulator for float32 `x`);
    If the loop test or body then fails to trace with that dtype (a counter meeting an int64
    bound), the wider int64/float64 is tried, as a Python number adapts to what it meets;
  - a list the body appends tensors to becomes a TensorArray (ListTensorArray); a list or dict
    whose items the body replaces carries as a list/dict of tensors;
  - the pending return value of a function returning from inside the loop gets a placeholder;
  - a variable first assigned in the body (on every path) gets a placeholder too, and a
    run-time check that the loop ran at least once (else UnboundLocalError, as Python);
  - anything else the body leaves alone stays a Python constant of the loop; a change is an
    error naming the variable.
(loop_state.py holds this machinery.) A tensor whose shape changes across iterations relaxes to
None dims (control_ops.while_loop).

A Python loop whose `break`/`return` flag turns into a tensor switches: over a Python `range`
the remaining iterations become a graph loop; over other iterables each remaining iteration is
guarded by a cond on the flag.
"""
import itertools
import warnings

from ...ops import array_ops, check_ops, control_ops, math_ops
from ...ops.tensor_array import TensorArray, to_buffers
from ...tensor import Tensor, convert_to_tensor
from ...tracing import context
from . import side_effects, staging
from .conditionals import if_stmt
from .loop_state import (_INVARIANT, _WIDER, _carries_as_is, _carry, _probe, _same_python,
                         _traces, _widen)
from .variables import Undefined
from .calls import staged_region
from ...tracing.builder import user_location
from ... import nest
from ...tensor_shape import TensorShape

UNROLL_WARNING = 1000
_warned_sites = set()
# Other iterables that become graph loops: functions x -> (count, element(i)) or None, and
# predicates x -> bool saying (without building anything) that a plan will take x, so that
# enumerate()/zip() of x loop in the graph too (tf.data registers `for x in dataset`, see
# data/graph_loop.py).
ITERATION_PLANS = []
ITERATION_CLAIMS = []


# ----------------------------------------------------------------------------------------------
# while
# ----------------------------------------------------------------------------------------------


def while_stmt(test, body, get_state, set_state, symbol_names, temp_names, watch=None,
               opts=None):
    opts = _checked_options(opts)
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
                        symbol_names, temp_names, watch, opts)
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


def for_stmt(iterable, extra_test, body, get_state, set_state, symbol_names, temp_names,
             watch=None, opts=None):
    opts = _checked_options(opts)
    plan = index_plan(iterable)
    if plan is not None:
        count, element = plan
        _staged_indexed(count, element, extra_test, body, get_state, set_state, symbol_names,
                        temp_names, watch, opts)
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
    if isinstance(x, TensorArray):
        return x.size(), x.read
    for plan in ITERATION_PLANS:
        found = plan(x)
        if found is not None:
            return found
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
                    temp_names, watch=None, opts=None):
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
                symbol_names, temp_names, watch, opts)


# ----------------------------------------------------------------------------------------------
# the staged loop
# ----------------------------------------------------------------------------------------------


def staged_loop(cond_fn, body_fn, hidden, get_state, set_state, symbol_names, temp_names,
                watch=None, opts=None):
    """A while_loop node: `hidden` are extra loop tensors (an index) that cond_fn/body_fn
    read and body_fn returns updated; the user's variables flow through get/set_state.
    `watch`: the receivers of the body's calls, whose attributes the calls may set (those
    found by a throwaway trace are carried too; see side_effects.py). `opts`: the loop's
    tf.autograph.experimental.set_loop_options keywords (the converter moves the call out of
    the body and evaluates its arguments before the loop, as TF does)."""
    opts = _checked_options(opts)
    if watch is not None:
        found = _discover(body_fn, hidden, get_state, set_state, symbol_names, watch)
        if found:
            get_state, set_state, symbol_names = side_effects.extend_state(
                found, get_state, set_state, tuple(symbol_names))
        body_fn = side_effects.guard(body_fn, watch, symbol_names, "loop")
    init = tuple(get_state())
    n = len(symbol_names)
    state, temps_init = list(init[:n]), init[n:]
    entry = list(state)
    if any(not _carries_as_is(v) for v in state):
        entry = _probe(body_fn, hidden, get_state, set_state, symbol_names, state, temps_init)
        set_state(init)
        entry = _to_fixpoint(entry, state, body_fn, hidden, get_state, set_state, symbol_names,
                             temps_init, init)
    carried = [i for i, v in enumerate(entry) if v is not _INVARIANT]
    first = [symbol_names[i] for i in carried if type(state[i]) is Undefined]
    if first:  # they enter as placeholders; a run-time check that the loop ran at least once
        cond_fn, body_fn, hidden = _counted(cond_fn, body_fn, hidden)
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

    weak = [i for i in carried if (staging.is_weak(state[i]) or staging.is_weak_tensor(
        state[i])) and isinstance(entry[i], Tensor) and entry[i].dtype.name in _WIDER]
    if weak and not _traces(cond_w, body_w, hidden, [entry[i] for i in carried]):
        # weak typing: a Python counter meeting an int64 bound (or a float64 tensor) takes
        # the wider dtype, as eagerly, where the Python number adapts to every tensor it meets
        wide = list(entry)
        for i in weak:
            wide[i] = _widen(state[i], _WIDER[entry[i].dtype.name])
        if _traces(cond_w, body_w, hidden, [wide[i] for i in carried]):
            entry = wide
        set_state(init)
    loop_vars = list(hidden) + [entry[i] for i in carried]
    invariants = _shape_invariants(opts.get("shape_invariants"), state, carried, hidden,
                                   loop_vars, symbol_names)
    outs = control_ops.while_loop(cond_w, body_w, loop_vars, shape_invariants=invariants,
                                  maximum_iterations=opts.get("maximum_iterations"))
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    _name_loop_variables(outs, nh, [symbol_names[i] for i in carried], loop_vars,
                         opts.get("maximum_iterations") is not None)
    final = assemble(outs[nh:])[:n]
    if first:
        _check_ran(outs[nh - 1], first)
    set_state(tuple(final) + tuple(Undefined(nm) for nm in temp_names))


_LOOP_OPTIONS = ("parallel_iterations", "swap_memory", "maximum_iterations", "shape_invariants")


def _checked_options(opts):
    """set_loop_options' keywords, refusing any TF's function does not take."""
    opts = dict(opts or {})
    for key in opts:
        if key not in _LOOP_OPTIONS:
            raise staging.located(TypeError(
                f"set_loop_options() got an unexpected keyword argument '{key}' (it takes "
                + ", ".join(_LOOP_OPTIONS) + ")"))
    return opts


def _shape_invariants(pairs, state, carried, hidden, loop_vars, names):
    """while_loop's shape_invariants from set_loop_options' [(variable, shape)]: the variable
    is matched by identity with the values the loop variables have before the loop; every
    other loop variable gets None (its shape may relax)."""
    if not pairs:
        return None
    fixed = {}
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise staging.located(ValueError(
                "set_loop_options(shape_invariants=...) takes a list of (variable, shape) "
                f"pairs, got {pair!r}"))
        var, shape = pair
        k = next((k for k, i in enumerate(carried) if state[i] is var), None)
        if k is None:
            raise staging.located(ValueError(
                "set_loop_options(shape_invariants=...) names a value that is not a variable "
                "of this loop (it must be a tensor the loop changes, as it is before the "
                "loop). Loop variables: " + ", ".join(repr(names[i]) for i in carried)))
        if not isinstance(shape, TensorShape):
            shape = TensorShape(shape)
        fixed[len(hidden) + k] = shape
    return [fixed[j] if j in fixed else nest.map_structure(lambda _: None, to_buffers(v))
            for j, v in enumerate(loop_vars)]


def _name_loop_variables(outs, nh, names, loop_vars, counter):
    """Name the body's parameters after the user's variables, so that messages about a loop
    variable (a shape that changes, see codegen/llvm/specialize.py) say 'x', not 'loop
    variable 3'."""
    node = None
    for o in nest.flatten(outs):
        val = getattr(o, "_val", None) or getattr(getattr(o, "_buffer", None), "_val", None)
        if val is not None and val.node is not None and "body" in val.node.attrs:
            node = val.node
            break
    if node is None:
        return
    params = node.attrs["body"].data_params
    j = int(counter) + sum(len(nest.flatten(to_buffers(v))) for v in loop_vars[:nh])
    for name, v in zip(names, loop_vars[nh:]):
        leaves = len(nest.flatten(to_buffers(v)))
        for k in range(leaves):
            if j < len(params):
                params[j].name = name if leaves == 1 else f"{name}[{k}]"
            j += 1


def _to_fixpoint(entry, state, body_fn, hidden, get_state, set_state, names, temps_init, init):
    """A Python number the body leaves unchanged while its neighbours are Python numbers may
    change once they are tensors (`s = s * 10 + i`: `s` stays 0 until `i` is a tensor). Probe
    again with the carried variables as tensors until no new variable joins the loop, as TF
    carries every number the loop changes."""
    entry = list(entry)
    for _ in range(len(entry)):
        if all(e is not _INVARIANT or _carries_as_is(v) for e, v in zip(entry, state)):
            break
        trial = [v if e is _INVARIANT else e for e, v in zip(entry, state)]
        again = _probe(body_fn, hidden, get_state, set_state, names, trial, temps_init)
        set_state(init)
        joined = [i for i, (a, b) in enumerate(zip(entry, again))
                  if a is _INVARIANT and b is not _INVARIANT]
        if not joined:
            break
        for i in joined:
            entry[i] = again[i]
    return entry


def _discover(body_fn, hidden, get_state, set_state, names, watch):
    """Attributes of the watched objects that one throwaway trace of the body sets to tensors
    through calls: [(path, object, attribute)]."""
    before = side_effects.snapshot(watch)
    if not before:
        return []
    init = tuple(get_state())
    n = len(names)
    try:
        _probe(body_fn, hidden, get_state, set_state, names, list(init[:n]), init[n:])
    except Exception:  # the real trace reports it
        pass
    finally:
        set_state(init)
        found = side_effects.changed(before, names)
        side_effects.restore(before)
    return found


def _counted(cond_fn, body_fn, hidden):
    """cond_fn/body_fn/hidden with one more hidden loop tensor: the number of iterations."""
    return (lambda h: cond_fn(h[:-1]),
            lambda h: list(body_fn(h[:-1])) + [h[-1] + 1],
            list(hidden) + [array_ops.constant(0)])


def _check_ran(count, names):
    """Variables first assigned in the loop body have a value after it only if it ran."""
    loc = user_location(3)
    where = f" [{loc.filename}:{loc.lineno}: {loc.source}]" if loc is not None else ""
    listed = ", ".join(f"'{nm}'" for nm in names)
    check_ops.assert_that(
        count > 0, error="UnboundLocalError",
        message=f"{listed} first assigned in the body of this graph loop and read after it, "
                "but the loop ran zero times, so there is no value (Python raises "
                f"UnboundLocalError here). Fix: give it a value before the loop{where}")


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
