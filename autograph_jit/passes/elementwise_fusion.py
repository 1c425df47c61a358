"""Elementwise fusion: connected elementwise nodes of one shape become one `fusion` node.

Why: each elementwise op alone reads its inputs from memory and writes its output back; a chain
`tanh(x * 0.5 + 1)` as three ops makes three passes over memory, fused it makes one loop that
keeps intermediates in registers.

Which nodes group: pure elementwise nodes (OpDef.elementwise: arithmetic, comparisons, casts,
where, ...) whose output shapes are equal, linked producer -> consumer. Inputs of other shapes are
fine — they broadcast inside the loop (a bias vector, a scalar) — but a producer of a *smaller*
shape is not pulled in: it would be recomputed for every element of the bigger loop (Adam's
scalar bias corrections would run once per weight). Values a group makes that are used outside it
become extra results, so a fusion may have several outputs.

Legality: two groups are merged only if no path leaves one group through an outside node (or
another group, which will be one fused node) and comes back into the other — else the fused node
would have to run both before and after that outside node. Effect nodes sit on such paths (a value assigned to a variable and read back), so
fusion never moves work across an effect it depends on.
"""
from .fusion_build import build_fusion, is_elementwise_node, schedule
from .rewrite import control_regions, graph_pass, replace_uses, use_lists

NAME = "elementwise_fusion"
SUMMARY = "fuse chains of same-shape elementwise ops (with broadcast inputs) into one loop"


@graph_pass
def elementwise_fusion(graph):
    _fuse(graph)


def _fuse(graph):
    for node in graph.nodes:
        for region in control_regions(node).values():
            _fuse(region)
    nodes = graph.nodes
    producer = {v.id: n for n in nodes for v in n.outputs}
    users = use_lists(graph)
    group = {}  # id(node) -> group id (an index), only for candidates
    members = {}  # group id -> list of node indices
    for i, n in enumerate(nodes):
        if is_elementwise_node(n) and len(set(v.type.shape for v in n.outputs)) == 1:
            group[id(n)] = i
            members[i] = [i]

    def shape_of(n):
        return n.outputs[0].type.shape

    for i, n in enumerate(nodes):
        if id(n) not in group:
            continue
        for v in n.inputs:
            p = producer.get(v.id)
            if p is None or id(p) not in group or shape_of(p) != shape_of(n):
                continue
            a, b = group[id(p)], group[id(n)]
            if a == b or _creates_cycle(nodes, members[a], members[b], users, group, members):
                continue
            for k in members[b]:
                group[id(nodes[k])] = a
            members[a] = sorted(members[a] + members.pop(b))
    replaced = {}
    out_nodes = []
    mapping = {}
    for gid, idxs in members.items():
        if len(idxs) < 2:
            continue
        fusion, exposed = build_fusion("elementwise", [nodes[k] for k in idxs], users)
        mapping.update(exposed)
        replaced[idxs[0]] = fusion
        for k in idxs[1:]:
            replaced[k] = None
    if not replaced:
        return
    for i, n in enumerate(nodes):
        if i in replaced:
            if replaced[i] is not None:
                out_nodes.append(replaced[i])
            continue
        out_nodes.append(n)
    for n in out_nodes:
        n.inputs = [mapping.get(v.id, v) for v in n.inputs]
    graph.nodes = schedule(out_nodes)
    replace_uses(graph, mapping)


def _creates_cycle(nodes, group_a, group_b, users, group, members):
    """Would merging the two groups make a cycle? Yes when a path leaves one group and comes back
    into the other through something else — counting every *other group* as the single fused node
    it will become (if that group reads a value of A and B reads that group, the fused B would
    need A's fusion, which would then need B)."""
    inside = {id(nodes[k]) for k in group_a} | {id(nodes[k]) for k in group_b}
    return (_path_outside(nodes, group_a, group_b, inside, users, group, members)
            or _path_outside(nodes, group_b, group_a, inside, users, group, members))


def _path_outside(nodes, src, dst, inside, users, group, members):
    targets = {id(nodes[k]) for k in dst}
    stack = [u for k in src for v in nodes[k].outputs for u in users.get(v.id, ())
             if u is not None and id(u) not in inside]
    seen = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        gid = group.get(id(n))
        if gid is not None:  # a node of another group: the whole group is one node after fusion
            stack.extend(nodes[k] for k in members[gid] if id(nodes[k]) not in seen)
        for v in n.outputs:
            for u in users.get(v.id, ()):
                if u is None:
                    continue
                if id(u) in targets:
                    return True
                if id(u) not in inside:
                    stack.append(u)
    return False


run = elementwise_fusion
