"""The LLVM CPU backend: `CpuFunction(graph)` runs a graph as native code.

A graph whose inputs have an unknown leading (batch) dim gets one SymbolicExecutable for every
size of that dim (symdim.py: kernels read it at run time), when all its ops support that;
otherwise each distinct tuple of input shapes (and variable shapes) gets its own Executable (one
LLVM module; see executable.py), as the variant policy (variants.py) says: a top-level graph
compiles every shape; a segment after a data-dependent shape may run a shape on the interpreter. When a top-level node's output shape depends on data (boolean_mask,
a loop whose variables change shape), the partitioner compiles the nodes before it, runs that
node on the interpreter, and compiles the rest for the shapes it produced: a Plan of segments.
A TensorArray grown natively (specialize.py: growable) ends a segment without any interpreter
node: the segment returns it to Python as an array (dynamic_exe.py) at the first top-level node
that needs its exact shape, and the rest is compiled for the size it reached.
"""
from ...errors import FallbackError
from ...ir.graph import Graph
from ...ir.graph_cut import cut_graph
from ...runtime import forksafe
from ...runtime.interpreter import run_graph, run_node
from .dynamic_exe import DynamicExecutable
from .executable import Executable, SymbolicExecutable, variables_of
from .specialize import (NeedsConcrete, Spec, Unspecializable, specialize, at_node, last_uses,
                         specialize_node)
from .symdim import SymbolicUnsupported, specialize_symbolic, symbolic_params
from .variants import MAX_VARIANTS, PLAN_CACHE, VariantPolicy


MAX_SPECIALIZATIONS = MAX_VARIANTS  # compiled shape variants per graph (or graph segment)


class _WholeGraph:
    """Stands for a whole graph in the fallback list (it has no single op or location)."""

    def __init__(self, graph):
        self.op = type("op", (), {"name": f"all of {graph.name}"})
        self.location = None


# dtypes with no native representation: a graph holding one runs on the interpreter
HOST_ONLY_DTYPES = frozenset({"string", "complex64", "complex128"})


def host_only_values(graph):
    """'tf.string values' (or complex) when `graph` or a region in it has a value of a dtype
    in HOST_ONLY_DTYPES, else None."""
    found = set()

    def visit(g):
        for v in list(g.params) + list(g.results):
            if not v.is_token and v.type.dtype.name in HOST_ONLY_DTYPES:
                found.add(v.type.dtype.name)
        for node in g.nodes:
            for v in node.outputs:
                if not v.is_token and v.type.dtype.name in HOST_ONLY_DTYPES:
                    found.add(v.type.dtype.name)
            for a in node.attrs.values():
                if isinstance(a, Graph):
                    visit(a)
    visit(graph)
    if not found:
        return None
    return " and ".join(f"tf.{d} values" for d in sorted(found))


