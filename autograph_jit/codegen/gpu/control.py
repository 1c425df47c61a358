"""Host-driven control flow and variables on the GPU.

cond: each branch's region is lowered into its own step list and copies its results into the
cond's output buffers; at run time the predicate (one element) is read back and one list runs.
while_loop: the loop variables live in the node's output buffers; the cond region's steps run,
its predicate is read back, then the body's steps, whose results are copied back (through
temporaries, so a swap of two variables is right).

TensorArrays grown at run time (k_grow.GrowArray) pass through both: a loop variable keeps its
array (the body writes it in place; a static array entering the loop starts growing there), a
cond output is the array both branches pass on, or an array of its own that each branch moves
its array into (or fills from a static one), as the CPU backend's records (codegen/llvm/
control.py).

Variables: each has a device buffer (its mirror, plan.py keeps it between calls). A read aliases
the mirror when placement.py allows it (or nothing writes the variable later), else copies, so it
keeps the old value; an assignment copies the value into the mirror unless it was computed there
(placement.py); plan.py writes written mirrors back after the call.
"""
from ..llvm.k_array import NotLowerable
from ..llvm.emit import View, bind_tokens
from . import k_grow
from .k_grow import GrowArray
from .k_map import emit_copy
from .plan import Cond, While


def _region_args(graph, args):
    it = iter(args)
    return [None if p.is_token else next(it) for p in graph.params]


def _bind_outputs(lw, node, views):
    for v, view in zip(node.data_outputs, views):
        lw.bind(v, view)
    bind_tokens(lw, node)


def lower_cond(lw, node):
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    pred = lw.view(node.inputs[0])
    args = [lw.views.get(v.id) for v in node.inputs[1:]]
    outs, shared = [], {}   # shared: outputs that are an array both branches pass on
    for k, v in enumerate(node.data_outputs):
        spec = lw.spec(v)
        if not spec.growable:
            outs.append(lw.alloc_for(v))
            continue
        same = [a for a, p in zip(args, then_g.params) if isinstance(a, GrowArray)
                and lw.spec(p).record == spec.record]
        if same:
            shared[k] = same[0]
            outs.append(None)
        else:
            outs.append(GrowArray(lw, spec.dtype, spec.elem, k_grow.label(node)))
    lists = []
    for g in (then_g, else_g):
        steps = []
        lw.lower_region(g, _region_args(g, args), steps)
        saved, lw.steps = lw.steps, steps
        for r, o in zip(g.data_results, outs):
            if isinstance(o, GrowArray):    # the cond's own array: move or copy it in
                got = lw.view(r)
                if isinstance(got, GrowArray):
                    k_grow.move(lw, node, o, got)
                else:
                    k_grow.fill(lw, node, o, got, len(got.shape) != len(o.elem) + 1)
            elif o is not None and o.size:
                emit_copy(lw, o, lw.view(r))
        lw.steps = saved
        lists.append(steps)
    lw.steps.append(Cond(pred, lists[0], lists[1]))
    _bind_outputs(lw, node, [shared.get(k, o) for k, o in enumerate(outs)])


def lower_while(lw, node):
    cond_g, body = node.attrs["cond_graph"], node.attrs["body"]
    n = node.attrs["n_vars"]
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
        elif isinstance(src, GrowArray):
            dst = src   # the loop takes the array over (specialize.py checked it is linear)
        else:           # a static array starts growing here
            dst = k_grow.create(lw, node, src, spec.elem,
                                len(src.shape) != len(spec.elem) + 1)
        vars_.append(dst)
    cond_steps, body_steps = [], []
    lw.lower_region(cond_g, _region_args(cond_g, vars_ + ccaps), cond_steps)
    pred = lw.view(cond_g.data_results[0])
    lw.lower_region(body, _region_args(body, vars_ + bcaps), body_steps)
    saved, lw.steps = lw.steps, body_steps
    roots = {v.root for v in vars_ if not isinstance(v, GrowArray)}
    staged = []
    for r, v in zip([lw.view(x) for x in body.data_results], vars_):
        if isinstance(v, GrowArray):
            if r is not v:
                raise NotLowerable("the loop body returns another TensorArray for a growing "
                                   "one")
            staged.append(None)
        elif r.root == v.root and r.offset == v.offset and r.strides == v.strides:
            staged.append(None)
        elif r.root in roots and v.size:
            tmp = lw.alloc_spec(v.dtype, v.shape)
            emit_copy(lw, tmp, r)
            staged.append(tmp)
        else:
            staged.append(r)
    for src, v in zip(staged, vars_):
        if src is not None and v.size:
            emit_copy(lw, v, src)
    lw.steps = saved
    lw.steps.append(While(cond_steps, pred, body_steps))
    _bind_outputs(lw, node, vars_)


def lower_read_variable(lw, node):
    var = node.attrs["var"]
    spec = lw.spec(node.data_outputs[0])
    buf = lw.var_bufs[id(var)]
    src = View(buf, spec.dtype, spec.shape)
    aliased = lw.depth == 0 and node.data_outputs[0].id in lw.alias_reads
    if not aliased and lw.written_later(var) and spec.size:
        dst = lw.alloc_for(node.data_outputs[0])
        emit_copy(lw, dst, src, annotation=f"read {var.name}")
        src = dst
    _bind_outputs(lw, node, [src])


def lower_assign_variable(lw, node):
    var = node.attrs["var"]
    value = lw.view(node.data_inputs[0])
    spec = lw.spec(node.data_inputs[0])
    buf = lw.var_bufs[id(var)]
    if spec.size and not (value.ptr is buf and value.offset == 0
                          and value.strides == View(buf, spec.dtype, spec.shape).strides):
        emit_copy(lw, View(buf, spec.dtype, spec.shape), value, annotation=f"assign {var.name}")
    _bind_outputs(lw, node, [])


__all__ = ["lower_cond", "lower_while", "lower_read_variable", "lower_assign_variable"]
