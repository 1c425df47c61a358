"""Readable text of converted code (`tf.autograph.to_code`): astunparse's output with a comment
`# file.py:N` at the end of each line whose statement comes from a new original line."""
import ast
import io
import os

import astunparse

_MARK = "\x00"


class _Unparser(astunparse.Unparser):
    def __init__(self, tree, out):
        self._line = None
        super().__init__(tree, out)

    def dispatch(self, tree):
        if isinstance(tree, ast.stmt):
            self._line = getattr(tree, "lineno", None)
        super().dispatch(tree)

    def fill(self, text=""):
        mark = f"{_MARK}{self._line}{_MARK}" if self._line is not None else ""
        self.f.write("\n" + mark + "    " * self._indent + text)


def to_source(node, filename):
    """Source text of `node` with comments mapping lines back to `filename`."""
    out = io.StringIO()
    _Unparser(node, out)
    base = os.path.basename(filename)
    lines, last = [], None
    for raw in out.getvalue().split("\n"):
        line, lineno = raw, None
        if raw.startswith(_MARK):
            end = raw.index(_MARK, 1)
            lineno, line = int(raw[1:end]), raw[end + 1:]
        if not line.strip():
            continue
        if lineno is not None and lineno != last and not line.lstrip().startswith("@"):
            line = f"{line}  # {base}:{lineno}"
            last = lineno
        lines.append(line)
    return "\n".join(lines) + "\n"
