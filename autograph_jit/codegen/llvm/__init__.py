"""The LLVM CPU backend: `CpuFunction(graph)` runs a graph as native code.

Each distinct tuple of input shapes (and variable shapes) gets its own Executable (one LLVM
module; see executable.py), as far as the variant policy (variants.py) allows: a shape it does
not compile runs on the interpreter. When a top-level node's output shape depends on data (boolean_mask,
a loop whose variables change shape), the partitioner compiles the nodes before it, runs that
node on the interpreter, and compiles the rest for the shapes it produced: a Plan of segments.
A TensorArray grown natively (specialize.py: growable) ends a segment without any interpreter
node: the segment returns it to Python as an array (dynamic_exe.py) at the first top-level node
that needs its exact shape, and the rest is compiled for the size it reached.
"""
from ...errors import FallbackError
from ...ir.graph import Graph
from ...runtime import forksafe
from ...runtime.interpreter import run_graph, run_node
from .dynamic_exe import DynamicExecutable
from .executable import Executable
from .specialize import NeedsConcrete, Spec, Unspecializable, specialize
from .variants import MAX_VARIANTS, VariantPolicy


MAX_SPECIALIZATIONS = MAX_VARIANTS  # compiled shape variants per graph (or graph segment)


class _WholeGraph:
    """Stands for a whole graph in the fallback list (it has no single op or location)."""

    def __init__(self, graph):
        self.op = type("op", (), {"name": f"all of {graph.name}"})
        self.location = None


class CpuFunction:
    def __init__(self, graph, name="f", strict=False, math_provider=None, on_compile=None,
                 on_fallback=None, notes=()):
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
        self._variants = VariantPolicy()
        self._plan_lock = forksafe.RLock()
        from .executable import variables_of
        self._variables = variables_of(graph)[0]

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
                    compiled = len(self._plans)
                    # strict=True compiles every shape it may (its alternative is an error)
                    if not (self._variants.should_compile(key, compiled)
                            or (self.strict and compiled < MAX_VARIANTS)):
                        plan = self._interpret
                    else:
                        plan = self._plans[key] = self._plan(arrays)
        return plan(arrays)

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
                self._plans[key] = self._plan(arrays)

    def _plan(self, arrays):
        specs = [Spec(p.type.dtype, a.shape) for p, a in zip(self.graph.data_params, arrays)]
        tok = iter(specs)
        param_specs = [None if p.is_token else next(tok) for p in self.graph.params]
        env = {}
        for p, s in zip(self.graph.params, param_specs):
            env[p.id] = s
        from .specialize import at_node, last_uses, specialize_node
        last = last_uses(self.graph)
        for i, node in enumerate(self.graph.nodes):
            at_node(env, last, i, self.graph)
            try:
                specialize_node(node, env)
            except NeedsConcrete as e:
                if i == 0:  # (a growable never enters a graph: this is a defensive guard)
                    return self._segmented(i, node, e)
                return self._split(i, node, e)
            except Unspecializable as e:
                return self._segmented(i, node, e)
        grows = any(env[r.id] is not None and env[r.id].growable for r in self.graph.results)
        return self._compile(self.graph, specs, DynamicExecutable if grows else Executable)

    def _compile(self, graph, specs, kind=None):
        try:
            exe = (kind or Executable)(graph, specs, math_provider=self.math_provider)
        except Exception as e:  # a backend gap (e.g. a dtype without a lowering): stay correct
            self._note_fallback(_WholeGraph(graph), f"the CPU backend could not compile it: "
                                                    f"{type(e).__name__}: {e}"[:300])
            return self._interpret
        exe.notes = _grown_notes(exe) + self.notes if kind is DynamicExecutable else []
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

    def _split(self, index, node, error):
        """Nodes before `index` compiled, returning the TensorArrays they grew natively to Python
        as arrays of the size they reached; the rest compiled for those shapes. Not a fallback:
        every node runs as native code."""
        g = self.graph
        before, after = g.nodes[:index], g.nodes[index:]
        need_later = _uses(after) | {r.id for r in g.results}
        live = _live_values(g.params, before, need_later)
        prefix = Graph(f"{g.name}.part", list(g.params), before, live)
        suffix = Graph(f"{g.name}.rest", live, after, list(g.results))
        loc = f" ({node.location.short()})" if node.location is not None else ""
        note = (f"native: the segment ends before {node.op.name}{loc} ({error.reason}); "
                f"{suffix.name} is compiled for the size the TensorArray reached")
        prefix_fn = CpuFunction(prefix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=[note])
        suffix_fn = CpuFunction(suffix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=self.notes)
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
        before, after = g.nodes[:index], g.nodes[index + 1:]
        need_later = _uses(after) | {r.id for r in g.results}
        live = _live_values(g.params, before, need_later | {v.id for v in node.inputs})
        prefix = Graph(f"{g.name}.part", list(g.params), before, live)
        mid_in = list(node.inputs)
        after_params = [v for v in live + list(node.outputs) if v.id in need_later]
        after_params = _dedupe(after_params)
        suffix = Graph(f"{g.name}.rest", after_params, after, list(g.results))
        prefix_fn = CpuFunction(prefix, self.name, self.strict, self.math_provider,
                                self.on_compile)
        suffix_fn = CpuFunction(suffix, self.name, self.strict, self.math_provider,
                                self.on_compile, notes=self.notes)  # fallbacks: see Plan
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


def _uses(nodes):
    out = set()
    for n in nodes:
        for v in n.inputs:
            out.add(v.id)
    return out


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


__all__ = ["CpuFunction", "FallbackError", "Executable", "specialize", "MAX_SPECIALIZATIONS"]
