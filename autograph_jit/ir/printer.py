"""The text form of graphs (the contract for `print(concrete_fn.graph)`).

One node a line, every value typed, scalar constants inlined as typed literals (`2.0:f32`),
user names kept where known, the user's file:line on the right, regions indented with their
explicit parameters, the effect token visible (`%t0:!effect`).
"""
import numpy as np
from ..dtypes import DType

_COMMENT_COLUMN = 72


class _Namer:
    def __init__(self):
        self.names = {}
        self.used = set()
        self.counter = 0
        self.tokens = 0

    def name(self, value):
        got = self.names.get(value.id)
        if got is not None:
            return got
        if value.is_token:
            text = f"t{self.tokens}"
            self.tokens += 1
        else:
            base = value.name
            if base and base.isidentifier() and base not in self.used:
                text = base
            elif base and base.isidentifier():
                k = 1
                while f"{base}_{k}" in self.used:
                    k += 1
                text = f"{base}_{k}"
            else:
                while str(self.counter) in self.used:
                    self.counter += 1
                text = str(self.counter)
                self.counter += 1
        self.used.add(text)
        self.names[value.id] = "%" + text
        return "%" + text


def _is_literal(value):
    node = value.node
    return (node is not None and node.op.name == "constant"
            and np.ndim(node.attrs["value"]) == 0)


def _literal(value):
    v = np.asarray(value.node.attrs["value"])
    if v.dtype.kind == "b":
        text = "true" if v else "false"
    elif v.dtype.kind == "f":
        text = repr(float(v))
    elif v.dtype.kind in "iu":
        text = str(int(v))
    else:  # strings, complex numbers
        text = repr(v[()])
    return f"{text}:{value.type.dtype.short}"


def _ref(namer, value):
    return _literal(value) if _is_literal(value) else namer.name(value)


def _decl(namer, value):
    return f"{namer.name(value)}:{value.type}"


def format_attr(key, value):
    if key == "var":
        return f'var="{value.name.rsplit(":", 1)[0]}"'
    if isinstance(value, DType):
        return f"{key}={value.name}"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=6, separator=",").replace("\n", "")
        return f"{key}={text}"
    if isinstance(value, str):
        return f"{key}={value!r}"
    if callable(value) or hasattr(value, "nodes"):
        return f"{key}=<{getattr(value, 'name', type(value).__name__)}>"
    return f"{key}={value!r}"


def _attrs_text(node):
    regions = node.regions
    items = [format_attr(k, v) for k, v in node.attrs.items() if k not in regions]
    return " {" + ", ".join(items) + "}" if items else ""


def _with_location(line, node):
    if node.location is None:
        return line
    pad = max(_COMMENT_COLUMN - len(line), 2)
    return line + " " * pad + "# " + node.location.short()


def _format_body(graph, namer, indent, lines):
    pad = "  " * indent
    for node in graph.nodes:
        if _is_literal(node.outputs[0]) and not node.regions:
            continue  # printed inline where used
        outs = ", ".join(_decl(namer, v) for v in node.outputs)
        ins = ", ".join(_ref(namer, v) for v in node.inputs)
        lhs = f"{outs} = " if outs else ""
        head = f"{pad}{lhs}{node.op.name}{' ' + ins if ins else ''}{_attrs_text(node)}"
        if node.op.name == "fusion":  # fusion[kind: what it holds] inputs { body }
            kind, label = node.attrs.get("kind"), node.attrs.get("label")
            head = f"{pad}{lhs}fusion[{kind}: {label}]{' ' + ins if ins else ''}"
        if not node.regions:
            lines.append(_with_location(head, node))
            continue
        lines.append(_with_location(head + " {", node))
        for rname, region in node.regions.items():
            params = ", ".join(_decl(namer, p) for p in region.params)
            lines.append(f"{pad}  {rname}({params}) {{")
            _format_body(region, namer, indent + 2, lines)
            yields = ", ".join(_ref(namer, r) for r in region.results)
            lines.append(f"{pad}    yield {yields}")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")


def format_graph(graph):
    namer = _Namer()
    params = ", ".join(_decl(namer, p) for p in graph.params)
    result_types = ", ".join(str(r.type) for r in graph.results)
    lines = [f"func {graph.name}({params}) -> ({result_types}) {{"]
    _format_body(graph, namer, 1, lines)
    lines.append("  return " + ", ".join(_ref(namer, r) for r in graph.results))
    lines.append("}")
    return "\n".join(lines)


def value_names(graph):
    """value id -> the name `format_graph(graph)` prints for it (e.g. '%logits', '%7')."""
    namer = _Namer()
    for p in graph.params:
        namer.name(p)
    _format_body(graph, namer, 1, [])
    for r in graph.results:
        if not _is_literal(r):
            namer.name(r)
    return dict(namer.names)
