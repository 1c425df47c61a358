"""Effects in compiled code: variable reads and writes, and host callbacks.

Variables: a variable's NumPy buffer is never mutated (eager tensors read earlier may alias it,
as in state_ops). A written variable gets a fresh buffer per call; `assign` copies the value into
it, points the variable's slot at it and sets its written flag; after the call the executable
installs the new buffer as `var._value`. A top-level read with no write after it aliases the
current buffer (no copy), and so does a read of a variable the graph never writes; any other
read copies (a snapshot, as TF).

Loops: a variable written exactly once in the whole graph, by an `assign` at the top level of a
while loop's body, is double-buffered (`plan_swaps`): its new buffer and a second one in the
workspace take turns. Each iteration computes the assigned value straight into the buffer that
does not hold the current value (the value's node gets it as its output storage), and the
assign only points the variable's slot at it; reads inside the loop alias the current buffer,
which nothing writes during the iteration. After the loop the value moves into the new buffer
(one copy, when the last iteration wrote the second buffer). So no per-iteration copy remains
for it; other written variables keep the snapshot-and-copy scheme.

Host callbacks: a node without a native lowering (tf.print, RNG ops, rare ops) still runs inside
the compiled function, in program order: the code passes its input and output pointers to
`host_callback(entry, pointers)`, which runs the node's NumPy kernel through the interpreter.
"""
from llvmlite import ir

from ...ops.op_keys import op_of, op_set
from .emit import I8, I32, I64, PTR, View, bind_tokens, contiguous_strides, i64
from .k_array import VIEW_OPS
from .k_map import emit_copy
from .symdim import Dim, numel
from ... import dtypes
from .k_map import scalar_view_value
from .k_reduce import emit_reduce

_ASSIGN = op_of("assign_variable")
VIEW_LIKE = op_set(VIEW_OPS | {"read_variable", "constant"})


def lower_read_variable(lw, node):
    var = node.attrs["var"]
    spec = lw.spec(node.data_outputs[0])
    slot = lw.var_slots.get(id(var))
    top = lw.depth == 0
    if slot is None or (top and not lw.written_earlier(var)):
        cur = lw.slot_ptr(lw.slot_var[id(var)])  # the old buffer: never written in place
    else:
        cur = lw.b.load(slot, typ=PTR)
    src = View(cur, spec.dtype, spec.shape)
    if slot is None or id(var) in lw.swaps or (
            top and (not lw.written_earlier(var) or not lw.written_later(var))):
        lw.bind(node.data_outputs[0], src)
    else:
        dst = lw.alloc_for(node.data_outputs[0])
        if spec.size:
            emit_copy(lw, dst, src, annotation=f"read {var.name}")
        lw.bind(node.data_outputs[0], dst)
    bind_tokens(lw, node)


def lower_assign_variable(lw, node):
    var = node.attrs["var"]
    value = lw.view(node.data_inputs[0])
    new = lw.slot_ptr(lw.slot_new[id(var)])
    spec = lw.spec(node.data_inputs[0])
    swap = lw.swaps.get(id(var))
    if swap is not None:  # double-buffered in a loop: the value lives in this iteration's buffer
        new = swap.target.ptr
        if value.ptr is new and value.offset == 0 and value.strides == swap.target.strides:
            spec = None  # computed there
    if spec is not None and spec.size and not (value.ptr is new and value.offset == 0):  # else computed in place
        emit_copy(lw, View(new, spec.dtype, spec.shape), value, annotation=f"assign {var.name}")
    lw.b.store(new, lw.var_slots[id(var)])
    k = next(i for i, w in enumerate(lw.written) if w is var)
    lw.b.store(ir.Constant(I8, 1), lw.b.gep(lw.flags_ptr, [i64(k)], source_etype=I8))
    bind_tokens(lw, node)


class Swap:
    """A variable double-buffered in one while loop: its new buffer `new`, the second buffer
    `alt`, the id of the value the body assigns, and `target` (the buffer this iteration writes,
    a View valid in the loop body)."""
    __slots__ = ("var", "slot", "new", "alt", "value_id", "dtype", "shape", "target")

    def __init__(self, var, slot, new, alt, value_id, dtype, shape):
        self.var, self.slot, self.new, self.alt, self.value_id = var, slot, new, alt, value_id
        self.dtype, self.shape = dtype, shape
        self.target = None


def plan_swaps(lw, node):
    """The variables `node` (a while_loop) may double-buffer: each written once in the whole
    graph, by an assign at the top level of the body whose value is made by a top-level body
    node (not a view or a variable read), assigned nowhere else, of the variable's dtype and a
    static shape."""
    counts = _write_counts(lw)
    body = node.attrs["body"]
    made = {v.id: n for n in body.nodes for v in n.outputs}
    out = []
    for n in body.nodes:
        if n.op is not _ASSIGN:
            continue
        var, value = n.attrs["var"], n.data_inputs[0]
        maker = made.get(value.id)
        if (counts["var"].get(id(var)) != 1 or counts["value"].get(value.id) != 1
                or maker is None or maker.op in VIEW_LIKE or id(var) in lw.swaps):
            continue
        spec = lw.spec(value)
        if spec.growable or spec.dtype is not var.dtype or isinstance(numel(spec.shape), Dim):
            continue
        alt = lw.alloc_spec(spec.dtype, spec.shape)
        out.append(Swap(var, lw.var_slots[id(var)], lw.slot_ptr(lw.slot_new[id(var)]), alt.ptr,
                        value.id, spec.dtype, spec.shape))
    return out


