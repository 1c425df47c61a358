"""Graphviz DOT rendering of a graph (`cf.to_dot()`): one box per node, regions as clusters."""


def _quote(text):
    # backslashes are kept: labels use DOT's own "\\n" line breaks
    return '"' + str(text).replace('"', '\\"') + '"'


def to_dot(graph):
    lines = [f"digraph {_quote(graph.name)} {{", "  node [shape=box, fontname=monospace];"]
    counter = [0]

    def ident(value):
        return f"v{value.id}"

    def emit(g, indent):
        pad = "  " * indent
        for p in g.params:
            label = _quote(f"{p.name or 'arg'}: {p.type}")
            lines.append(f"{pad}{ident(p)} [shape=ellipse, label={label}];")
        for node in g.nodes:
            nid = f"n{id(node)}"
            label = f"{node.name}\\n{node.op.name}"
            if node.location is not None:
                label += f"\\n{node.location.short()}"
            lines.append(f"{pad}{nid} [label={_quote(label)}];")
            for v in node.inputs:
                style = " [style=dashed]" if v.is_token else ""
                lines.append(f"{pad}{ident(v)} -> {nid}{style};")
            for v in node.outputs:
                lines.append(f'{pad}{ident(v)} [shape=point, xlabel={_quote(str(v.type))}];')
                lines.append(f"{pad}{nid} -> {ident(v)};")
            for rname, region in node.regions.items():
                counter[0] += 1
                lines.append(f"{pad}subgraph cluster_{counter[0]} {{")
                lines.append(f"{pad}  label={_quote(f'{node.name}.{rname}')};")
                emit(region, indent + 1)
                lines.append(f"{pad}}}")
        for i, r in enumerate(g.results):
            rid = f"r{id(g)}_{i}"
            lines.append(f"{pad}{rid} [shape=ellipse, label={_quote(f'result {i}')}];")
            lines.append(f"{pad}{ident(r)} -> {rid};")

    emit(graph, 1)
    lines.append("}")
    return "\n".join(lines)
