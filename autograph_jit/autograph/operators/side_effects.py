"""Attribute changes a staged branch or loop body makes through a call (`a.add(x)` whose method
runs `self.acc = self.acc + x`): the converter passes the receivers of the body's calls
(`watch`, a function returning (name, object) pairs); `guard` snapshots their attributes before
each traced body and, after it, names any attribute that now holds a tensor made in the body's
graph.

AutoGraph carries what the body assigns itself (names, and attribute paths like `self.acc`).
For a graph loop, one throwaway trace of the body (`snapshot`/`changed`/`restore`) finds the
attributes its calls set, and `extend_state` carries them as well; for a tensor-dependent `if`,
one throwaway trace of each branch does the same (`discover_branches`). Anything those traces
missed would escape the graph and silently lose every update but the traced one, so `guard`
makes it a located error.
"""
import types

from ... import nest
from ...tensor import Tensor
from ...tracing import context
from . import staging
from .calls import staged_region
from .variables import get_attr, set_attr
from ...tracing.builder import GraphBuilder

_KIND_TEXT = {"if": "a branch of this tensor-dependent `if`",
              "loop": "the body of this graph loop"}


def _objects(watch):
    if watch is None:
        return []
    try:
        pairs = watch()
    except Exception:  # a receiver the body itself defines: nothing to watch from outside
        return []
    out = []
    for name, obj in pairs:
        if isinstance(obj, (types.ModuleType, type)) or not hasattr(obj, "__dict__"):
            continue
        out.append((name, obj, dict(vars(obj))))
    return out


def guard(fn, watch, symbol_names, kind):
    """`fn` (a traced body) checked for attributes of the watched objects it sets to tensors."""
    if watch is None:
        return fn
    carried = set(symbol_names)

    def run(*args):
        before = _objects(watch)
        region = context.current_builder()
        result = fn(*args)
        for name, obj, old in before:
            for attr, value in vars(obj).items():
                if old.get(attr, _MISSING) is value or f"{name}.{attr}" in carried:
                    continue
                if any(_made_in(v, region) for v in nest.flatten(value)):
                    path = f"{name}.{attr}"
                    raise staging.located(ValueError(
                        f"'{path}' is set to a tensor by a call inside {_KIND_TEXT[kind]} "
                        f"(the called function assigns it, e.g. `self.{attr} = ...`). AutoGraph "
                        "carries the variables and attributes the statement assigns itself, "
                        "not ones a call changes, so the value would escape the graph "
                        f"{'cond' if kind == 'if' else 'loop'}. Fix: assign it in the "
                        f"{'branch' if kind == 'if' else 'loop body'} itself (e.g. "
                        f"`{path} = {name}.method(...)` with the method returning the new "
                        "value)."))
        return result
    return run


def _made_in(value, region):
    """Whether `value` is a symbolic tensor of graph builder `region` or one nested in it."""
    if not (isinstance(value, Tensor) and value._is_symbolic):
        return False
    b = getattr(value, "_builder", None)
    while b is not None:
        if b is region:
            return True
        b = b.parent
    return False


def snapshot(watch):
    """[(name, object, its attributes now)] for the watched objects."""
    return _objects(watch)


def changed(before, carried):
    """[(path, object, attribute)] of the snapshot's attributes now holding a symbolic tensor
    they did not hold before (paths in `carried` excluded)."""
    out = []
    for name, obj, old in before:
        for attr, value in vars(obj).items():
            path = f"{name}.{attr}"
            if old.get(attr, _MISSING) is value or path in carried:
                continue
            if any(isinstance(v, Tensor) and v._is_symbolic for v in nest.flatten(value)):
                out.append((path, obj, attr))
    return out


def restore(before):
    """Put the snapshot's attributes back (a throwaway trace must leave no trace)."""
    for _, obj, old in before:
        now = vars(obj)
        for attr in [a for a in now if a not in old]:
            delattr(obj, attr)
        for attr, value in old.items():
            if now.get(attr, _MISSING) is not value:
                setattr(obj, attr, value)


def discover_branches(watch, branches, get_state, set_state, names):
    """changed() after one throwaway trace of each branch of a tensor-dependent `if`."""
    before = snapshot(watch)
    if not before:
        return []
    init = tuple(get_state())
    found = []
    for branch in branches:
        rb = GraphBuilder("probe", parent=context.current_builder())
        try:
            with context.building(rb), staging.probing(), staged_region():
                set_state(init)
                branch()
        except Exception:  # the real trace reports it
            pass
        finally:
            set_state(init)
            found += [f for f in changed(before, names) if f[0] not in {g[0] for g in found}]
            restore(before)
    return found


def extend_state(found, get_state, set_state, names):
    """get_state/set_state/names with the attribute paths `found` carried after `names`."""
    n, k = len(names), len(found)

    def get():
        vals = tuple(get_state())
        return vals[:n] + tuple(get_attr(o, a, p) for p, o, a in found) + vals[n:]

    def set_(vals):
        vals = tuple(vals)
        for i, (_, o, a) in enumerate(found):
            set_attr(o, a, vals[n + i])
        set_state(vals[:n] + vals[n + k:])
    return get, set_, names + tuple(p for p, _, _ in found)


class _Missing:
    pass


_MISSING = _Missing()
