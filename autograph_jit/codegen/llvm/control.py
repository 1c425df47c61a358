"""`cond` and `while_loop` as native branches and loops.

cond: the predicate is loaded, each branch's region is lowered into its own basic block and
copies its results into the node's output storage. while_loop: the loop variables live in the
node's output storage; the cond region runs in the loop header, the body region in the loop body,
and the body's results are copied back (through temporaries when a result still reads a loop
variable, e.g. a swap). No Python runs per iteration. Double buffers remove those copies where
the body makes a loop variable's next value with a node of its own (`_plan_pairs`): the variable
lives in two buffers that take turns, the node writes the free one, and only an odd last
iteration costs one copy after the loop. A tf.Variable the body assigns once is double-buffered
the same way (effects.plan_swaps).

A TensorArray the loop grows (specialize.py: growable) is a record (k_grow.py) instead: made
from the initial array on entry, or taken over from the enclosing code, written in place by the
body, so nothing is copied per iteration. A cond passes such a record on when both branches
return it; otherwise the cond's output gets a record of its own that each branch moves its array
into (a buffer changes hands; a static array is copied in).
"""
from . import effects, k_grow
from .emit import PTR, SMALL_BYTES, View, bind_tokens
from .k_array import NotLowerable
from .k_map import emit_copy, scalar_view_value
from .symdim import Dim, numel


def lower_cond(lw, node):
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    b = lw.b
    pred = scalar_view_value(lw, lw.view(node.inputs[0]))
    args = [lw.views.get(v.id) for v in node.inputs[1:]]
    outs, shared = [], {}  # shared: outputs that are a record both branches pass on
    for k, v in enumerate(node.data_outputs):
        spec = lw.spec(v)
        if not spec.growable:
            outs.append(lw.alloc_for(v))
            continue
        same = [a for a, p in zip(args, then_g.params) if isinstance(a, k_grow.GrowView)
                and lw.spec(p).record == spec.record]
        if same:
            shared[k] = same[0]
            outs.append(None)
        else:
            outs.append(k_grow.new_record(lw, spec.dtype, spec.elem))
    then_bb = b.append_basic_block("cond.then")
    else_bb = b.append_basic_block("cond.else")
    merge = b.append_basic_block("cond.end")
    b.cbranch(pred, then_bb, else_bb)
    for bb, g in ((then_bb, then_g), (else_bb, else_g)):
        b.position_at_end(bb)
        lw.lower_region(g, _region_args(g, args))
        for r, o in zip(g.data_results, outs):
            if isinstance(o, k_grow.GrowView):  # the cond's own record: move or copy it in
                got = lw.view(r)
                if isinstance(got, k_grow.GrowView):
                    k_grow.move(lw, o, got)
                else:
                    k_grow.fill(lw, node, o, got, len(got.shape) != len(o.elem) + 1)
            elif o is not None and o.size:
                emit_copy(lw, o, lw.view(r))
        b.branch(merge)
    b.position_at_end(merge)
    _bind_outputs(lw, node, [shared.get(k, o) for k, o in enumerate(outs)])


class _Pair:
    """A loop variable kept in two buffers that take turns (no copy per iteration): `a` (the
    while node's output storage) and `b`; `slot` holds the one with the current value; the
    body's node making the next value (`value_id`) writes into `other`, the free one."""
    __slots__ = ("a", "b", "slot", "value_id", "other")

    def __init__(self, a, b, slot, value_id):
        self.a, self.b, self.slot, self.value_id, self.other = a, b, slot, value_id, None


def _plan_pairs(lw, node, vars_, swaps):
    """{variable index: _Pair} for the loop variables worth double-buffering: not tiny (those
    live in registers), not a TensorArray record, and the body's result for it made by a node at
    the body's top level (not a view, a parameter or a variable read) that gives no other
    result and is not also assigned to a double-buffered variable."""
    body = node.attrs["body"]
    made = {v.id: nd for nd in body.nodes for v in nd.outputs}
    results = body.data_results
    taken = {s.value_id for s in swaps}
    out = {}
    for k, (r, v) in enumerate(zip(results, vars_)):
        maker = made.get(r.id)
        if (isinstance(v, k_grow.GrowView) or maker is None or maker.op in effects.VIEW_LIKE
                or r.id in taken or sum(x.id == r.id for x in results) != 1
                or lw.spec(r).growable):
            continue
        count = numel(v.shape)
        if not isinstance(count, Dim) and (count * v.dtype.size <= SMALL_BYTES or
                                           not v.is_contiguous):
            continue
        out[k] = _Pair(v, lw.alloc_spec(v.dtype, v.shape), lw.ab.alloca(PTR), r.id)
    return out


def _current(lw, vars_, pairs):
    """The loop variables' views at this point of the loop (a pair's current buffer)."""
    out = list(vars_)
    for k, pair in pairs.items():
        out[k] = View(lw.b.load(pair.slot, typ=PTR), pair.a.dtype, pair.a.shape)
    return out