class CpuFunction:
    def __init__(self, graph, name="f", strict=False, math_provider=None, on_compile=None,
                 on_fallback=None, notes=(), data_dependent=False):
        self.graph = graph
        self.notes = list(notes)          # report lines for what returns grown TensorArrays
        self.name = name
        self.strict = strict
        self.math_provider = math_provider
        self.on_compile = on_compile      # callback(executable) for timings / reports
        self.on_fallback = on_fallback    # callback() after a fallback is recorded (reports)
        self._plans = {}
        self.executables = []
        self.fallbacks = []               # (node, reason), deduplicated by node
        self._fallback_ids = set()
        self._interpreting = False
        self._variants = VariantPolicy(data_dependent)
        self._data_dependent = data_dependent  # a segment after a data-dependent shape
        self._compiled = 0                # per-shape plans compiled
        self._sym = None                  # symbolic data params (symdim.py), [] if none
        self._sym_exe = None              # the SymbolicExecutable, once compiled
        self._cuts = {}                   # (how, node index) -> plan of a segmented graph
        self.symbolic_reason = None       # why a graph with a None dim is compiled per shape
        self._plan_lock = forksafe.RLock()
        self._variables = variables_of(graph)[0]
        self.host_lines = []              # report lines for a graph that runs on the host
        self.on_host_note = None          # callback(line) when one is added

    def _key(self, arrays):
        key = tuple([a.shape for a in arrays])
        if self._variables:  # a variable declared with unknown dims may change shape
            key += tuple([v._value.shape for v in self._variables])
        return key

    def __call__(self, arrays):
        """arrays: one ndarray per data param -> list of ndarrays (data results)."""
        key = tuple([a.shape for a in arrays])
        if self._variables:
            key += tuple([v._value.shape for v in self._variables])
        plan = self._plans.get(key)
        if plan is None:
            with self._plan_lock:  # threads must share one executable (its lock guards state)
                plan = self._plans.get(key)
                if plan is None:
                    plan = self._symbolic(arrays)
                if plan is None:
                    compiled = self._compiled
                    # strict=True compiles every shape it may (its alternative is an error)
                    if not (self._variants.should_compile(key, compiled)
                            or (self.strict and compiled < MAX_VARIANTS)):
                        plan = self._interpret
                    else:
                        plan = self._plan(arrays)
                        self._compiled += 1
                        self._remember(key, plan)
                else:
                    self._remember(key, plan)
        return plan(arrays)

    def _remember(self, key, plan):
        if len(self._plans) >= PLAN_CACHE:  # forget the oldest plan (recompiled if it recurs)
            del self._plans[next(iter(self._plans))]
        self._plans[key] = plan

    def _symbolic(self, arrays):
        """The SymbolicExecutable for these arrays (compiled on first use), or None when the
        graph has no symbolic dim, cannot take one (symbolic_reason says why), or the arrays
        do not fit it (symbolic inputs of different sizes: the per-shape path then raises the
        error eager raises, or broadcasts a size 1 as eager does)."""
        if self._sym is None:
            self._sym, why = ([], None) if self._data_dependent else symbolic_params(self.graph)
            self.symbolic_reason = self.symbolic_reason or why
        if not self._sym or self.symbolic_reason is not None:
            return None
        n = arrays[self._sym[0]].shape[0] if arrays[self._sym[0]].ndim else None
        if any(arrays[k].ndim == 0 or arrays[k].shape[0] != n for k in self._sym):
            return None
        exe = self._sym_exe
        if exe is None:
            params = self.graph.data_params
            try:
                specs, in_specs = specialize_symbolic(
                    self.graph, [(p.type.dtype, a.shape) for p, a in zip(params, arrays)],
                    self._sym)
                exe = SymbolicExecutable(self.graph, specs, in_specs, self._sym,
                                         math_provider=self.math_provider)
            except SymbolicUnsupported as e:
                self.symbolic_reason = str(e)
                return None
            except Exception as e:  # a backend gap: compile per shape instead
                self.symbolic_reason = (f"the CPU backend could not compile it with a symbolic "
                                        f"dim: {type(e).__name__}: {e}"[:300])
                return None
            if exe.fallbacks:  # host callbacks see static shapes: compile per shape instead
                self.symbolic_reason = "an op runs through a host callback"
                return None
            exe.notes = [_symbolic_note(self.graph, exe)]
            self._sym_exe = exe
            self.executables.append(exe)
            if self.on_compile is not None:
                self.on_compile(exe)
        for k, (a, s) in enumerate(zip(arrays, exe.param_specs)):
            if a.ndim != len(s.shape) or any(d != e for d, e in zip(a.shape[1:], s.shape[1:])) \
                    or (k not in self._sym and a.shape[:1] != s.shape[:1]):
                return None
        return exe

    def _interpret(self, arrays):
        """A shape the variant policy (variants.py) does not compile (yet) runs on the
        interpreter: compiling every shape of a stream of new ones would cost more than it
        saves, e.g. a boolean_mask whose count varies per call."""
        if not self._interpreting:
            self._note_fallback(_WholeGraph(self.graph), self._variants.reason())  # strict: raises
            self._interpreting = True
        it = iter(arrays)
        args = [None if p.is_token else next(it) for p in self.graph.params]
        outs = run_graph(self.graph, args)
        return [o for o, r in zip(outs, self.graph.results) if not r.is_token]

    def prepare(self, arrays):
        """Compile for these arrays' shapes without running anything."""
        key = self._key(arrays)
        with self._plan_lock:
            if key not in self._plans:
                plan = self._symbolic(arrays)
                if plan is None:
                    plan = self._plan(arrays)
                    self._compiled += 1
                self._remember(key, plan)

    def _plan(self, arrays):
        host = host_only_values(self.graph)
        if host is not None:
            return self._host_plan(host)
        specs = [Spec(p.type.dtype, a.shape) for p, a in zip(self.graph.data_params, arrays)]
        # The common case first: with no TensorArray op (nothing grows natively, so no cut at a
        # grown array and no grown result), the Executable specializes the whole graph itself,
        # once: the loop below would specialize it a second time (~2 ms for a Keras train
        # step). Where that fails (a cut at a data-dependent shape, a backend gap), the loop
        # below finds it and cuts, reports or raises as it always did.
        if not _has_tensor_arrays(self.graph):
            try:
                exe = Executable(self.graph, specs, math_provider=self.math_provider)
            except Exception:  # noqa: BLE001 - met (again) below
                exe = None
            if exe is not None:
                return self._adopt(exe)
        tok = iter(specs)
        param_specs = [None if p.is_token else next(tok) for p in self.graph.params]
        env = {}
        for p, s in zip(self.graph.params, param_specs):
            env[p.id] = s
        last = last_uses(self.graph)
        for i, node in enumerate(self.graph.nodes):
            at_node(env, last, i, self.graph)
            try:
                specialize_node(node, env)
            except NeedsConcrete as e:
                if i == 0:  # (a growable never enters a graph: this is a defensive guard)
                    return self._cut(i, node, e, self._segmented)
                return self._cut(i, node, e, self._split)
            except Unspecializable as e:
                return self._cut(i, node, e, self._segmented)
        grows = any(env[r.id] is not None and env[r.id].growable for r in self.graph.results)
        return self._compile(self.graph, specs, DynamicExecutable if grows else Executable)

    def _host_plan(self, reason):
        """A graph holding values no native code represents (strings, complex numbers) runs
        on the interpreter, by design: reported as a host line, not as a fallback."""
        line = (f"host: all of {self.graph.name} runs on the interpreter: it holds {reason}, "
                "which have no native lowering (tf.string and complex ops are host ops)")
        if line not in self.host_lines:
            self.host_lines.append(line)
            if self.on_host_note is not None:
                self.on_host_note(line)

        def run(arrays):
            it = iter(arrays)
            args = [None if p.is_token else next(it) for p in self.graph.params]
            outs = run_graph(self.graph, args)
            return [o for o, r in zip(outs, self.graph.results) if not r.is_token]
        return run

    def _compile(self, graph, specs, kind=None):
        try:
            exe = (kind or Executable)(graph, specs, math_provider=self.math_provider)
        except Exception as e:  # a backend gap (e.g. a dtype without a lowering): stay correct
            self._note_fallback(_WholeGraph(graph), f"the CPU backend could not compile it: "
                                                    f"{type(e).__name__}: {e}"[:300])
            return self._interpret
        return self._adopt(exe, kind)

    def _adopt(self, exe, kind=None):
        """Record a new executable: its notes, its fallbacks, the on_compile callback."""
        exe.notes = _grown_notes(exe) + self.notes if kind is DynamicExecutable else []
        if self.symbolic_reason is not None and self._compiled == 0 and exe.graph is self.graph:
            exe.notes.append(f"per-shape: {self.graph.name} has an unknown batch dim but is "
                             f"compiled once per input shape: {self.symbolic_reason}")
        self.executables.append(exe)
        for node, reason in exe.fallbacks:
            self._note_fallback(node, reason)
        if self.on_compile is not None:
            self.on_compile(exe)
        return exe

    def _note_fallback(self, node, reason):
        if id(node) in self._fallback_ids:
            return
        self._fallback_ids.add(id(node))
        self.fallbacks.append((node, reason))
        if self.on_fallback is not None:
            self.on_fallback()
        if self.strict:
            loc = f" at {node.location.short()}" if node.location is not None else ""
            raise FallbackError(
                f"{self.name}: op {node.op.name}{loc} would run on the interpreter ({reason}), "
                "and strict=True forbids fallbacks. Fix: use ops with a static output shape "
                "here, or drop strict=True.")

    def _cut(self, index, node, error, how):
        """The plan cutting the graph at node `index`, shared by every input shape cut there:
        its segments keep their own plans (a symbolic prefix compiles once for every batch
        size; the segment after a data-dependent shape applies the variant policy)."""
        key = (how.__name__, index)
        plan = self._cuts.get(key)
        if plan is None:
            plan = self._cuts[key] = how(index, node, error)
        return plan

    def _split(self, index, node, error):
        """Nodes before `index` compiled, returning the TensorArrays they grew natively to Python
        as arrays of the size they reached; the rest compiled for those shapes. Not a fallback:
        every node runs as native code."""
        cut = cut_graph(self.graph, index, node_on_host=False)
        prefix, suffix = cut.prefix, cut.suffix
        loc = f" ({node.location.short()})" if node.location is not None else ""
        note = (f"native: the segment ends before {node.op.name}{loc} ({error.reason}); "
                f"{suffix.name} is compiled for the size the TensorArray reached")
        prefix_fn = CpuFunction(prefix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=[note])
        suffix_fn = CpuFunction(suffix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=self.notes, data_dependent=True)
        parent = self

        class Plan:
            def __call__(self, arrays):
                res = suffix_fn(prefix_fn(list(arrays)))
                parent._absorb(prefix_fn, suffix_fn)
                return res
        return Plan()

    def _absorb(self, *fns):
        for f in fns:
            for n, r in f.fallbacks:
                self._note_fallback(n, r)
            self.executables.extend(e for e in f.executables if e not in self.executables)

    def _segmented(self, index, node, error):
        if node.op.host:  # a host op by design, not a fallback
            loc = f" ({node.location.short()})" if node.location is not None else ""
            self.notes.append(f"host: {node.op.name}{loc} runs in Python between two native "
                              f"segments ({error.reason})")
        else:
            self._note_fallback(node, f"output shape depends on data: {error.reason}")
        g = self.graph
        cut = cut_graph(g, index, node_on_host=True)
        prefix, suffix, live, after_params = cut.prefix, cut.suffix, cut.live, cut.suffix_params
        mid_in = list(node.inputs)
        prefix_fn = CpuFunction(prefix, self.name, self.strict, self.math_provider,
                                self.on_compile)
        suffix_fn = CpuFunction(suffix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=self.notes,  # fallbacks: see Plan
                                data_dependent=True)
        parent = self

        class Plan:
            def __call__(self, arrays):
                vals = prefix_fn(list(arrays))
                env = {}
                it = iter(arrays)
                for p in g.params:
                    env[p.id] = None if p.is_token else next(it)
                it = iter(vals)
                for v in live:
                    env[v.id] = None if v.is_token else next(it)
                outs = run_node(node, [env[v.id] for v in mid_in])
                for v, o in zip(node.outputs, outs):
                    env[v.id] = o
                res = suffix_fn([env[v.id] for v in after_params if not v.is_token])
                parent._absorb(prefix_fn, suffix_fn)
                return res
        return Plan()

    def report_lines(self):
        lines = []
        for node, reason in self.fallbacks:
            loc = f" ({node.location.short()})" if node.location is not None else ""
            lines.append(f"fallback: {node.op.name}{loc} runs on the interpreter: {reason}")
        return lines


