"""The gradient of a traced `while_loop`: a forward loop that keeps each iteration's loop
variables, then a reverse loop that runs the body's VJP from the last iteration to the first.

Given the loop `vars_{k+1} = body(vars_k, captures)` run `n` times, and the gradient `g_n` of the
final loop variables, the reverse loop computes, for k = n-1 .. 0,

    g_k              = d body(vars_k) / d vars_k  applied to g_{k+1}
    g_captures      += d body(vars_k) / d captures applied to g_{k+1}   (same for variables read)

A loop variable whose cotangent is a symbolic zero (no output gradient, or nothing live depends
on it at that step) is left out of the step's VJP instead of being fed a dense zero, as eagerly:
`0 * inf` in a partial must not turn a finite gradient into NaN. Which variables are live at
each reverse step is known statically (`_live_schedule`); when it varies, a `tf.cond` picks the
step's VJP.

Each iteration's `vars_k` comes from TensorArrays filled by re-running the forward loop inside the
gradient graph (the forward node's own outputs hold only the last iteration). The re-run leaves
out the body's `tf.print` calls, so printing happens once per forward iteration, as eagerly; a body
that assigns variables or draws random numbers cannot be re-run faithfully, and its gradient raises
a TypeError that says so.
"""
from ..autodiff.tape import GradientTape
from ..tensor import convert_to_tensor
from . import array_ops, control_ops, math_ops
from .control_ops import cond, while_loop
from .gather_ops import gather
from .replay import replay
from .tensor_array import TensorArray

_SKIPPED_EFFECTS = frozenset({"io"})
_UNREPLAYABLE = frozenset({"write_variable", "rng"})


def while_vjp(c, *grads):

    cond_g, body_g, n = c.attrs["cond_graph"], c.attrs["body"], c.attrs["n_vars"]
    _check_replayable(body_g)
    nc = len(cond_g.data_params) - n
    nb = len(body_g.data_params) - n
    inputs = list(c.inputs)
    vars_in, ccaps = inputs[:n], inputs[n:n + nc]
    bcaps, variables = inputs[n + nc:n + nc + nb], inputs[n + nc + nb:]
    fl_vars = [i for i, v in enumerate(vars_in) if v.dtype.is_floating]
    fl_caps = [i for i, v in enumerate(bcaps) if v.dtype.is_floating]
    fl_variables = [v for v in variables if v.dtype.is_floating and v.trainable]
    if not fl_vars:
        return (None,) * len(inputs)

    def run(graph, args):
        return replay(graph, list(args), skip_effects=_SKIPPED_EFFECTS)

    # 1. forward again, pushing every iteration's loop variables
    history = [TensorArray(v.dtype, size=0, dynamic_size=True) for v in vars_in]

    def fwd_cond(k, vs, tas):
        return run(cond_g, list(vs) + ccaps)[0]

    def fwd_body(k, vs, tas):
        tas = [ta.write(k, v) for ta, v in zip(tas, vs)]
        return k + 1, list(run(body_g, list(vs) + bcaps)), tas

    count, _, history = while_loop(fwd_cond, fwd_body,
                                   [array_ops.constant(0), list(vars_in), history])

    # 2. backward, from the last iteration to the first
    out_grads = [array_ops.zeros_like(c.outputs[i]) if grads[i] is None
                 else convert_to_tensor(grads[i]) for i in fl_vars]
    acc_caps = [array_ops.zeros_like(bcaps[i]) for i in fl_caps]
    acc_vars = [array_ops.zeros(v.shape, v.dtype) for v in fl_variables]
    schedule, live_sets = _live_schedule(body_g, n, fl_vars, [grads[i] is not None
                                                              for i in fl_vars])

    def step(k, g, a_caps, a_vars, live):
        """One reverse iteration; only the loop variables in `live` have a cotangent (the
        others' are symbolic zeros: no VJP runs for them, as eagerly)."""
        vs = [ta.read(k) for ta in history]
        sources = [vs[i] for i in fl_vars] + [bcaps[i] for i in fl_caps] + fl_variables
        with GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(sources)
            outs = run(body_g, vs + bcaps)
        gs = tape.gradient([outs[fl_vars[j]] for j in live], sources,
                           output_gradients=[g[j] for j in live],
                           unconnected_gradients="zero")
        nv, ncap = len(fl_vars), len(fl_caps)
        a_caps = [a + d for a, d in zip(a_caps, gs[nv:nv + ncap])]
        a_vars = [a + d for a, d in zip(a_vars, gs[nv + ncap:])]
        return list(gs[:nv]) + a_caps + a_vars

    def bwd_cond(k, g, a_caps, a_vars):
        return math_ops.greater(k, 0)

    def bwd_body(k, g, a_caps, a_vars):
        k = k - 1
        if len(live_sets) == 1:
            flat = step(k, g, a_caps, a_vars, live_sets[0])
        else:  # which variables are live depends on the reverse step number
            index = _schedule_index(schedule, count - 1 - k)
            flat = _switch(index, [
                (lambda live=live: step(k, g, a_caps, a_vars, live)) for live in live_sets])
        nv, ncap = len(fl_vars), len(fl_caps)
        return k, flat[:nv], flat[nv:nv + ncap], flat[nv + ncap:]

    _, g_vars, g_caps, g_variables = while_loop(bwd_cond, bwd_body,
                                                [count, out_grads, acc_caps, acc_vars])

    result = [None] * len(inputs)
    ever_live = {j for live in live_sets for j in live}
    for j, (i, g) in enumerate(zip(fl_vars, g_vars)):
        # (a variable no step gives a cotangent has a symbolic zero gradient: None, so that
        # the VJPs before the loop skip it too)
        result[i] = g if j in ever_live else None
    for i, g in zip(fl_caps, g_caps):
        result[n + nc + i] = g
    by_id = {id(v): g for v, g in zip(fl_variables, g_variables)}
    for j, v in enumerate(variables):
        result[n + nc + nb + j] = by_id.get(id(v))
    return tuple(result)


