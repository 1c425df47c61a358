"""`if_stmt` and `if_exp`: a Python (or eager, or statically known) condition runs one branch
as Python does; a tensor condition traces both branches into one `cond` node.

Staging a statement: both branches run from the same entry state (set_state before each); then
every variable live after the statement is reconciled across the branches (`merge`): values
identical in both stay Python values; Python numbers meeting a tensor take its dtype; a
variable assigned on one branch only, or with two dtypes, is an error naming it and the branch.
"""
from ... import nest
from ...errors import DeletedInBothBranchesError
from ...ops import control_ops
from ...ops.opdef import apply
from ...ops.tensor_array import TensorArray, from_buffers, to_buffers
from ...tensor import Tensor, convert_to_tensor
from ...tracing import context
from . import side_effects, staging
from .variables import Undefined, UndefinedReturnValue
from .calls import staged_region
from ...tracing.builder import GraphBuilder
from ...ops.array_ops import zeros
from ...ops.math_ops import cast

BRANCHES = ("if branch", "else branch")


def if_stmt(cond, body, orelse, get_state, set_state, symbol_names, temp_names, watch=None):
    if not staging.is_symbolic(cond):
        return body() if cond else orelse()
    static = staging.static_value(cond)
    if static is not None:  # known while tracing: the dead branch is never traced
        return body() if static else orelse()
    if watch is not None:
        found = side_effects.discover_branches(watch, (body, orelse), get_state, set_state,
                                               symbol_names)
        if found:
            get_state, set_state, symbol_names = side_effects.extend_state(
                found, get_state, set_state, tuple(symbol_names))
        body = side_effects.guard(body, watch, symbol_names, "if")
        orelse = side_effects.guard(orelse, watch, symbol_names, "if")
    values = staged_cond(cond, body, orelse, get_state, set_state, symbol_names, temp_names,
                         BRANCHES)
    set_state(values)


def if_exp(cond, if_true, if_false, expr_text=None):
    if not staging.is_symbolic(cond):
        return if_true() if cond else if_false()
    static = staging.static_value(cond)
    if static is not None:
        return if_true() if static else if_false()
    box = [None]

    def get_state():
        return (box[0],)

    def set_state(v):
        box[0] = v[0]

    def run(fn):
        def branch():
            box[0] = fn()
        return branch
    out = staged_cond(cond, run(if_true), run(if_false), get_state, set_state,
                      ("the conditional expression",), (), ("true value", "false value"))
    return out[0]


class _Merge:
    """How one live variable leaves a staged cond: `python` (one value, no output) or as the
    tensor leaves of `template`, each converted to `dtypes[i]`."""

    def __init__(self, python=None, template=None, dtypes=None, shapes=None, is_python=False):
        self.is_python = is_python
        self.python = python
        self.template = template
        self.dtypes = dtypes
        self.shapes = shapes  # for placeholders on a branch that has not returned yet


def _check_not_deleted_on_both(names, before, t_out, e_out):
    for name, b, x, y in zip(names, before, t_out, e_out):
        if isinstance(x, Undefined) and isinstance(y, Undefined) and \
                not isinstance(b, Undefined) and not isinstance(x, UndefinedReturnValue):
            raise staging.located(DeletedInBothBranchesError(
                f"'{name}' has a value before this tensor-dependent `if`, but both branches "
                f"delete it (`del {name}`), and it may be read after the `if`. TF refuses "
                f"this ('{name}' must also be initialized in the main branch); Python would "
                f"raise UnboundLocalError at the read. Fix: do not `del` a variable that is "
                "used after the `if`, or assign it a new value on both paths."))


