"""Imports run one way: the package-level import graph follows the layering in
docs/architecture.md ("Layering"), with no cycle between layers.

Every `import` / `from ... import` of the package is read with `ast` — at module top level and
inside functions alike (a function-level import hides a cycle from Python, not from this test).
Each module belongs to the layer of its longest matching prefix in LAYERS; an import may go to
the same layer or a lower one, so no cycle can join two layers. A new upward import fails here:
move the shared piece down (a leaf module, as ops/recording.py did for the tape), or pass it in
from above. Separately, top-level imports form no cycle between modules at all, and no import
(function-level ones included) forms a cycle between packages: the units of LAYERS, and in the
api layer each top-level package or module (`data`, `io`, `sparse`, `keras`, `train`, ...).
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Lowest first. Keep in step with docs/architecture.md.
LAYERS = [
    ("base", ["errors", "dtypes", "tensor_shape", "nest", "runtime", "tracing.context",
              "tracing.structure", "tracebacks", "name_scopes"]),
    ("ir", ["ir", "autograph.origin"]),
    ("tensor", ["tensor", "tracing.symbolic"]),
    ("ops", ["ops", "tracing.builder"]),
    ("state", ["variables", "module"]),
    ("autodiff", ["autodiff"]),
    ("control", ["ops.control_ops", "ops.while_grad"]),
    ("autograph", ["autograph"]),
    ("compiler", ["passes", "codegen", "config"]),
    ("tracing", ["tracing"]),
    ("api", ["", "debugging", "linalg", "math", "nn", "random", "demo", "keras",
             "saved_model", "data", "io", "sparse", "summary", "train", "train_example"]),
]

def _module_name(path):
    if path.is_relative_to(ROOT / "runtime"):
        parts = ["runtime", *path.relative_to(ROOT / "runtime").with_suffix("").parts]
    else:
        parts = list(path.relative_to(ROOT / "autograph_jit").with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    files = list((ROOT / "autograph_jit").rglob("*.py")) + list((ROOT / "runtime").rglob("*.py"))
    return {_module_name(p): p for p in files}


_IMPORTS = {}


def _imports(modules, top_level_only=False):
    """(importer, imported module, line) for every import of the package, relative or absolute;
    top_level_only: only those run when the module is imported (not inside a function)."""
    key = (tuple(sorted(modules)), top_level_only)
    if key not in _IMPORTS:
        _IMPORTS[key] = _read_imports(modules, top_level_only)
    return _IMPORTS[key]


def _read_imports(modules, top_level_only):
    out = []
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        package = [p for p in package if p]
        tree = ast.parse(path.read_text(), str(path))
        nested = {id(n) for fn in ast.walk(tree)
                  if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                  for n in ast.walk(fn)} if top_level_only else set()
        for node in ast.walk(tree):
            if id(node) in nested:
                continue
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("autograph_jit"):
                    target = node.module[len("autograph_jit"):].lstrip(".")
                else:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}".lstrip(".")
                    targets.append(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                targets = [a.name[len("autograph_jit"):].lstrip(".") for a in node.names
                           if a.name.split(".")[0] == "autograph_jit"]
            out.extend((name, t, node.lineno) for t in targets)
    return out


def _layer_of(module):
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (prefix == "" and best_len < 0) or module == prefix or \
                    module.startswith(prefix + "."):
                if len(prefix) > best_len:
                    best, best_len = index, len(prefix)
    return best


def _prefix_of(module):
    best = ""
    for _, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best = prefix
    return best


def _upward_imports():
    modules = _modules()
    found = {}
    for src, dst, line in _imports(modules):
        ls, ld = _layer_of(src), _layer_of(dst)
        if ld > ls:
            found.setdefault((_prefix_of(src) or "<package>", dst), []).append(
                f"{src}:{line} imports {dst} ({LAYERS[ls][0]} -> {LAYERS[ld][0]})")
    return found


def _unit(module):
    """The package a module belongs to for the cycle check: its LAYERS prefix, or in the api
    layer its top-level package or module."""
    prefix = _prefix_of(module)
    return prefix if prefix else (module.split(".")[0] or "<package>")


def _package_cycles():
    graph = {}
    for src, dst, _ in _imports(_modules()):
        a, b = _unit(src), _unit(dst)
        if a != b:
            graph.setdefault(a, set()).add(b)
    return {frozenset(c) for c in _cycles(graph)}


def test_no_import_cycle_between_packages():
    # (the last three, inside the core, were untied as docs/architecture.md "Layering" says)
    new = _package_cycles()
    assert new == set(), "packages import each other (move the shared piece into a module " \
        "below both, as string_tensor.py is for data, io and sparse): " + "; ".join(
            " <-> ".join(sorted(c)) for c in new)


def test_every_module_is_in_a_layer():
    assert [m for m in _modules() if _layer_of(m) is None] == []


def test_imports_only_go_down_the_layers():
    new = _upward_imports()
    assert new == {}, "an import goes up the layering (docs/architecture.md): " + "; ".join(
        line for lines in new.values() for line in lines)


def test_the_runtime_never_imports_the_compiler():
    modules = _modules()
    assert [(s, d) for s, d, _ in _imports(modules)
            if s.startswith("runtime") and not d.startswith("runtime") and d != "errors"] == []


def _cycles(graph):
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules_at_import_time():
    """Top-level imports form no cycle between modules, so each module can be imported first."""
    modules = _modules()
    graph = {}
    for src, dst, _ in _imports(modules, top_level_only=True):
        if src == dst:
            continue
        graph.setdefault(src, set()).add(dst)
    # importing a.b.c first runs a.b's __init__, so what that imports from outside a.b comes first
    for name in modules:
        parts = name.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            graph.setdefault(name, set()).update(
                d for d in graph.get(parent, ()) if not d.startswith(parent + "."))
    assert _cycles(graph) == []