def _has_tensor_arrays(graph):
    """Whether `graph` (regions included) holds a TensorArray op: only their writes make a
    growable value (specialize.py), which a plain Executable cannot return."""
    return any(node.op.name.startswith("tensor_array") for node in graph.walk())


def _symbolic_note(graph, exe):
    """The report line of a SymbolicExecutable: which dims are symbolic."""
    names = [p.name or f"input {k}" for k, p in enumerate(graph.data_params) if k in exe.sym]
    return (f"symbolic: the leading dim n of {', '.join(names)} is a run-time size: one "
            f"executable serves every n (kernels read n at run time; workspace "
            f"{exe.workspace_bytes} B + {exe.ws_per_n} B per n; no per-shape variants: "
            f"codegen/llvm/variants.py)")


def _grown_notes(exe):
    """Report lines for a segment that returns natively grown TensorArrays."""
    where = []
    for k, _ in exe._grown:
        node = exe.graph.data_results[k].node
        if node is None:
            continue
        loc = f" ({node.location.short()})" if node.location is not None else ""
        text = f"{node.op.name}{loc}"
        if text not in where:
            where.append(text)
    return [f"native: {exe.graph.name} ends at a data-dependent shape: the TensorArray grown by "
            f"{', '.join(where)} is returned with the size it reached (not an interpreter "
            "fallback)"]


__all__ = ["CpuFunction", "FallbackError", "Executable", "specialize", "MAX_SPECIALIZATIONS"]