def merge(name, a, b, labels):
    """The _Merge for variable `name` with value `a` on one branch and `b` on the other."""
    if a is b:
        return _Merge(python=a, is_python=True)
    ua, ub = isinstance(a, Undefined), isinstance(b, Undefined)
    if ua and ub:
        return _Merge(python=a, is_python=True)
    if ua or ub:
        missing, present = (a, b) if ua else (b, a)
        lab_missing, lab_present = (labels[0], labels[1]) if ua else (labels[1], labels[0])
        if isinstance(missing, UndefinedReturnValue) and missing.all_paths_return:
            if staging.is_weak(present):  # a Python number returned on one path
                return _Merge(template=present, dtypes=[staging.default_dtype(present)])
            if staging.has_tensors(present):
                return _tensor_merge(present)
        if isinstance(missing, UndefinedReturnValue):
            raise staging.located(ValueError(
                f"This function returns {staging.describe(present)} on the {lab_present} of "
                f"this tensor-dependent `if` but can reach its end without a return on the "
                f"{lab_missing} (Python would return None there). A graph cannot return a "
                "tensor on one path and None on another. Fix: add a return statement to every "
                "path (e.g. a final `return tf.zeros_like(...)`)."))
        raise staging.located(ValueError(
            f"'{name}' is assigned only in the {lab_present} of this tensor-dependent `if`; it "
            f"must also be assigned in the {lab_missing} (or before the `if`), because the "
            "condition is a tensor and both branches become one graph op that must produce "
            f"'{name}' either way. Fix: give '{name}' a value on both paths."))
    if isinstance(a, TensorArray) or isinstance(b, TensorArray):
        if not (isinstance(a, TensorArray) and isinstance(b, TensorArray)):
            raise staging.located(TypeError(
                f"'{name}' is {staging.describe(a)} in the {labels[0]} but "
                f"{staging.describe(b)} in the {labels[1]} of a tensor-dependent `if`."))
        _check_dtypes(name, a.dtype, b.dtype, labels)
        return _Merge(template=a, dtypes=[a.dtype])
    if nest.is_nested(a) or nest.is_nested(b):
        try:
            nest.assert_same_structure(a, b, check_types=False)
        except (TypeError, ValueError):
            raise staging.located(ValueError(
                f"'{name}' has a different structure in the {labels[0]} ({_short(a)}) than in "
                f"the {labels[1]} ({_short(b)}) of a tensor-dependent `if`; both branches must "
                "build the same nesting of lists/tuples/dicts.")) from None
        parts = [merge(name, x, y, labels) for x, y in zip(nest.flatten(a), nest.flatten(b))]
        if all(p.is_python for p in parts):
            if all(x is y or _equal_python(x, y) for x, y in zip(nest.flatten(a),
                                                                  nest.flatten(b))):
                return _Merge(python=a, is_python=True)
        return _StructMerge(a, parts)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        _check_dtypes(name, a.dtype, b.dtype, labels)
        return _Merge(template=a, dtypes=[a.dtype])
    if ta or tb:
        tensor, other = (a, b) if ta else (b, a)
        t_label, o_label = (labels[0], labels[1]) if ta else (labels[1], labels[0])
        if staging.is_weak(other) and staging.weak_fits(other, tensor.dtype):
            return _Merge(template=tensor, dtypes=[tensor.dtype])
        raise staging.located(TypeError(
            f"'{name}' is {staging.describe(tensor)} in the {t_label} but "
            f"{staging.describe(other)} in the {o_label} of a tensor-dependent `if`; both "
            "branches must give it the same dtype. Fix: assign a tensor of that dtype on both "
            "paths (e.g. tf.cast, or tf.zeros_like)."))
    if _equal_python(a, b):
        return _Merge(python=a, is_python=True)
    if staging.is_weak(a) and staging.is_weak(b):
        dtype = staging.default_dtype(a, b)
        m = _Merge(template=a, dtypes=[dtype])
        m.weak = True
        return m
    raise staging.located(TypeError(
        f"'{name}' is {staging.describe(a)} in the {labels[0]} but {staging.describe(b)} in the "
        f"{labels[1]} of a tensor-dependent `if`. Only tensors (and Python numbers) can differ "
        "between the branches of a graph cond: both branches run while tracing and one graph "
        "op chooses between them at run time."))


class _StructMerge(_Merge):
    """A nested structure whose leaves merge one by one."""

    def __init__(self, template, parts):
        super().__init__(template=template)
        self.parts = parts
        self.dtypes = [d for p in parts if not p.is_python for d in p.dtypes]


def _tensor_merge(x):
    """Every leaf of `x` as a tensor output (Python numbers with their default dtype)."""
    dtypes = []
    for t in staging.leaves(x):
        if isinstance(t, Tensor):
            dtypes.append(t.dtype)
        elif staging.is_weak(t):
            dtypes.append(staging.default_dtype(t))
        else:
            raise staging.located(TypeError(
                f"This function returns {staging.describe(t)} on one path of a "
                "tensor-dependent `if`; only tensors and Python numbers can be returned from "
                "a graph branch."))
    return _Merge(template=x, dtypes=dtypes)


def _short(x):
    return type(x).__name__ + (f" of {len(x)}" if hasattr(x, "__len__") else "")


def _equal_python(a, b):
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _check_lists_unchanged(lists, branch):
    """A Python list changed in place inside one branch of a staged cond would keep that
    branch's change on both paths: name it instead (and undo the change)."""
    for name, value, before in lists:
        if len(value) != len(before) or any(a is not b for a, b in zip(value, before)):
            value[:] = before
            raise staging.located(TypeError(
                f"'{name}' is a Python list changed in the {branch} of this tensor-dependent "
                "`if`: both branches are traced, so the change would happen on both paths. "
                f"Fix: assign '{name}' a new list on both branches, or collect the values in a "
                "tf.TensorArray."))


def _check_dtypes(name, da, db, labels):
    if da is not db:
        raise staging.located(TypeError(
            f"'{name}' is {da.name} in the {labels[0]} but {db.name} in the {labels[1]} of a "
            f"tensor-dependent `if`; a graph cond needs one dtype for it. Fix: tf.cast one "
            f"branch's value (e.g. tf.cast({name}, tf.{da.name}))."))


