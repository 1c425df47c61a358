"""Reduction fusion: elementwise producers folded into the reduction that consumes them.

`reduce_mean(square(y - p))` traced is three ops and two temporaries the size of y; fused it is
one loop that accumulates `(y - p)^2` as it goes and writes one number. The producer (a plain
elementwise node or an elementwise fusion made by the previous pass) joins the reduction when the
reduction is its only user: if the producer's value were needed elsewhere too it would have to be
written to memory anyway (the contract keeps a reduction fusion to a single result).
"""
from ..ops.op_keys import op_set
from .fusion_build import build_fusion, is_elementwise_node
from .rewrite import graph_pass, regions_first, replace_uses, use_lists

NAME = "reduction_fusion"
SUMMARY = "fold elementwise producers into the reduce_* that consumes them"

REDUCTIONS = op_set({"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
                     "reduce_any", "reduce_all"})


@graph_pass
def reduction_fusion(graph):
    _fuse(graph)


@regions_first
def _fuse(graph):
    users = use_lists(graph)
    mapping = {}
    drop = set()
    new_nodes = []
    for node in graph.nodes:
        node.inputs = [mapping.get(v.id, v) for v in node.inputs]
        producer = _fusable_producer(node, users)
        if producer is None:
            new_nodes.append(node)
            continue
        fusion, exposed = build_fusion("reduction", [producer, node], users,
                                       single_result=node.outputs[0])
        mapping.update(exposed)
        drop.add(id(producer))
        new_nodes.append(fusion)
    # the producer's only user was the reduction, so dropping it leaves no dangling use
    graph.nodes = [n for n in new_nodes if id(n) not in drop]
    replace_uses(graph, mapping)


def _fusable_producer(node, users):
    if node.op not in REDUCTIONS or node.has_effects:
        return None
    x = node.inputs[0]
    p = x.node
    if p is None or not is_elementwise_node(p) or len(p.outputs) != 1:
        return None
    if users.get(x.id, []) != [node]:
        return None
    return p


run = reduction_fusion