control_ops.while_op.vjp = while_vjp   # control_ops cannot import this module: it imports that one


def _check_replayable(body):
    for node in body.walk():
        bad = node.op.effects & _UNREPLAYABLE
        if bad:
            what = "assigns a variable" if "write_variable" in bad else "draws random numbers"
            where = f" ({node.location.short()})" if node.location is not None else ""
            raise TypeError(
                f"Cannot differentiate through this tf.while_loop: its body {what}{where}, and "
                "the gradient re-runs the body. Fix: move the assignment or the random draw out "
                "of the loop, or compute the gradient inside the loop body.")


def _dependencies(body, n):
    """For each of the body's first n results, the bit set of the loop variables (its first n
    data params) it depends on."""
    dep = {p.id: 1 << i for i, p in enumerate(body.data_params[:n])}
    for node in body.nodes:
        mask = 0
        for v in node.inputs:
            mask |= dep.get(v.id, 0)
        if mask:
            for v in node.outputs:
                dep[v.id] = mask
    return [dep.get(r.id, 0) for r in body.data_results[:n]]


def _live_schedule(body, n, fl_vars, live0):
    """Which floating loop variables carry a non-zero cotangent at each reverse step.

    Step 0 has those whose output gradient is given; step t+1 those that a live variable of
    step t depends on. The sequence of sets is eventually periodic. Returns (schedule, sets):
    `sets` the distinct sets (tuples of positions in fl_vars), `schedule` (prefix, cycle) of
    indices into `sets` for steps 0.. (the cycle repeats after the prefix)."""
    deps = _dependencies(body, n)
    pos = {i: j for j, i in enumerate(fl_vars)}
    live = tuple(j for j, on in enumerate(live0) if on)
    seen, seq = {}, []
    while live not in seen:
        seen[live] = len(seq)
        seq.append(live)
        mask = 0
        for j in live:
            mask |= deps[fl_vars[j]]
        live = tuple(pos[i] for i in fl_vars if mask >> i & 1)
    start = seen[live]
    sets = list(dict.fromkeys(seq))
    index = [sets.index(x) for x in seq]
    return (index[:start], index[start:]), sets


def _schedule_index(schedule, t):
    """The index into the live sets for reverse step `t` (a scalar int32 tensor)."""
    prefix, cycle = schedule
    m = len(prefix)
    in_cycle = gather(array_ops.constant(cycle, dtype="int32"),
                                math_ops.floormod(math_ops.maximum(t - m, 0), len(cycle)))
    if not prefix:
        return in_cycle
    head = gather(array_ops.constant(prefix, dtype="int32"),
                            math_ops.minimum(t, m - 1))
    return math_ops.where(math_ops.less(t, m), head, in_cycle)


def _switch(index, branches):
    """branches[index]() through nested tf.cond."""
    if len(branches) == 1:
        return branches[0]()
    return list(cond(math_ops.equal(index, 0), branches[0],
                     lambda: _switch(index - 1, branches[1:])))
