"""Matmul epilogue fusion: a matmul and the elementwise ops applied to its result (bias add,
relu / sigmoid / tanh, a scale) become one `fusion` node of kind "matmul".

A dense layer traced is `matmul -> add bias -> relu`: three passes over the [batch, units] result.
Fused, the backend applies the bias and the activation to each block of the product while it is
still in cache. The chain grows from the matmul through consumers that are pure elementwise ops of
the same shape, as long as the value so far has exactly one user (the next op): an intermediate
used elsewhere would have to be stored anyway, and the contract keeps one result per matmul
fusion. A chain of length one (a lone matmul) is left alone.

An epilogue's other operands come along when they are cheap to recompute in place: an
elementwise node of the product's shape whose only reader is the chain (a ReLU gradient's
`greater(h, 0)` mask, read by the `select` after `dh = g @ w^T`) joins the fused body, so the
kernel reads `h` itself instead of a mask another kernel wrote, and the mask kernel is gone.
"""
from .fusion_build import build_fusion, is_elementwise_node
from .rewrite import graph_pass, regions_first, replace_uses, use_lists

NAME = "matmul_fusion"
SUMMARY = "fuse a matmul with its bias add / activation epilogue"


@graph_pass
def matmul_fusion(graph):
    _fuse(graph)


@regions_first
def _fuse(graph):
    users = use_lists(graph)
    producers = {v.id: n for n in graph.nodes for v in n.outputs}
    order = {id(n): k for k, n in enumerate(graph.nodes)}
    chains = {}  # id(last node of a chain) -> chain
    in_chain = set()
    for node in graph.nodes:
        if node.op.name != "matmul" or id(node) in in_chain:
            continue
        chain = [node]
        while True:
            out = chain[-1].outputs[0]
            us = users.get(out.id, [])
            if (len(us) != 1 or us[0] is None or id(us[0]) in in_chain
                    or not _epilogue_op(us[0], node)):
                break  # (a node joins one chain: `a @ b + c @ d` fuses the first matmul only)
            chain.append(us[0])
        if len(chain) > 1:
            chain[1:1] = _side_producers(chain, users, producers, in_chain, order)
            chains[id(chain[-1])] = chain
            in_chain.update(id(n) for n in chain)
    if not chains:
        return
    mapping = {}
    new_nodes = []
    for node in graph.nodes:
        chain = chains.get(id(node))
        if chain is not None:
            fusion, exposed = build_fusion("matmul", chain, users,
                                           single_result=chain[-1].outputs[0])
            mapping.update(exposed)
            node = fusion
        elif id(node) in in_chain:
            continue
        node.inputs = [mapping.get(v.id, v) for v in node.inputs]
        new_nodes.append(node)
    graph.nodes = new_nodes
    replace_uses(graph, mapping)


def _side_producers(chain, users, producers, in_chain, order):
    """The nodes that join `chain`'s body as producers of its epilogue's other operands, in
    program order: elementwise, of the product's shape (so their own operands broadcast to it as
    the epilogue's do), read only by the epilogue or by other such producers (never by the
    matmul: its operands stay params), and computed from values made outside the chain."""
    shape = chain[0].outputs[0].type.shape
    members = {id(n) for n in chain[1:]}    # (the matmul's operands stay the body's params)
    made = {v.id for n in chain for v in n.outputs}
    taken = []
    todo = [v for n in chain[1:] for v in n.inputs]
    while todo:
        v = todo.pop()
        node = producers.get(v.id)
        if (node is None or node is chain[0] or id(node) in members or id(node) in in_chain
                or not is_elementwise_node(node) or len(node.outputs) != 1
                or node.outputs[0].type.shape != shape
                or any(u is None or id(u) not in members for u in users.get(v.id, ()))
                or any(w.id in made for w in node.inputs)):
            continue
        members.add(id(node))
        taken.append(node)
        todo.extend(node.inputs)
    return sorted(taken, key=lambda n: order[id(n)])


def _epilogue_op(node, matmul):
    """An elementwise node computing a value of the matmul's shape and dtype (the fused kernel
    computes the whole chain in one dtype: a comparison or cast ends the chain)."""
    out, product = node.outputs, matmul.outputs[0].type
    return (node.op.elementwise and not node.op.effects and not node.regions
            and len(out) == 1 and out[0].type.shape == product.shape
            and out[0].type.dtype is product.dtype)


run = matmul_fusion
