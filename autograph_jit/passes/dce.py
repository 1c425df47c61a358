"""Dead-code elimination that keeps every effect.

A node is live when a result needs one of its outputs. Effectful nodes stay live on their own:
each takes the effect token and gives the next one, and the token is a result of the graph, so
prints, variable writes and RNG draws (whose order decides later draws) are never removed or
reordered. The one effectful node that may go is a `read_variable` whose value nobody uses: a
read changes nothing, so the token is passed straight through.

Inside control flow: a cond/while_loop region's nodes are cleaned the same way (its results are
fixed — they are the node's outputs), then captures a region no longer reads are dropped from the
region's parameters and from the node's operands. A cond output nobody uses is removed from both
branches. A pure cond/while whose outputs are all unused disappears.
"""
from .rewrite import control_regions, effect_token_in, effect_token_out, graph_pass, replace_uses

NAME = "dce"
SUMMARY = "remove nodes no result depends on (effects always stay)"


@graph_pass
def dce(graph):
    _dce(graph)


def _dce(graph):
    changed = True
    while changed:
        changed = _sweep(graph)


def _sweep(graph):
    live = {r.id for r in graph.results}
    mapping = {}
    kept = []
    changed = False
    for node in reversed(graph.nodes):
        needed = any(v.id in live for v in node.data_outputs)
        if node.op.name == "read_variable" and not needed:
            mapping[effect_token_out(node).id] = effect_token_in(node)
            tok = effect_token_out(node)
            if tok.id in live:
                live.add(effect_token_in(node).id)
            changed = True
            continue
        if not needed and not node.has_effects:
            changed = True
            continue
        if node.op.name == "cond":
            changed |= _prune_cond_outputs(node, live)
        for region in control_regions(node).values():
            _dce(region)
        changed |= _drop_unused_captures(node)
        kept.append(node)
        live.update(v.id for v in node.inputs)
    kept.reverse()
    graph.nodes = kept
    replace_uses(graph, mapping)
    return changed


def _prune_cond_outputs(node, live):
    """Remove cond outputs (and both branches' results) that nothing reads."""
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    keep = [i for i, v in enumerate(node.outputs) if v.is_token or v.id in live]
    if len(keep) == len(node.outputs):
        return False
    node.outputs = [node.outputs[i] for i in keep]
    for i, v in enumerate(node.outputs):
        v.index = i
    then_g.results = [then_g.results[i] for i in keep]
    else_g.results = [else_g.results[i] for i in keep]
    return True


def _drop_unused_captures(node):
    """Region params no node or result reads -> removed, with the node's matching operand."""
    name = node.op.name
    if name == "cond":
        then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
        n = len(then_g.params)
        dead = [i for i in range(n) if not then_g.params[i].is_token
                and _unused(then_g, then_g.params[i]) and _unused(else_g, else_g.params[i])]
        if not dead:
            return False
        for g in (then_g, else_g):
            g.params = [p for i, p in enumerate(g.params) if i not in dead]
        node.inputs = [node.inputs[0]] + [v for i, v in enumerate(node.inputs[1:])
                                          if i not in dead]
        return True
    if name == "while_loop":
        cond_g, body_g, n = node.attrs["cond_graph"], node.attrs["body"], node.attrs["n_vars"]
        nc = len(cond_g.data_params) - n
        nb = len(body_g.data_params) - n
        dead_c = [i for i in range(nc) if _unused(cond_g, cond_g.params[n + i])]
        dead_b = [i for i in range(nb) if _unused(body_g, body_g.params[n + i])]
        if not dead_c and not dead_b:
            return False
        cond_g.params = [p for i, p in enumerate(cond_g.params) if i - n not in dead_c]
        body_g.params = [p for i, p in enumerate(body_g.params) if i - n not in dead_b]
        inputs = node.inputs
        node.inputs = (inputs[:n]
                       + [v for i, v in enumerate(inputs[n:n + nc]) if i not in dead_c]
                       + [v for i, v in enumerate(inputs[n + nc:n + nc + nb]) if i not in dead_b]
                       + inputs[n + nc + nb:])
        return True
    return False


def _unused(graph, value):
    return all(value is not v for node in graph.nodes for v in node.inputs) and all(
        value is not r for r in graph.results)


run = dce
