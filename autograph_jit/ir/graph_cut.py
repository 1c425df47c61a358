"""Cutting a graph in two at one of its top-level nodes, for backends that cannot compile the
whole graph for one set of shapes: both backends (codegen/llvm `_split` / `_segmented`, and
codegen/gpu `SplitPlan` / `segments.SegmentedPlan`) compile the part before the node, then the
part after it for the shapes the first part produced.

Two cuts:
- `node_on_host=False` (a split): the node opens the second part, which is compiled once the
  first part has returned the values it needs (a TensorArray's size reached at run time);
- `node_on_host=True` (a segment): the node itself runs between the two parts (on the host
  interpreter: its output shape depends on the data), so the first part returns its inputs
  too and the second part takes its outputs.
"""
from .graph import Graph

__all__ = ["GraphCut", "cut_graph"]


class GraphCut:
    """The two graphs of a cut: `prefix` (the caller's params -> `live`) and `suffix`
    (`suffix_params` -> the graph's results); `node` is where it was cut."""
    __slots__ = ("prefix", "suffix", "live", "suffix_params", "node")

    def __init__(self, prefix, suffix, live, suffix_params, node):
        self.prefix, self.suffix = prefix, suffix
        self.live, self.suffix_params, self.node = live, suffix_params, node


def cut_graph(graph, index, node_on_host):
    """Cut `graph` at its top-level node `graph.nodes[index]` (see the module docstring).

    Args:
      graph: the Graph to cut (not changed: the parts share its Nodes and Values).
      index: the position of the node in `graph.nodes`.
      node_on_host: whether the node runs between the parts (True) or opens the second (False).

    Returns:
      A GraphCut. Its `prefix` is named `<graph>.part` and its `suffix` `<graph>.rest`.

    Example (codegen/llvm `_split`):
        cut = cut_graph(graph, index, node_on_host=False)
        first, rest = CpuFunction(cut.prefix, ...), CpuFunction(cut.suffix, ...)
        outputs = rest(first(inputs))    # cut.prefix.results are cut.suffix.params
    """
    node = graph.nodes[index]
    before = graph.nodes[:index]
    after = graph.nodes[index + 1:] if node_on_host else graph.nodes[index:]
    need_later = _uses(after) | {r.id for r in graph.results}
    need_now = need_later | {v.id for v in node.inputs} if node_on_host else need_later
    live = _live_values(graph.params, before, need_now)
    if node_on_host:
        suffix_params = _dedupe([v for v in live + list(node.outputs) if v.id in need_later])
    else:
        suffix_params = live
    prefix = Graph(f"{graph.name}.part", list(graph.params), before, live)
    suffix = Graph(f"{graph.name}.rest", suffix_params, after, list(graph.results))
    return GraphCut(prefix, suffix, live, suffix_params, node)


def _uses(nodes):
    return {v.id for n in nodes for v in n.inputs}


def _live_values(params, nodes, needed):
    out = [p for p in params if p.id in needed]
    for n in nodes:
        out.extend(v for v in n.outputs if v.id in needed)
    return _dedupe(out)


def _dedupe(values):
    seen, out = set(), []
    for v in values:
        if v.id not in seen:
            seen.add(v.id)
            out.append(v)
    return out