def _leaves_of(m, value, other):
    """Tensors for `value` on one branch under merge `m` (`other`: the other branch's value,
    used for placeholders)."""
    if m.is_python:
        return []
    if isinstance(m, _StructMerge):
        out = []
        for p, v, o in zip(m.parts, nest.flatten(value), nest.flatten(other)):
            out += _leaves_of(p, v, o)
        return out
    if isinstance(value, UndefinedReturnValue):  # never read: the function returned first
        return [zeros([d if d is not None else 0 for d in t.shape.as_list()], dtype=d_)
                if isinstance(t, Tensor) else convert_to_tensor(0, dtype=d_)
                for t, d_ in zip(staging.leaves(other), m.dtypes)]
    if isinstance(value, TensorArray):
        return [value.stack()]
    flat = staging.leaves(value)
    return [convert_to_tensor(v, dtype=d) for v, d in zip(flat, m.dtypes)]


def _pack(m, value_iter, python_value):
    if m.is_python:
        return m.python
    if isinstance(m, _StructMerge):
        flat = nest.flatten(m.template)
        items = [_pack(p, value_iter, x) for p, x in zip(m.parts, flat)]
        return nest.pack_sequence_as(m.template, items)
    n = len(m.dtypes)
    got = [next(value_iter) for _ in range(n)]
    template = m.template
    if isinstance(template, TensorArray):
        return template._with_buffer(got[0])
    if isinstance(template, (Tensor,)) or not nest.is_nested(template):
        return staging.mark_weak(got[0]) if getattr(m, "weak", False) else got[0]
    return from_buffers(template, nest.pack_sequence_as(to_buffers(template), got))


def staged_cond(pred, body, orelse, get_state, set_state, symbol_names, temp_names, labels):
    """Trace both branches into one `cond` node; returns the new values of all state names
    (symbol_names merged, temp_names undefined)."""
    builder = context.current_builder()
    pred = convert_to_tensor(pred)
    if pred.dtype.name != "bool":
        pred = cast(pred, "bool")
    init = tuple(get_state())
    n = len(symbol_names)
    lists = [(name, v, list(v)) for name, v in zip(symbol_names + temp_names, init)
             if isinstance(v, list)]
    # dicts written item by item (`d['a'] = ...`) are branch state: each branch starts from the
    # entry items and its writes are kept as a snapshot, merged key by key like a structure
    dicts = [(i, v, dict(v)) for i, v in enumerate(init[:n]) if type(v) is dict]
    runs = []
    for (fn, label), branch in zip(((body, "then"), (orelse, "else")), labels):
        rb = GraphBuilder(label, parent=builder)
        _restore_dicts(dicts)
        set_state(init)
        with context.building(rb), staged_region():
            fn()
            runs.append((rb, tuple(dict(v) if type(v) is dict else v
                                   for v in tuple(get_state())[:n])))
        _check_lists_unchanged(lists, branch)
    _restore_dicts(dicts)
    (t_rb, t_out), (e_rb, e_out) = runs
    _check_not_deleted_on_both(symbol_names, init, t_out, e_out)
    merges = [merge(name, a, b, labels) for name, a, b in zip(symbol_names, t_out, e_out)]
    graphs = []
    for (rb, outs), others in ((runs[0], e_out), (runs[1], t_out)):
        with context.building(rb):
            tensors = []
            for m, v, o in zip(merges, outs, others):
                tensors += _leaves_of(m, v, o)
            values = [rb.value_of(t) for t in tensors]
        graphs.append(rb.finish(values))
    t_g, e_g = graphs
    for i, (x, y) in enumerate(zip(t_g.data_results, e_g.data_results)):
        if x.type.dtype is not y.type.dtype:  # defensive: merge() already named the variable
            raise staging.located(TypeError(
                f"cond output {i}: {x.type.dtype.name} vs {y.type.dtype.name}"))
    captures = control_ops._union_captures(t_rb, e_rb)
    control_ops._layout_params(t_rb, t_g, 0, captures)
    control_ops._layout_params(e_rb, e_g, 0, captures)
    if t_g.has_effects or e_g.has_effects:
        control_ops._ensure_token(t_g)
        control_ops._ensure_token(e_g)
    caps = [builder.symbolic(v) for v in captures]
    outs = apply(control_ops.cond_op, pred, *caps, then_branch=t_g, else_branch=e_g)
    outs = list(outs) if isinstance(outs, (tuple, list)) else ([outs] if outs is not None
                                                                 else [])
    it = iter(outs)
    new = [_pack(m, it, t) for m, t in zip(merges, t_out)]
    for i, original, _ in dicts:  # the merged items go back into the user's own dict object
        if type(new[i]) is dict:
            original.clear()
            original.update(new[i])
            new[i] = original
    return tuple(new) + tuple(Undefined(nm) for nm in temp_names)


def _restore_dicts(dicts):
    for _, value, before in dicts:
        value.clear()
        value.update(before)
