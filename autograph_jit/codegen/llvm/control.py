"""`cond` and `while_loop` as native branches and loops.

cond: the predicate is loaded, each branch's region is lowered into its own basic block and
copies its results into the node's output storage. while_loop: the loop variables live in the
node's output storage; the cond region runs in the loop header, the body region in the loop body,
and the body's results are copied back (through temporaries when a result still reads a loop
variable, e.g. a swap). No Python runs per iteration.
"""
from .k_map import emit_copy, scalar_view_value


def lower_cond(lw, node):
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    b = lw.b
    pred = scalar_view_value(lw, lw.view(node.inputs[0]))
    outs = [lw.alloc_for(v) for v in node.data_outputs]
    args = [lw.views.get(v.id) for v in node.inputs[1:]]
    then_bb = b.append_basic_block("cond.then")
    else_bb = b.append_basic_block("cond.else")
    merge = b.append_basic_block("cond.end")
    b.cbranch(pred, then_bb, else_bb)
    for bb, g in ((then_bb, then_g), (else_bb, else_g)):
        b.position_at_end(bb)
        lw.lower_region(g, _region_args(g, args))
        for r, o in zip(g.data_results, outs):
            if o.size:
                emit_copy(lw, o, lw.view(r))
        b.branch(merge)
    b.position_at_end(merge)
    _bind_outputs(lw, node, outs)


def _region_args(graph, args):
    """Data args in order, then None for the token param."""
    it = iter(args)
    return [None if p.is_token else next(it) for p in graph.params]


def _bind_outputs(lw, node, buffers):
    """The node's data outputs live in `buffers`; its effect token carries no data."""
    for v, buf in zip(node.data_outputs, buffers):
        lw.bind(v, buf)
    for v in node.outputs:
        if v.is_token:
            lw.views[v.id] = None


def lower_while(lw, node):
    cond_g, body = node.attrs["cond_graph"], node.attrs["body"]
    n = node.attrs["n_vars"]
    b = lw.b
    data_in = [v for v in node.inputs if not v.is_token]
    nc = len(cond_g.data_params) - n
    init = [lw.view(v) for v in data_in[:n]]
    ccaps = [lw.view(v) for v in data_in[n:n + nc]]
    bcaps = [lw.view(v) for v in data_in[n + nc:]]
    vars_ = [lw.alloc_for(v) for v in node.data_outputs]
    for dst, src in zip(vars_, init):
        if dst.size:
            emit_copy(lw, dst, src)
    header = b.append_basic_block("while.cond")
    loop = b.append_basic_block("while.body")
    done = b.append_basic_block("while.end")
    b.branch(header)
    b.position_at_end(header)
    lw.lower_region(cond_g, _region_args(cond_g, vars_ + ccaps))
    pred = scalar_view_value(lw, lw.view(cond_g.data_results[0]))
    b.cbranch(pred, loop, done)
    b.position_at_end(loop)
    lw.lower_region(body, _region_args(body, vars_ + bcaps))
    roots = {v.root for v in vars_}
    results = [lw.view(r) for r in body.data_results]
    staged = []
    for i, (r, v) in enumerate(zip(results, vars_)):
        if r.root == v.root and r.offset == v.offset and r.strides == v.strides:
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
    b.branch(header)
    b.position_at_end(done)
    _bind_outputs(lw, node, vars_)
