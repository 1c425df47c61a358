"""Effects in compiled code: variable reads and writes, and host callbacks.

Variables: a variable's NumPy buffer is never mutated (eager tensors read earlier may alias it,
as in state_ops). A written variable gets a fresh buffer per call; `assign` copies the value into
it, points the variable's slot at it and sets its written flag; after the call the executable
installs the new buffer as `var._value`. A top-level read with no write after it aliases the
current buffer (no copy); any other read copies (a snapshot, as TF).

Host callbacks: a node without a native lowering (tf.print, RNG ops, rare ops) still runs inside
the compiled function, in program order: the code passes its input and output pointers to
`host_callback(entry, pointers)`, which runs the node's NumPy kernel through the interpreter.
"""
from llvmlite import ir

from .emit import I8, I32, I64, PTR, View, i64
from .k_map import emit_copy


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
    if top and (slot is None or not lw.written_earlier(var) or not lw.written_later(var)):
        lw.bind(node.data_outputs[0], src)
    else:
        dst = lw.alloc_for(node.data_outputs[0])
        if spec.size:
            emit_copy(lw, dst, src, annotation=f"read {var.name}")
        lw.bind(node.data_outputs[0], dst)
    _pass_token(lw, node)


def lower_assign_variable(lw, node):
    var = node.attrs["var"]
    value = lw.view(node.data_inputs[0])
    new = lw.slot_ptr(lw.slot_new[id(var)])
    spec = lw.spec(node.data_inputs[0])
    if spec.size and not (value.ptr is new and value.offset == 0):  # else computed in place
        emit_copy(lw, View(new, spec.dtype, spec.shape), value, annotation=f"assign {var.name}")
    lw.b.store(new, lw.var_slots[id(var)])
    k = next(i for i, w in enumerate(lw.written) if w is var)
    lw.b.store(ir.Constant(I8, 1), lw.b.gep(lw.flags_ptr, [i64(k)], source_etype=I8))
    _pass_token(lw, node)


def _pass_token(lw, node):
    for v in node.outputs:
        if v.is_token:
            lw.views[v.id] = None


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
    _pass_token(lw, node)


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
    from ... import dtypes
    from .k_map import scalar_view_value
    from .k_reduce import emit_reduce
    cond_v = node.data_inputs[0]
    spec = lw.spec(cond_v)
    ok = lw.alloc_spec(dtypes.bool, ())
    emit_reduce(lw, node, "reduce_all", spec, tuple(range(len(spec.shape))), ok,
                [lw.view(cond_v)], lambda s, vals: vals[0], lw.annotate(node))
    failed = lw.b.not_(scalar_view_value(lw, ok))
    with lw.b.if_then(failed, likely=False):
        lower_host(lw, node)
    _pass_token(lw, node)
