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
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Lowest first. Keep in step with docs/architecture.md.
LAYERS = [
    ("base", ["errors", "dtypes", "tensor_shape", "nest", "runtime", "tracing.context",
              "tracing.structure", "tracebacks", "name_scopes", "variable_locks"]),
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
        tree = ast.parse(path.read_text(), str(path))
        nested = {id(n) for fn in ast.walk(tree)
                  if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                  for n in ast.walk(fn)} if top_level_only else set()
        for node in ast.walk(tree):
            if id(node) in nested:
                continue
            out.extend((name, t, node.lineno) for t in _targets_of(name, path, node, modules))
    return out


def _targets_of(name, path, node, modules):
    """The package's modules an import node in module `name` (file `path`) imports."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = [p for p in package if p]
    targets = []
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package[:len(package) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        elif (node.module or "").startswith("autograph_jit"):
            target = node.module[len("autograph_jit"):].lstrip(".")
        else:
            return []
        for alias in node.names:
            sub = f"{target}.{alias.name}".lstrip(".")
            targets.append(sub if sub in modules else target)
    elif isinstance(node, ast.Import):
        targets = [a.name[len("autograph_jit"):].lstrip(".") for a in node.names
                   if a.name.split(".")[0] == "autograph_jit"]
    return targets


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
    """Top-level imports form no cycle between modules, so each module can be imported first
    (an import of a.b.c counts as importing a and a.b too: their __init__ runs first)."""
    assert _cycles(_import_time_graph(_modules())) == []


def _ancestors(module):
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _import_time_graph(modules, extra=()):
    """module -> the modules its top-level imports run (plus `extra` (importer, imported) edges)."""
    graph = {}
    edges = [(s, d) for s, d, _ in _imports(modules, top_level_only=True)] + list(extra)
    for src, dst in edges:
        if src == dst:
            continue
        graph.setdefault(src, set()).add(dst)
        # importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is inside
        # them (then they are already running)
        mine = set(_ancestors(src)) | {src}
        graph[src].update(a for a in _ancestors(dst) if a in modules and a not in mine)
    # importing a.b.c first runs a.b's __init__, so what that imports from outside a.b comes first
    for name in modules:
        for parent in _ancestors(name):
            graph.setdefault(name, set()).update(
                d for d in graph.get(parent, ()) if not d.startswith(parent + "."))
    return graph



# -- function-level imports ---------------------------------------------------------------------
#
# An import inside a function hides the dependency from a reader and runs on every call; it belongs
# at the top of its module unless it must wait. Those that wait are listed here, by file and by
# the module imported (as written: ".sources", "h5py"), each with its reason:
OPTIONAL = ("optional dependency (an extra in pyproject.toml), directly or through a module of the "
            "package needing one (io/protos.py, tf.train's checkpoints: protobuf): importing the "
            "module must not need it")
IMPORT_TIME = ("import time: not loaded by `import autograph_jit` (<= 0.5 s); loads on first use "
               "(LLVM, SciPy, protobuf, tf.distribute's transports, ...)")
VERSION_PROBE = "probes a private attribute of one NumPy/llvmlite version, inside try/except"
# and "cycle: a > b > c": the imported module a already imports this one at top level (through b,
# c); a top-level import would close the cycle at import time. Untie the cycle to move it up.
LAZY_IMPORTS = {
    "autograph_jit/__init__.py": {
        "importlib": "keeps `metadata` out of the tf namespace; runs once, at import",
    },
    "autograph_jit/autograph/conversion.py": {
        ".operators": "cycle: autograph.operators > autograph.operators.calls > autograph.conversion",
    },
    "autograph_jit/autograph/operators/py_builtins.py": {
        ".loops": "cycle: autograph.operators.loops > autograph.operators.calls > autograph.operators.py_builtins",
    },
    "autograph_jit/autograph/operators/variables.py": {
        ".staging": "cycle: autograph.operators.staging > autograph.operators.variables",
    },
    "autograph_jit/autograph/transformer.py": {
        ".converters": "cycle: autograph.converters (via autograph/__init__) > autograph.api > autograph.conversion > autograph.transformer",
    },
    "autograph_jit/batch/dask.py": {
        "pandas": OPTIONAL,
    },
    "autograph_jit/batch/frames.py": {
        "pandas": OPTIONAL,
    },
    "autograph_jit/batch/spark.py": {
        "pyspark.ml.functions": OPTIONAL,
        "pyspark.sql": OPTIONAL,
    },
    "autograph_jit/codegen/gpu/backend.py": {
        "numpy": IMPORT_TIME,
    },
    "autograph_jit/codegen/gpu/lower.py": {
        ".dispatch": "cycle: codegen.gpu.dispatch > codegen.gpu.k_index > codegen.gpu.lower",
    },
    "autograph_jit/codegen/gpu/function.py": {
        ".segments": "cycle: codegen.gpu.segments > codegen.gpu.function",
    },
    "autograph_jit/eager_context.py": {
        ".codegen.gpu": IMPORT_TIME,
    },
    "autograph_jit/codegen/gpu/target.py": {
        "llvmlite": IMPORT_TIME,
        "llvmlite.binding": IMPORT_TIME,
    },
    "autograph_jit/keras/callbacks/remote_monitor.py": {
        "urllib": IMPORT_TIME,
    },
    "autograph_jit/codegen/llvm/backend.py": {
        ".vecmath": IMPORT_TIME,
    },
    "autograph_jit/codegen/llvm/executable.py": {
        "types": IMPORT_TIME,
    },
    "autograph_jit/codegen/llvm/lowering_cache.py": {
        ".backend": "cycle: codegen > codegen.llvm > codegen.llvm.backend > codegen.llvm.dynamic_exe > ...",
        "importlib": IMPORT_TIME,
        ".lower": IMPORT_TIME,
        ".early_parts": IMPORT_TIME,
        "llvmlite.binding": IMPORT_TIME,
    },
    "autograph_jit/codegen/llvm/native_call.py": {
        "llvmlite.binding": IMPORT_TIME,
    },
    "autograph_jit/codegen/llvm/symdim.py": {
        ".scalar": "cycle: codegen.llvm.scalar > codegen.llvm.emit > codegen.llvm.symdim",
        ".specialize": "cycle: codegen.llvm.specialize > codegen.llvm.symdim",
    },
    "autograph_jit/config.py": {
        ".codegen.llvm": IMPORT_TIME,
        ".runtime": IMPORT_TIME,
    },
    "autograph_jit/data/dataset.py": {
        ".batching": "cycle: data.batching > data.dataset",
        ".interleave": "cycle: data.interleave > data.dataset",
        ".iterator": "cycle: data.iterator > data.graph_loop > data.dataset",
        ".readers": "cycle: data.readers > data.dataset",
        ".sources": "cycle: data.sources > data.dataset",
        ".transforms": "cycle: data.transforms > data.dataset",
        ".windowing": "cycle: data.windowing > data.dataset",
    },
    "autograph_jit/distribute/comm_gloo.py": {
        "torch": OPTIONAL,
        "torch.distributed": OPTIONAL,
    },
    "autograph_jit/distribute/input_lib.py": {
        "..data.batching": IMPORT_TIME,
    },
    "autograph_jit/distribute/mirrored.py": {
        ".comm_gloo": IMPORT_TIME,
        ".comm_shm": IMPORT_TIME,
        ".mesh": IMPORT_TIME,
    },
    "autograph_jit/io/parsing.py": {
        ".protos": OPTIONAL,
    },
    "autograph_jit/io/serialize.py": {
        ".protos": OPTIONAL,
    },
    "autograph_jit/ir/graph.py": {
        ".printer": IMPORT_TIME,
    },
    "autograph_jit/ir/render.py": {
        "graphviz": OPTIONAL,
    },
    "autograph_jit/keras/backend.py": {
        ".layers.keras_tensor": "cycle: keras.layers.keras_tensor (via keras.layers/__init__) > keras.layers.rnn_cells > keras.layers._args > keras.backend",
        ".layers.layer": "cycle: keras.layers.layer > keras.layers.layer_utils > keras.backend",
    },
    "autograph_jit/keras/callbacks/callback.py": {
        ".history": "cycle: keras.callbacks.history > keras.callbacks.callback",
        ".progbar_logger": "cycle: keras.callbacks.progbar_logger > keras.callbacks.callback",
    },
    "autograph_jit/keras/datasets/digits.py": {
        "sklearn.datasets": OPTIONAL,
    },
    "autograph_jit/keras/identifiers.py": {
        ".saving": "cycle: keras.identifiers > keras.saving > keras.saving.serialization > keras.layers > keras.regularizers > keras.identifiers",
    },
    "autograph_jit/keras/layers/core.py": {
        "..saving": "cycle: keras.layers.core > keras.saving > keras.saving.serialization > keras.layers.core",
    },
    "autograph_jit/keras/layers/layer_utils.py": {
        "..saving.serialization": "cycle: keras.layers.layer_utils > keras.saving.serialization > keras.layers > keras.layers.layer > keras.layers.layer_utils",
        ".layer": "cycle: keras.layers.layer > keras.layers.layer_utils",
    },
    "autograph_jit/keras/utils/image_utils.py": {
        "PIL": OPTIONAL,
    },
    "autograph_jit/keras/layers/keras_tensor.py": {
        ".layer": "cycle: keras.layers.layer > keras.layers.keras_tensor",
        ".tensor_ops": "cycle: keras.layers.tensor_ops > keras.layers.layer > keras.layers.keras_tensor",
    },
    "autograph_jit/keras/layers/rnn.py": {
        "..layers": "cycle: keras.layers > keras.layers.rnn",
    },
    "autograph_jit/keras/layers/rnn_cells.py": {
        "..layers": "cycle: keras.layers > keras.layers.rnn_cells",
    },
    "autograph_jit/keras/layers/wrappers.py": {
        "..layers": "cycle: keras.layers > keras.layers.wrappers",
    },
    "autograph_jit/keras/models/functional.py": {
        "..layers.tensor_ops": "cycle: keras.models.functional > keras.layers.tensor_ops > keras.saving.serialization > keras.models",
        "..saving.serialization": "cycle: keras.models > keras.models.functional > keras.saving > keras.saving.serialization",
    },
    "autograph_jit/keras/models/model.py": {
        "..saving": "cycle: keras.models > keras.models.functional > keras.models.model > keras.models.sequential > ...",
        "..saving.keras_file": "cycle: keras.models > keras.models.functional > keras.models.model > keras.models.sequential > ...",
        "..saving.serialization": "cycle: keras.models > keras.models.functional > keras.models.model > keras.models.sequential > ...",
        "..saving.weights_h5": "cycle: keras.models > keras.models.functional > keras.models.model > keras.models.sequential > ...",
        ".functional": "cycle: keras.models.functional > keras.models.model",
        ".summary": "cycle: keras.models.functional > keras.models.model > keras.models.sequential > keras.models.summary",
        "numpy": IMPORT_TIME,
    },
    "autograph_jit/keras/models/saving_api.py": {
        "..saving.keras_file": "cycle: keras.models > keras.models.saving_api > keras.saving > keras.saving.keras_file > ...",
        "..saving.serialization": "cycle: keras.models > keras.models.saving_api > keras.saving > keras.saving.serialization",
    },
    "autograph_jit/keras/models/sequential.py": {
        "..saving.serialization": "cycle: keras.models > keras.models.sequential > keras.saving > keras.saving.serialization",
    },
    "autograph_jit/keras/models/trainer.py": {
        ".fit": "cycle: keras.callbacks > keras.callbacks.callback > keras.callbacks.files > keras.callbacks.history > ...",
    },
    "autograph_jit/keras/saving/tf_checkpoint.py": {
        "...train": OPTIONAL,
    },
    "autograph_jit/keras/saving/weights_h5.py": {
        ".keras_file": "cycle: keras.saving.keras_file > keras.saving.weights_h5",
        "h5py": OPTIONAL,
    },
    "autograph_jit/keras/utils/plot.py": {
        "IPython": OPTIONAL,
        "pydot": OPTIONAL,
    },
    "autograph_jit/keras/optimizers/loss_scale_optimizer.py": {
        ".serialize": "cycle: keras.optimizers > keras.optimizers.loss_scale_optimizer",
        ".deserialize": "cycle: keras.optimizers > keras.optimizers.loss_scale_optimizer",
    },
    "autograph_jit/ops/hash_ops.py": {
        "farmhash": OPTIONAL,
        "siphashc": OPTIONAL,
    },
    "autograph_jit/ops/array_ops.py": {
        ".gather_ops": "cycle: ops.gather_ops > ops.array_ops",
        ".slicing": "cycle: ops.slicing > ops.array_ops",
    },
    "autograph_jit/ops/linalg_ops.py": {
        "scipy.linalg": IMPORT_TIME,
    },
    "autograph_jit/ops/math_ops.py": {
        ".array_ops": "cycle: ops.array_ops > ops.math_ops",
        ".nn_ops": "cycle: ops.nn_ops > ops.math_ops",
    },
    "autograph_jit/ops/opdef.py": {
        "numpy._core": VERSION_PROBE,
    },
    "autograph_jit/ops/staged_lists.py": {
        ".array_ops": "cycle: ops.array_ops > ops.staged_lists",
    },
    "autograph_jit/ops/tensor_array.py": {
        ".array_ops": "cycle: ops.array_ops > ops.staged_lists > ops.tensor_array",
        ".gather_ops": "cycle: ops.gather_ops > ops.array_ops > ops.staged_lists > ops.tensor_array",
    },
    "autograph_jit/ops/tiling.py": {
        ".slicing": "cycle: ops.slicing > ops.tiling",
    },
    "autograph_jit/ragged/ragged_tensor.py": {
        ".dispatch": "cycle: ragged.dispatch > ragged.ragged_tensor",
    },
    "autograph_jit/saved_model/__init__.py": {
        ".default_signature": IMPORT_TIME,
        ".reading": IMPORT_TIME,
    },
    "autograph_jit/saved_model/reload.py": {
        ".load": "cycle: saved_model > saved_model.reload",
    },
    "autograph_jit/serving/grpc_server.py": {
        ".grpc_protos": OPTIONAL,
        "grpc": OPTIONAL,
    },
    "autograph_jit/summary/trace.py": {
        "tensorboard.compat.proto": OPTIONAL,
    },
    "autograph_jit/summary/writer.py": {
        ".encode": IMPORT_TIME,
        "tensorboard.compat.proto": OPTIONAL,
        "tensorboard.summary.writer.event_file_writer": OPTIONAL,
    },
    "autograph_jit/tracing/builder.py": {
        "..autograph": "cycle: autograph > autograph.api > autograph.operators > autograph.operators.exceptions > tracing.builder",
    },
    "autograph_jit/tracing/concrete.py": {
        "..passes.explain": IMPORT_TIME,
        "..codegen.gpu.backend": IMPORT_TIME,
        "..codegen.llvm.backend": IMPORT_TIME,
    },
    "autograph_jit/tracing/function.py": {
        "..codegen.llvm.native_call": IMPORT_TIME,
        "..codegen": IMPORT_TIME,
        "..codegen.gpu.function": IMPORT_TIME,
        ".pickling": "cycle: tracing.function > tracing.pickling",
    },
    "autograph_jit/tracing/warm_call.py": {
        "..codegen.llvm": IMPORT_TIME,
        "..codegen.llvm.executable": IMPORT_TIME,
    },
    "runtime/blas.py": {
        "scipy.linalg": IMPORT_TIME,
    },
    "runtime/cpu_engine.py": {
        "llvmlite.binding": VERSION_PROBE,
    },
    "runtime/gpu/__init__.py": {
        ".driver": IMPORT_TIME,
        ".emulator": IMPORT_TIME,
    },
    "runtime/gpu/driver.py": {
        "sys": IMPORT_TIME,
    },
    "runtime/gpu/emu_intrinsics.py": {
        "re": IMPORT_TIME,
    },
    "runtime/gpu/emulator.py": {
        "llvmlite.binding": IMPORT_TIME,
    },
    "runtime/gpu/nvptx.py": {
        "llvmlite.binding": IMPORT_TIME,
    },
}


def _function_level_imports():
    """{(file relative to the repository, imported module as written): [(line, node), ...]}."""
    found = {}
    for _, path in sorted(_modules().items()):
        tree = ast.parse(path.read_text(), str(path))
        seen = set()
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            for node in ast.walk(fn):
                if id(node) in seen or not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                seen.add(id(node))
                if isinstance(node, ast.Import):
                    keys = [a.name for a in node.names]
                elif node.module is None:
                    keys = ["." * node.level + a.name for a in node.names]
                else:
                    keys = ["." * node.level + node.module]
                rel = str(path.relative_to(ROOT))
                for key in keys:
                    found.setdefault((rel, key), []).append((node.lineno, node))
    return found


def test_function_level_imports_are_listed_with_a_reason():
    listed = {(f, m) for f, mods in LAZY_IMPORTS.items() for m in mods}
    new = {k: v for k, v in _function_level_imports().items() if k not in listed}
    assert new == {}, (
        "imports inside functions: " + "; ".join(f"{f}:{hits[0][0]} imports {m}"
                                                 for (f, m), hits in sorted(new.items())) +
        ". Fix: move each to the top of its module. If it must stay in the function, add it to "
        "LAZY_IMPORTS in tests/test_architecture.py with its reason: OPTIONAL (an optional "
        "dependency), IMPORT_TIME (a module `import autograph_jit` does not load), or "
        "'cycle: ...' naming the top-level import cycle it would close (better: untie it)")


def test_listed_function_level_imports_still_exist():
    # an entry whose import moved to the top (or went away) is stale: delete it from LAZY_IMPORTS
    found = _function_level_imports()
    stale = [(f, m) for f, mods in LAZY_IMPORTS.items() for m in mods if (f, m) not in found]
    assert stale == []


def test_lazy_imports_marked_cycle_would_close_one():
    """A "cycle: ..." entry names a real cycle: importing the module at top level would close it."""
    modules = _modules()
    by_path = {str(p.relative_to(ROOT)): name for name, p in modules.items()}
    found = _function_level_imports()
    wrong = []
    for rel, mods in LAZY_IMPORTS.items():
        for written, reason in mods.items():
            if not reason.startswith("cycle: ") or (rel, written) not in found:
                continue
            src, path = by_path[rel], ROOT / rel
            targets = {dst for _, node in found[rel, written]
                       for dst in _targets_of(src, path, node, modules)}
            if _cycles(_import_time_graph(modules, extra=[(src, t) for t in targets])) == []:
                wrong.append(f"{rel} imports {written}")
    assert wrong == [], "no cycle any more: move these to the top of their module: " + \
        "; ".join(wrong)


def test_import_autograph_jit_loads_no_compiler_backend():
    """`import autograph_jit` stays light (issue 14: <= 0.5 s): LLVM, SciPy and the code
    generators load on first use. A top-level import that pulls one in fails here; keep it in
    its function and list it in LAZY_IMPORTS as IMPORT_TIME."""
    code = ("import sys, autograph_jit; print(sorted(m for m in ('llvmlite', 'scipy', "
            "'autograph_jit.codegen.llvm', 'autograph_jit.codegen.gpu', "
            "'autograph_jit.runtime.gpu.driver', 'autograph_jit.runtime.cpu_engine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(ROOT))
    assert out.stdout.strip() == "[]"