def _region_args(graph, args):
    """Data args in order, then None for the token param."""
    it = iter(args)
    return [None if p.is_token else next(it) for p in graph.params]


def _bind_outputs(lw, node, buffers):
    """The node's data outputs live in `buffers`; its effect token carries no data."""
    for v, buf in zip(node.data_outputs, buffers):
        lw.bind(v, buf)
    bind_tokens(lw, node)


def lower_while(lw, node):
    cond_g, body = node.attrs["cond_graph"], node.attrs["body"]
    n = node.attrs["n_vars"]
    b = lw.b
    data_in = [v for v in node.inputs if not v.is_token]
    nc = len(cond_g.data_params) - n
    init = [lw.view(v) for v in data_in[:n]]
    ccaps = [lw.view(v) for v in data_in[n:n + nc]]
    bcaps = [lw.view(v) for v in data_in[n + nc:]]
    vars_ = []
    for v, src in zip(node.data_outputs, init):
        spec = lw.spec(v)
        if not spec.growable:
            dst = lw.alloc_for(v)
            if dst.size:
                emit_copy(lw, dst, src)
        elif isinstance(src, k_grow.GrowView):
            dst = src  # the loop takes the record over (specialize.py checked it is linear)
        else:  # a static array starts growing here
            dst = k_grow.create(lw, node, src, spec.elem, len(src.shape) != len(spec.elem) + 1)
        vars_.append(dst)
    swaps = effects.plan_swaps(lw, node)
    effects.enter_swaps(lw, swaps)
    pairs = {}
    try:
        pairs.update(_plan_pairs(lw, node, vars_, swaps))
        for pair in pairs.values():
            b.store(pair.a.ptr, pair.slot)
        header = b.append_basic_block("while.cond")
        loop = b.append_basic_block("while.body")
        done = b.append_basic_block("while.end")
        b.branch(header)
        b.position_at_end(header)
        lw.lower_region(cond_g, _region_args(cond_g, _current(lw, vars_, pairs) + ccaps))
        pred = scalar_view_value(lw, lw.view(cond_g.data_results[0]))
        b.cbranch(pred, loop, done)
        b.position_at_end(loop)
        effects.begin_iteration(lw, swaps)
        current = _current(lw, vars_, pairs)
        for k, pair in pairs.items():  # the body computes this variable's next value into `other`
            pair.other = View(b.select(b.icmp_unsigned("==", current[k].ptr, pair.a.ptr),
                                       pair.b.ptr, pair.a.ptr), pair.a.dtype, pair.a.shape)
            lw.into_buffer[pair.value_id] = pair.other
        lw.lower_region(body, _region_args(body, current + bcaps))
        _write_back(lw, [lw.view(r) for r in body.data_results], vars_, pairs)
        for pair in pairs.values():
            b.store(pair.other.ptr, pair.slot)
        b.branch(header)
        b.position_at_end(done)
        effects.leave_swaps(lw, swaps)
        for pair in pairs.values():  # the final value moves to the output storage if it is in `b`
            with b.if_then(b.icmp_unsigned("==", b.load(pair.slot, typ=PTR), pair.b.ptr)):
                emit_copy(lw, pair.a, pair.b, annotation="loop variable result")
    finally:  # (also when a NotLowerable leaves: no later node may see these buffers)
        effects.forget_swaps(lw, swaps)
        for pair in pairs.values():
            lw.into_buffer.pop(pair.value_id, None)
    _bind_outputs(lw, node, vars_)


def _write_back(lw, results, vars_, pairs):
    """End of an iteration: each loop variable takes the body's result. A pair's result is in its
    free buffer already (else copied there first); the others are copied into their storage,
    through temporaries when a result reads a variable a copy overwrites (e.g. a swap)."""
    for k, pair in pairs.items():
        lw.into_buffer.pop(pair.value_id, None)
        r = results[k]
        if not (r.ptr is pair.other.ptr and r.offset == 0 and r.strides == pair.other.strides):
            emit_copy(lw, pair.other, r)  # (the value's lowering did not take the buffer)
    roots = {v.root for k, v in enumerate(vars_)
             if not isinstance(v, k_grow.GrowView) and k not in pairs}
    staged = []
    for i, (r, v) in enumerate(zip(results, vars_)):
        if i in pairs:
            staged.append(None)
        elif isinstance(v, k_grow.GrowView):
            if r is not v:  # specialize.py proved the body writes the record in place
                raise NotLowerable("while_loop: the body returns another TensorArray record")
            staged.append(None)
        elif r.root == v.root and r.offset == v.offset and r.strides == v.strides:
            staged.append(None)          # unchanged variable
        elif r.root in roots and v.size:
            tmp = lw.alloc_spec(v.dtype, v.shape)
            emit_copy(lw, tmp, r)
            staged.append(tmp)
        else:
            staged.append(r)
    for src, v in zip(staged, vars_):
        if src is not None and v.size:
            emit_copy(lw, v, src)
