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
from .rewrite import graph_pass, regions_first, replace_uses, use_lists

NAME = "elementwise_fusion"
SUMMARY = "fuse chains of same-shape elementwise ops (with broadcast inputs) into one loop"


@graph_pass
def elementwise_fusion(graph):
    _fuse(graph)


@regions_first
def _fuse(graph):
    nodes = graph.nodes
    producer = {v.id: n for n in nodes for v in n.outputs}
    users = use_lists(graph)
    st = _Groups(nodes, users)
    for i, n in enumerate(nodes):
        if is_elementwise_node(n) and len(set(v.type.shape for v in n.outputs)) == 1:
            st.add(i)

    def shape_of(n):
        return n.outputs[0].type.shape

    dims = _symbolic_dims(graph)

    for i, n in enumerate(nodes):
        if id(n) not in st.group:
            continue
        for v in n.inputs:
            p = producer.get(v.id)
            if p is None or id(p) not in st.group or shape_of(p) != shape_of(n) \
                    or not _never_broadcast(v, n, dims):
                continue
            a, b = st.group[id(p)], st.group[id(n)]
            if a == b or st.weight[a] + st.weight[b] > MAX_FUSED_OPS \
                    or st.creates_cycle(a, b, i):
                continue
            st.merge(a, b)
    replaced = {}
    out_nodes = []
    mapping = {}
    for gid, idxs in st.members.items():
        if len(idxs) < 2:
            continue
        idxs.sort()
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


SEARCH_LIMIT = 4096  # nodes one legality check may visit; past it the merge is refused
# Ops in one fused loop at most. LLVM's loop vectorizer takes time quadratic in the length of a
# loop body's dependence chain (a 4,000-op body: ~7 s); loops of this size cost it ~5 ms each,
# and the extra pass over memory per 128 ops is noise.
MAX_FUSED_OPS = 128


class _Groups:
    """The groups so far, in near-linear time: node -> group id, group id -> member indices
    (unsorted), and each group's *frontier* (members with a user outside the group), so a
    legality check starts from the frontier instead of every member.

    Nodes are merged in program order: when node i is visited, every node after it is still a
    group of one, so no path between two groups can go through a node after i (a path from there
    only moves forward). The cycle search never looks past i; a chain of n ops costs O(n)."""

    def __init__(self, nodes, users):
        self.nodes = nodes
        self.users = users
        self.group = {}     # id(node) -> group id
        self.members = {}   # group id -> [node index]
        self.frontier = {}  # group id -> [node index]
        self.weight = {}    # group id -> ops in its fused body
        self.pos = {id(n): i for i, n in enumerate(nodes)}
        self.visits = 0     # nodes visited by legality checks (tests count work with it)

    def add(self, i):
        self.group[id(self.nodes[i])] = i
        self.members[i] = [i]
        self.frontier[i] = [i]
        n = self.nodes[i]
        self.weight[i] = len(n.attrs["body"].nodes) if n.op.name == "fusion" else 1

    def _outside_users(self, k, gids):
        for v in self.nodes[k].outputs:
            for u in self.users.get(v.id, ()):
                if u is None or self.group.get(id(u)) not in gids:
                    yield u

    def merge(self, a, b):
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        for k in self.members[b]:
            self.group[id(self.nodes[k])] = a
        self.members[a].extend(self.members.pop(b))
        self.weight[a] += self.weight.pop(b)
        both = (a,)
        self.frontier[a] = [k for k in self.frontier[a] + self.frontier.pop(b)
                            if next(self._outside_users(k, both), False) is not False]

    def creates_cycle(self, a, b, limit):
        """Would merging groups a and b make a cycle? Yes when a path leaves one group and
        comes back into the other through something else — counting every *other group* as
        the single fused node it will become. Only nodes up to index `limit` are searched."""
        return self._path(a, b, limit) or self._path(b, a, limit)

    def _path(self, src, dst, limit):
        both = (src, dst)
        stack = [u for k in self.frontier[src] for u in self._outside_users(k, both)]
        seen_groups = set(both)
        seen = set()
        while stack:
            n = stack.pop()
            if n is None or id(n) in seen or self.pos[id(n)] > limit:
                continue
            seen.add(id(n))
            self.visits += 1
            if len(seen) > SEARCH_LIMIT:
                return True  # (too costly to prove legal: keep the groups apart)
            gid = self.group.get(id(n))
            if gid == dst:
                return True
            if gid is not None:  # a node of another group: the whole group is one node after
                if gid in seen_groups:
                    continue
                seen_groups.add(gid)
                for k in self.frontier[gid]:
                    for u in self._outside_users(k, (gid,)):
                        if u is not None and self.group.get(id(u)) == dst:
                            return True
                        stack.append(u)
                continue
            for v in n.outputs:
                for u in self.users.get(v.id, ()):
                    if u is not None and self.group.get(id(u)) == dst:
                        return True
                    stack.append(u)
        return False


run = elementwise_fusion


class _Unknown:
    """One unknown dim: values whose dim is the same _Unknown have equal sizes at run time."""
    __slots__ = ()


def _symbolic_dims(graph):
    """{value id: list of dims} where an unknown dim is an _Unknown object, shared by values
    that provably have the same size there: an elementwise node's output takes an input's
    unknown dim when every other input has that same unknown dim, a 1, or no dim there
    (`x[?, 784] * 0.5 + 1` keeps x's batch dim throughout). Any other unknown dim is new."""
    dims = {}

    def of(v):
        got = dims.get(v.id)
        if got is None:
            shape = v.type.shape
            got = None if shape.rank is None else [
                _Unknown() if d is None else d for d in shape.as_list()]
            dims[v.id] = got
        return got

    for n in graph.nodes:
        if not is_elementwise_node(n):
            continue
        ins = [of(v) for v in n.inputs if not v.is_token]
        for out in n.outputs:
            shape = out.type.shape
            if shape.rank is None or any(x is None for x in ins):
                continue
            got = []
            for k, d in enumerate(shape.as_list()):
                back = shape.rank - k
                if d is not None:
                    got.append(d)
                    continue
                at = [x[len(x) - back] for x in ins if len(x) >= back]
                unknown = [u for u in at if isinstance(u, _Unknown)]
                same = unknown and all(u is unknown[0] for u in unknown) and all(
                    u is unknown[0] or u == 1 for u in at)
                got.append(unknown[0] if same else _Unknown())
            dims[out.id] = got
    return dims


def _never_broadcast(v, node, dims=None):
    """Whether `node` provably uses `v` at its own output shape, so both can share one loop.

    Equal printed shapes are not enough when a dim is unknown: in `a[3, ?] * b[?]` the `?`s may
    be 1 and 4 at run time, and `a` is then broadcast (fusing its producer would compute it at
    the wrong shape). An unknown dim of `v` is safe only where every other input of `node` has a
    known 1 there, no such dim, or provably the same unknown dim (`dims`: _symbolic_dims)."""
    shape = v.type.shape
    if shape.rank is None:
        return False
    if shape.is_fully_defined():
        return True
    dims = dims or {}
    mine = dims.get(v.id)
    for k, d in enumerate(shape.as_list()):
        if d is not None:
            continue
        back = shape.rank - k  # this dim, counted from the right (broadcasting aligns there)
        sym = mine[k] if mine is not None else None
        for u in node.inputs:
            if u is v or u.is_token:
                continue
            other = u.type.shape
            if other.rank is None:
                return False
            if other.rank < back:
                continue
            theirs = dims.get(u.id)
            if sym is not None and theirs is not None and theirs[other.rank - back] is sym:
                continue
            if other.as_list()[other.rank - back] != 1:
                return False
    return True
