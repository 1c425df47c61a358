"""Graphviz DOT rendering of a graph (`cf.to_dot()`): one box per op, one edge per use of a value.

The text is deterministic: nodes are numbered in program order (p0, p1, ... for parameters; n0,
n1, ... for ops; r0, ... for results), so the same program gives the same DOT on every run. A box
shows the op (and the node's name when it differs), a constant's value, and the user's file:line;
an edge carries the value's type (`f32[?,3]`), dashed for the effect token that orders stateful
ops.

A fusion node (the optimizer's `fusion`, whose `body` graph is one kernel) is drawn *as* a
cluster: its ops sit inside a shaded box titled with the kernel's name and op count, wired straight
to the values outside, so the picture reads as one dataflow with the fused ops grouped. The
regions of control flow (`while_loop`'s cond/body, `cond`'s branches) are clusters beside their op,
joined to it by a dotted line.
"""
import numpy as np

_GRAPH_STYLE = ('  graph [fontname="Helvetica", fontsize=11, labeljust=l, nodesep=0.25, '
                'ranksep=0.3];')
_NODE_STYLE = ('  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
               'fontname="Courier", fontsize=10, margin="0.08,0.03", height=0.3];')
_EDGE_STYLE = '  edge [fontname="Courier", fontsize=8, color="#555555", fontcolor="#2a4d8f"];'
_PARAM_STYLE = 'shape=ellipse, style=filled, fillcolor="#e8f1e4"'
_RESULT_STYLE = 'shape=ellipse, style=filled, fillcolor="#fbeee0"'
_CONST_STYLE = 'fillcolor="#f4f4f4", color="#999999"'
_FUSION_STYLE = ('style="rounded,filled", fillcolor="#e6eefb", color="#4a74c9", '
                 'fontcolor="#1f3f7f"')
_REGION_STYLE = 'style="rounded,dashed", color="#888888"'


def _quote(text):
    # backslashes are kept: labels use DOT's own "\\n" line breaks
    return '"' + str(text).replace('"', '\\"') + '"'


def _constant_text(node):
    value = node.attrs.get("value")
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.size <= 4:
        return np.array2string(arr, separator=", ") if arr.ndim else repr(arr.item())
    return f"{arr.dtype}{list(arr.shape)}"


def _label(node):
    generated = node.name.split("_")[0] == node.op.name.split("_")[0]  # "constant_1"
    parts = [node.op.name if generated else f"{node.name}: {node.op.name}"]
    if node.op.name == "constant":
        text = _constant_text(node)
        if text is not None:
            parts.append(text)
    if node.location is not None:
        parts.append(node.location.short())
    return "\\n".join(parts)


def _fusion_body(node):
    """The body graph of a fusion node whose params and results match its inputs and outputs one
    to one (so it can be drawn inline), else None."""
    regions = dict(node.regions)
    body = regions.get("body", node.attrs.get("body"))
    if node.op.name != "fusion" or not hasattr(body, "nodes") or set(regions) - {"body"}:
        return None
    if len(body.params) != len(node.inputs) or len(body.results) != len(node.outputs):
        return None
    return body


def _count_ops(graph):
    return sum(1 + sum(_count_ops(r) for r in dict(n.regions).values()) for n in graph.nodes)


def to_dot(graph):
    """The graph as Graphviz DOT text (deterministic; fusion kernels and regions as clusters)."""
    lines = [f"digraph {_quote(graph.name)} {{", _GRAPH_STYLE, _NODE_STYLE, _EDGE_STYLE]
    source = {}                     # id(value) -> (dot node id, output index or None)
    # Edges go last, at the top level: an edge written inside a cluster would pull both of its
    # ends into that cluster.
    edges = []
    node_ids, counters = {}, {"param": 0, "cluster": 0, "result": 0}

    def nid(node):
        key = id(node)
        if key not in node_ids:
            node_ids[key] = f"n{len(node_ids)}"
        return node_ids[key]

    def edge(pad, value, target):
        src = source.get(id(value))
        if src is None:  # a value from an enclosing scope drawn nowhere (should not happen)
            return
        sid, index = src
        if value.is_token:
            attrs = "style=dashed, color=\"#aaaaaa\""
        else:
            text = str(value.type) if index is None else f"{index}: {value.type}"
            attrs = f"label={_quote(' ' + text)}"
        edges.append(f"  {sid} -> {target} [{attrs}];")

    def emit_params(g, pad):
        for p in g.params:
            pid = f"p{counters['param']}"
            counters["param"] += 1
            label = _quote(f"{p.name or 'arg'}: {p.type}")
            lines.append(f"{pad}{pid} [{_PARAM_STYLE}, label={label}];")
            source[id(p)] = (pid, None)

    def emit_nodes(g, indent):
        pad = "  " * indent
        for node in g.nodes:
            body = _fusion_body(node)
            if body is not None:
                emit_fusion(node, body, indent)
                continue
            n = nid(node)
            style = f", {_CONST_STYLE}" if node.op.name == "constant" else ""
            lines.append(f"{pad}{n} [label={_quote(_label(node))}{style}];")
            for v in node.inputs:
                edge(pad, v, n)
            many = len([v for v in node.outputs if not v.is_token]) > 1
            for i, v in enumerate(node.outputs):
                source[id(v)] = (n, i if many else None)
            for rname, region in dict(node.regions).items():
                counters["cluster"] += 1
                cname = f"cluster_{counters['cluster']}"
                lines.append(f"{pad}subgraph {cname} {{")
                lines.append(f"{pad}  graph [{_REGION_STYLE}];")
                lines.append(f"{pad}  label={_quote(f'{node.name}.{rname}')};")
                emit_params(region, pad + "  ")
                emit_nodes(region, indent + 1)
                emit_results(region, pad + "  ")
                lines.append(f"{pad}}}")
                anchor = f"p{counters['param'] - len(region.params)}" if region.params else None
                if anchor is not None:
                    edges.append(f"  {n} -> {anchor} [style=dotted, arrowhead=none, "
                                 f"lhead={cname}];")

    def emit_fusion(node, body, indent):
        pad = "  " * indent
        counters["cluster"] += 1
        where = f" — {node.location.short()}" if node.location is not None else ""
        title = f"{node.name}: {_count_ops(body)} ops, one kernel{where}"
        lines.append(f"{pad}subgraph cluster_{counters['cluster']} {{")
        lines.append(f"{pad}  graph [{_FUSION_STYLE}];")
        lines.append(f"{pad}  label={_quote(title)};")
        for p, outer in zip(body.params, node.inputs):
            if id(outer) in source:
                source[id(p)] = source[id(outer)]
        emit_nodes(body, indent + 1)
        lines.append(f"{pad}}}")
        for r, out in zip(body.results, node.outputs):
            if id(r) in source:
                source[id(out)] = source[id(r)]

    def emit_results(g, pad):
        for i, r in enumerate(g.results):
            rid = f"r{counters['result']}"
            counters["result"] += 1
            name = "effects" if r.is_token else f"result {i}"
            lines.append(f"{pad}{rid} [{_RESULT_STYLE}, label={_quote(name)}];")
            edge(pad, r, rid)

    pad = "  "
    lines.append("  compound=true;")
    emit_params(graph, pad)
    emit_nodes(graph, 1)
    emit_results(graph, pad)
    lines += edges
    lines.append("}")
    return "\n".join(lines)
