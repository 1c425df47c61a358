"""How the user's variables enter and leave a graph loop (loops.staged_loop): which carry as
they are, the throwaway *probe* trace that resolves the others (Python numbers, lists, dicts,
undefined names, the pending return value) into loop-entry tensors, the weak-typing retry that
widens a Python counter's dtype, and the checks on each iteration's new values."""
from ... import nest
from ...ir.types import TensorType
from ...ops.tensor_array import TensorArray, from_buffers, to_buffers
from ...tensor import Tensor, convert_to_tensor
from ...tracing import context
from . import staging
from .lists import from_list
from .variables import Undefined, UndefinedReturnValue
from .calls import staged_region
from ...ops.array_ops import zeros
from ...tracing.builder import GraphBuilder
from ...ops.math_ops import cast

_WIDER = {"int32": "int64", "float32": "float64"}


def _widen(value, dtype):
    if isinstance(value, Tensor):
        return cast(value, dtype)
    return convert_to_tensor(value, dtype=dtype)


def _traces(cond_w, body_w, hidden, carried_values):
    """Whether the loop's test and body trace (throwaway) with these loop-entry values."""
    rb = GraphBuilder("probe", parent=context.current_builder())
    try:
        with context.building(rb), staging.probing():
            params = [_param_like(rb, v) for v in list(hidden) + list(carried_values)]
            cond_w(*params)
            body_w(*params)
    except Exception:
        return False
    return True


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
    builder = context.current_builder()
    rb = GraphBuilder("probe", parent=builder)
    with context.building(rb), staging.probing(), staged_region():
        given = []
        for v in state:
            if _carries_as_is(v):
                given.append(_param_like(rb, v))
            elif isinstance(v, list):
                given.append(list(v))
            elif nest.is_nested(v):  # new containers: the probe must not change the user's
                given.append(nest.map_structure(
                    lambda t: _param_like(rb, t) if isinstance(t, (Tensor, TensorArray))
                    else t, v))
            else:
                given.append(v)
        set_state(tuple(given) + temps_init)
        before = [nest.flatten(g) for g in given]  # the body may change containers in place
        body_fn([_param_like(rb, h) for h in hidden])
        out = tuple(get_state())[:len(names)]
    return [_entry_value(name, v, g, o, b)
            for name, v, g, o, b in zip(names, state, given, out, before)]


def _same_python(a, b):
    return type(a) is type(b) and not isinstance(a, (Tensor, TensorArray)) and _eq(a, b)


def _eq(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


def _entry_value(name, value, given, out, given_leaves=None):
    """What variable `name` (`value` before the loop) enters the graph loop as."""
    if _carries_as_is(value):
        return value
    if isinstance(value, list):
        if out is given and len(out) == len(value) and all(
                a is b for a, b in zip(out, value)):
            return _INVARIANT
        return _list_entry(name, value, given, out)
    if nest.is_nested(value):
        return _structure_entry(name, value, given_leaves, out)
    if out is given or _same_python(out, given):
        return _INVARIANT
    if isinstance(value, UndefinedReturnValue) and isinstance(out, Undefined):
        return _INVARIANT
    if isinstance(value, UndefinedReturnValue):
        # all paths return, or the function's end checks the do_return flag at run time
        # (variables.retval): a placeholder stands for the value until a return sets it
        if staging.has_tensors(out) and all(isinstance(t, Tensor) for t in nest.flatten(out)):
            return _placeholder(out)
        raise staging.located(ValueError(
            f"This function returns {staging.describe(out)} from inside a graph loop (the "
            "loop runs on tensors) but can also reach its end without a return, where Python "
            "would return None. A graph cannot return a tensor on one path and None on "
            "another. Fix: add a return statement after the loop."))
    if isinstance(value, Undefined) and staging.has_tensors(out) and \
            all(isinstance(t, Tensor) for t in nest.flatten(out)):
        return _placeholder(out)
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


def _placeholder(out):
    """Zeros shaped like the body's value `out` (None dims as 0) for a variable without a value
    at loop entry; its loop shape relaxes to the body's."""
    return nest.map_structure(
        lambda t: zeros([d if d is not None else 0 for d in t.shape.as_list()],
                        dtype=t.dtype) if isinstance(t, Tensor) else t, to_buffers(out))


def _structure_entry(name, value, flat_g, out):
    """Entry value of a tuple/dict holding Python numbers (and tensors) that the body changes
    (`d["k"] += 1`): carried with every number as a tensor; _INVARIANT if nothing changes."""
    try:
        nest.assert_same_structure(value, out, check_types=False)
    except (TypeError, ValueError):
        raise _carry_error(name, value, out) from None
    flat_v, flat_o = nest.flatten(value), nest.flatten(out)
    if all(o is g or _same_python(o, g) for g, o in zip(flat_g, flat_o)):
        return _INVARIANT
    entries = []
    for v, o in zip(flat_v, flat_o):
        if isinstance(v, (Tensor, TensorArray)):
            entries.append(v)
        elif staging.is_weak(v):
            entries.append(_weak_entry(name, v, o))
        else:
            raise staging.located(TypeError(
                f"'{name}' is changed by the body of this graph loop and holds "
                f"{staging.describe(v)}; a graph loop carries a tuple or dict as a whole, so it "
                "can only hold tensors and Python numbers. Fix: keep the other values in a "
                "separate variable."))
    return nest.pack_sequence_as(value, entries)


def _weak_entry(name, value, out):
    """Loop entry tensor for one item: tensors as they are, Python numbers in the dtype the body
    gives them."""
    if isinstance(value, Tensor):
        return value
    dtype = out.dtype if isinstance(out, Tensor) else staging.default_dtype(value, out)
    if not staging.weak_fits(value, dtype):
        raise staging.located(TypeError(
            f"'{name}' holds {staging.describe(value)} before this graph loop but the loop "
            f"body makes it a {dtype.name} tensor. Fix: start from a value of that dtype."))
    return convert_to_tensor(value, dtype=dtype)


def _list_entry(name, value, given, out):
    if out is not given:
        raise staging.located(TypeError(
            f"'{name}' is a Python list that the body of this graph loop rebinds to "
            f"{staging.describe(out)}; a list can only be appended to in a graph loop. Fix: use "
            "a tf.TensorArray (ta = ta.write(i, x)) and ta.stack() after the loop."))
    new = out[len(value):]
    if len(out) == len(value) and all(isinstance(x, Tensor) or staging.is_weak(x)
                                      for x in out + list(value)):
        # items replaced in place (l[0] = l[0] + x): carried as a list of tensors
        return [_weak_entry(name, v, o) for v, o in zip(value, out)]
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
