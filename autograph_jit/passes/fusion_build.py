"""Building fusion nodes (contract 1) from groups of nodes, shared by the three fusion passes.

`build_fusion(kind, nodes, users)` turns a group of pure nodes of one graph into one `fusion`
node: external inputs (values the group reads but does not make) become the body's params, the
group's nodes are copied into the body in program order, and every group value used outside the
group (or returned) becomes a result. A member that is itself an elementwise fusion is opened up
(its body nodes join the new body), so passes can grow fusions step by step.

`schedule(nodes)` orders a node list topologically, keeping program order wherever data flow
allows; the fusion passes use it after replacing groups, since a group's fusion node must come
after every input of every member.
"""
import heapq

from ..ir.clone import clone_node
from ..ir.graph import Graph, Node, Value
from ..ops.fusion_ops import fusion_label, fusion_op

__all__ = ["build_fusion", "schedule", "is_elementwise_node", "flatten_members"]


def is_elementwise_node(node):
    """A plain pure elementwise node, or an elementwise fusion node."""
    if node.op.name == "fusion":
        return node.attrs["kind"] == "elementwise"
    return (node.op.elementwise and not node.op.effects and not node.regions
            and len(node.outputs) == 1 and node.outputs[0].type.shape.rank is not None)


def flatten_members(nodes):
    """Group members with elementwise fusions opened up: (flat node list, alias map) where the
    alias map sends a fusion node's output ids to the values of the copied body."""
    flat, alias = [], {}
    for node in nodes:
        if node.op.name != "fusion":
            flat.append(node)
            continue
        body = node.attrs["body"]
        vmap = {p.id: v for p, v in zip(body.params, node.inputs)}
        for inner in body.nodes:
            copy = clone_node(inner, [vmap.get(v.id, v) for v in inner.inputs], vmap)
            flat.append(copy)
        for out, r in zip(node.outputs, body.results):
            alias[out.id] = vmap.get(r.id, r)
    return flat, alias


def build_fusion(kind, nodes, users, single_result=None):
    """One fusion node for `nodes` (in program order). `users` maps value id -> list of user
    nodes (None for a graph result) in the enclosing graph. `single_result`, when given, is the
    only value exposed (reduction / matmul kinds). Returns (fusion node, {old value id: new
    output Value}) for every exposed value."""
    members = {id(n) for n in nodes}
    flat, alias = flatten_members(nodes)

    def resolve(v):
        while v.id in alias:
            v = alias[v.id]
        return v
    made = {v.id for n in flat for v in n.outputs}
    inputs, params, vmap = [], [], {}
    for n in flat:
        for v in n.inputs:
            v = resolve(v)
            if v.id in made or v.id in vmap:
                continue
            p = Value(v.type, name=v.name)
            vmap[v.id] = p
            inputs.append(v)
            params.append(p)
    body = Graph(f"{kind}_fusion", params=params)
    for n in flat:
        body.nodes.append(clone_node(n, [vmap[resolve(v).id] for v in n.inputs], vmap))
    if single_result is not None:
        exposed = [single_result]
    else:
        exposed = []
        for n in nodes:
            for v in n.outputs:
                if any(u is None or id(u) not in members for u in users.get(v.id, ())):
                    exposed.append(v)
    body.results = [vmap[resolve(v).id] for v in exposed]
    label = fusion_label(body.nodes)
    node = Node(fusion_op, inputs, {"kind": kind, "body": body, "label": label},
                [v.type for v in exposed], location=nodes[-1].location, name="fusion")
    out = {}
    for old, new in zip(exposed, node.outputs):
        new.name = old.name
        out[old.id] = new
    return node, out


def schedule(nodes):
    """Topological order of `nodes` (each reading only earlier-defined values or outer values),
    preferring the given order: among ready nodes, the one listed first goes first."""
    producer = {}
    for i, n in enumerate(nodes):
        for v in n.outputs:
            producer[v.id] = i
    deps = [set() for _ in nodes]
    users = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        for v in n.inputs:
            j = producer.get(v.id)
            if j is not None and j != i and j not in deps[i]:
                deps[i].add(j)
                users[j].append(i)
    missing = [len(d) for d in deps]
    ready = [i for i, m in enumerate(missing) if m == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(nodes[i])
        for j in users[i]:
            missing[j] -= 1
            if missing[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(nodes):
        raise RuntimeError("fusion produced a cyclic graph (a bug in the fusion pass)")
    return order
