"""Replay: re-execute a graph's nodes through `apply`, one op at a time.

Used to inline a concrete function called while another function is traced (its nodes go into
the outer graph, so gradients and passes see through it), and to run a concrete function under an
active GradientTape (every op is recorded, so gradients flow through tf.function calls), and by
the ops holding region graphs (cond, while_loop, fusion) to run their regions op by op. It sits
in `ops/` because it is an ops-layer concept (it only calls `apply`): fusion_ops and control_ops
import it at top level, and tracing/concrete.py imports it from here.
"""
from ..tensor import EagerTensor
from ..tracing import context
from .opdef import apply


def replay(graph, inputs, skip_effects=frozenset()):
    """Run `graph` on tensors `inputs` (its data params, in order) -> list of result tensors.

    Nodes whose effects intersect `skip_effects` (e.g. {"io"}: tf.print) are left out; they
    must have no data outputs."""
    env = {}
    for p, t in zip(graph.data_params, inputs):
        env[p.id] = t
    builder = context.current_builder()
    for node in graph.nodes:
        if node.op.name == "constant":
            value = node.attrs["value"]
            out = EagerTensor(value, node.attrs["dtype"]) if builder is None else \
                builder.constant(value, node.attrs["dtype"])
            env[node.outputs[0].id] = out
            continue
        if skip_effects and node.op.effects & skip_effects and not node.data_outputs:
            continue
        args = [env[v.id] for v in node.data_inputs]
        if builder is not None:
            builder.location_override = node.location
        try:
            if node.op.replay is not None and builder is None:
                outs = node.op.replay(node.attrs, args)
            else:
                outs = apply(node.op, *args, **node.attrs)
        finally:
            if builder is not None:
                builder.location_override = None
        if outs is None:
            outs = ()
        elif not isinstance(outs, (tuple, list)):
            outs = (outs,)
        for v, t in zip(node.data_outputs, outs):
            env[v.id] = t
    return [env[r.id] for r in graph.data_results]