def _write_counts(lw):
    counts = getattr(lw, "_write_counts", None)
    if counts is None:
        counts = {"var": {}, "value": {}}
        for n in lw.graph.walk():
            if n.op is _ASSIGN:
                for key, k in (("var", id(n.attrs["var"])), ("value", n.data_inputs[0].id)):
                    counts[key][k] = counts[key].get(k, 0) + 1
        lw._write_counts = counts
    return counts


def enter_swaps(lw, swaps):
    """Make reads and assigns of `swaps`' variables use their double buffers (the loop's cond
    and body are about to be lowered)."""
    for s in swaps:
        lw.swaps[id(s.var)] = s


def begin_iteration(lw, swaps):
    """At the top of the loop body: pick the buffer not holding each variable's current value
    (the new buffer when the current one is the old array or the second buffer) as the one the
    assigned value is computed into."""
    b = lw.b
    for s in swaps:
        cur = b.load(s.slot, typ=PTR)
        other = b.select(b.icmp_unsigned("==", cur, s.new), s.alt, s.new)
        s.target = View(other, s.dtype, s.shape, contiguous_strides(s.shape))
        lw.into_buffer[s.value_id] = s.target


def leave_swaps(lw, swaps):
    """After the loop: a value left in the second buffer moves to the new buffer (the one the
    executable installs), and the slot points there again."""
    b = lw.b
    forget_swaps(lw, swaps)
    for s in swaps:
        in_alt = b.icmp_unsigned("==", b.load(s.slot, typ=PTR), s.alt)
        with b.if_then(in_alt):
            if numel(s.shape):
                emit_copy(lw, View(s.new, s.dtype, s.shape), View(s.alt, s.dtype, s.shape),
                          annotation=f"loop result of {s.var.name}")
            b.store(s.new, s.slot)


def forget_swaps(lw, swaps):
    """Reads and assigns of `swaps`' variables go back to the snapshot-and-copy scheme."""
    for s in swaps:
        lw.swaps.pop(id(s.var), None)
        lw.into_buffer.pop(s.value_id, None)


def lower_host(lw, node, reason=None):
    """Run `node` through the host callback; reason (text) marks it as a fallback."""
    ins = [lw.view(v) for v in node.data_inputs]
    outs = [lw.alloc_for(v) for v in node.data_outputs]
    entry = len(lw.host_nodes)
    lw.host_nodes.append((node, [(v.dtype, v.shape, v.strides) for v in ins],
                          [(v.dtype, v.shape) for v in outs]))
    if reason is not None:
        lw.fallbacks.append((node, reason))
    b = lw.b
    n = len(ins) + len(outs)
    arr = lw.ab.alloca(PTR, size=max(n, 1))
    for k, v in enumerate(ins + outs):
        b.store(lw.view_ptr(v), b.gep(arr, [i64(k)], source_etype=PTR))
    fnty = ir.FunctionType(I32, [I64, PTR])
    status = b.call(_as_callee(lw, fnty), [i64(entry), arr])
    lw.check_status(status)
    for v, o in zip(node.data_outputs, outs):
        lw.bind(v, o)
    bind_tokens(lw, node)


def _as_callee(lw, fnty):
    """The host callback pointer as a callable value (opaque pointers: call through it)."""
    return _Callee(lw.cb, fnty)


class _Callee:
    """Minimal adaptor so IRBuilder.call emits `call i32 %cb(i64, ptr)` through a pointer."""

    def __init__(self, ptr, fnty):
        self._ptr = ptr
        self.function_type = fnty
        self.type = PTR
        self.name = ptr.name

    def get_reference(self):
        return self._ptr.get_reference()

    def __getattr__(self, item):
        return getattr(self._ptr, item)


def lower_assert(lw, node):
    """tf.debugging asserts / AutoGraph `assert`: all(cond) natively; only a failing check
    calls the host (the op's kernel builds the exact error with its data)."""
    cond_v = node.data_inputs[0]
    spec = lw.spec(cond_v)
    ok = lw.alloc_spec(dtypes.bool, ())
    emit_reduce(lw, node, "reduce_all", spec, tuple(range(len(spec.shape))), ok,
                [lw.view(cond_v)], lambda s, vals: vals[0], lw.annotate(node))
    failed = lw.b.not_(scalar_view_value(lw, ok))
    with lw.b.if_then(failed, likely=False):
        lower_host(lw, node)
    bind_tokens(lw, node)
