"""The LLVM CPU backend: `CpuFunction(graph)` runs a graph as native code.

Each distinct tuple of input shapes (and variable shapes) gets its own Executable (one LLVM
module; see executable.py). When a top-level node's output shape depends on data (boolean_mask,
a loop whose variables change shape), the partitioner compiles the nodes before it, runs that
node on the interpreter, and compiles the rest for the shapes it produced: a Plan of segments.
"""
import time

from ...ir.graph import Graph
from ...runtime.interpreter import run_graph, run_node
from .executable import Executable
from .specialize import Spec, Unspecializable, specialize


MAX_SPECIALIZATIONS = 8  # compiled shape variants per graph (or graph segment)


class _WholeGraph:
    """Stands for a whole graph in the fallback list (it has no single op or location)."""

    def __init__(self, graph):
        self.op = type("op", (), {"name": f"all of {graph.name}"})
        self.location = None


class FallbackError(RuntimeError):
    """strict=True and some op would run on the interpreter."""


class CpuFunction:
    def __init__(self, graph, name="f", strict=False, math_provider=None, on_compile=None,
                 on_fallback=None):
        self.graph = graph
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
            if len(self._plans) >= MAX_SPECIALIZATIONS:
                return self._interpret(arrays)
            plan = self._plans[key] = self._plan(arrays)
        return plan(arrays)

    def _interpret(self, arrays):
        """Past MAX_SPECIALIZATIONS input shapes, new shapes run on the interpreter (compiling
        each would cost more than it saves: e.g. a boolean_mask whose count varies per call)."""
        if not self._interpreting:
            self._interpreting = True
            self.fallbacks.append((_WholeGraph(self.graph), (
                f"more than {MAX_SPECIALIZATIONS} distinct input shapes: further shapes run on "
                "the interpreter (declare fixed shapes, or pad, to stay compiled)")))
            if self.on_fallback is not None:
                self.on_fallback()
        it = iter(arrays)
        args = [None if p.is_token else next(it) for p in self.graph.params]
        outs = run_graph(self.graph, args)
        return [o for o, r in zip(outs, self.graph.results) if not r.is_token]

    def prepare(self, arrays):
        """Compile for these arrays' shapes without running anything."""
        key = self._key(arrays)
        if key not in self._plans:
            self._plans[key] = self._plan(arrays)

    def _plan(self, arrays):
        specs = [Spec(p.type.dtype, a.shape) for p, a in zip(self.graph.data_params, arrays)]
        tok = iter(specs)
        param_specs = [None if p.is_token else next(tok) for p in self.graph.params]
        env = {}
        for p, s in zip(self.graph.params, param_specs):
            env[p.id] = s
        from .specialize import specialize_node
        for i, node in enumerate(self.graph.nodes):
            try:
                specialize_node(node, env)
            except Unspecializable as e:
                return self._segmented(i, node, e)
        return self._compile(self.graph, specs)

    def _compile(self, graph, specs):
        try:
            exe = Executable(graph, specs, math_provider=self.math_provider)
        except Exception as e:  # a backend gap (e.g. a dtype without a lowering): stay correct
            self._note_fallback(_WholeGraph(graph), f"the CPU backend could not compile it: "
                                                    f"{type(e).__name__}: {e}"[:300])
            return self._interpret
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

    def _segmented(self, index, node, error):
        reason = f"output shape depends on data: {error.reason}"
        self._note_fallback(node, reason)
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
                                self.on_compile)  # their fallbacks reach us through Plan below
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
                for f in (prefix_fn, suffix_fn):
                    for n, r in f.fallbacks:
                        parent._note_fallback(n, r)
                    parent.executables.extend(e for e in f.executables
                                              if e not in parent.executables)
                return res
        return Plan()

    def report_lines(self):
        lines = []
        for node, reason in self.fallbacks:
            loc = f" ({node.location.short()})" if node.location is not None else ""
            lines.append(f"fallback: {node.op.name}{loc} runs on the interpreter: {reason}")
        return lines


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
