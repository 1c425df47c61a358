"""LLVM IR text cut into its top-level items, for backends that compile one module as several
parts on several threads (codegen/gpu/split.py: a plan's kernels; codegen/llvm/module_split.py:
a CPU function's kernels). Reads the text llvmlite.ir prints; anything it does not recognize
makes the callers compile the module whole.

- `items(ir_text)`: [(kind, name, text)] in module order, kinds "define" (a whole function,
  header to closing brace), "declare", "global" and "other" (the target lines, attribute
  groups, metadata, blank lines: name None); None when a definition never ends.
- `names_in(text)`: the global names (`@name` / `@"name"`) a text refers to, in order.
- `balanced_runs(names, sizes, most)`: the names in order, cut into at most `most` runs of
  about equal total size.

Example:
    for kind, name, text in items(ir_text):
        ...
"""
import re

__all__ = ["items", "names_in", "balanced_runs"]

_DEFINE = re.compile(r'^define\b[^@\n]*@("[^"]+"|[-\w.$]+)\(')
_DECLARE = re.compile(r'^declare\b[^@\n]*@("[^"]+"|[-\w.$]+)\(')
_GLOBAL = re.compile(r'^@("[^"]+"|[-\w.$]+)\s*=')
_REF = re.compile(r'@("[^"]+"|[-\w.$]+)')


def _name(token):
    return token[1:-1] if token.startswith('"') else token


def items(ir_text):
    """Top-level items of `ir_text`: [(kind, name, text)], or None (see the module docstring)."""
    lines = ir_text.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        m = _DEFINE.match(line)
        if m:
            j = i
            while j < len(lines) and lines[j] != "}":
                j += 1
            if j == len(lines):
                return None
            out.append(("define", _name(m.group(1)), "\n".join(lines[i:j + 1])))
            i = j + 1
            continue
        if (m := _DECLARE.match(line)):
            out.append(("declare", _name(m.group(1)), line))
        elif (m := _GLOBAL.match(line)):
            out.append(("global", _name(m.group(1)), line))
        else:
            out.append(("other", None, line))
        i += 1
    return out


def names_in(text):
    """The global names `text` refers to (`@f`, `@"k_0"`), in order of appearance."""
    return [_name(token) for token in _REF.findall(text)]


def balanced_runs(names, sizes, most):
    """`names` in order cut into at most `most` runs of about equal total `sizes`."""
    total = sum(sizes)
    runs, current, filled = [], [], 0
    for name, size in zip(names, sizes):
        current.append(name)
        filled += size
        left = len(names) - sum(map(len, runs)) - len(current)
        if left and len(runs) < most - 1 and filled >= total * (len(runs) + 1) / most:
            runs.append(current)
            current = []
    return runs + [current] if current else runs
