"""Graphviz DOT rendering of a graph (`cf.to_dot()`): one box per node, regions as clusters.

The text is deterministic: nodes and values are numbered in program order (n0, n1, ...; v0, v1,
...), so the same program gives the same DOT on every run. A box shows the op (and the node's
name when it differs), a constant's value, and the user's file:line.
"""
import numpy as np


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


def to_dot(graph):
    """The graph as Graphviz DOT text (deterministic; regions as clusters)."""
    lines = [f"digraph {_quote(graph.name)} {{", "  node [shape=box, fontname=monospace];"]
    value_ids, node_ids, counters = {}, {}, {"cluster": 0, "result": 0}

    def vid(value):
        key = id(value)
        if key not in value_ids:
            value_ids[key] = f"v{len(value_ids)}"
        return value_ids[key]

    def nid(node):
        key = id(node)
        if key not in node_ids:
            node_ids[key] = f"n{len(node_ids)}"
        return node_ids[key]

    def emit(g, indent):
        pad = "  " * indent
        for p in g.params:
            label = _quote(f"{p.name or 'arg'}: {p.type}")
            lines.append(f"{pad}{vid(p)} [shape=ellipse, label={label}];")
        for node in g.nodes:
            n = nid(node)
            lines.append(f"{pad}{n} [label={_quote(_label(node))}];")
            for v in node.inputs:
                style = " [style=dashed]" if v.is_token else ""
                lines.append(f"{pad}{vid(v)} -> {n}{style};")
            for v in node.outputs:
                lines.append(f'{pad}{vid(v)} [shape=point, xlabel={_quote(str(v.type))}];')
                lines.append(f"{pad}{n} -> {vid(v)};")
            regions = dict(node.regions)
            body = node.attrs.get("body")
            if body is not None and hasattr(body, "nodes") and "body" not in regions:
                regions["body"] = body  # a fusion node's ops, drawn as a cluster
            for rname, region in regions.items():
                counters["cluster"] += 1
                lines.append(f"{pad}subgraph cluster_{counters['cluster']} {{")
                lines.append(f"{pad}  label={_quote(f'{node.name}.{rname}')};")
                emit(region, indent + 1)
                lines.append(f"{pad}}}")
        for i, r in enumerate(g.results):
            rid = f"r{counters['result']}"
            counters["result"] += 1
            lines.append(f"{pad}{rid} [shape=ellipse, label={_quote(f'result {i}')}];")
            lines.append(f"{pad}{vid(r)} -> {rid};")

    emit(graph, 1)
    lines.append("}")
    return "\n".join(lines)
