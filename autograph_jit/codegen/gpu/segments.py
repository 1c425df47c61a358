"""GPU segments around a data-dependent shape: instead of running a whole function on the host
when one of its top-level ops has an output shape known only at run time (`x[i:j]` with tensor
bounds, boolean_mask, unique), the graph is cut there as the CPU backend cuts it
(codegen/llvm/__init__.py `_segmented`): the nodes before it compile for the GPU (a GpuFunction
of their own), the op runs on the host interpreter (reported as a fallback with its reason;
`strict=True` still raises), and the nodes after it compile for the GPU per shape the op
produced (a GpuFunction whose plans follow the CPU backend's VariantPolicy for data-dependent
shapes: the first shapes compile on first use, later new shapes run on the interpreter until
they recur, at most MAX_VARIANTS compile). So the gradient of `x[i:j]` (strided_slice_grad with
run-time bounds, k_index.py) runs on the GPU as on the CPU.

A node inside a loop or branch, or a TensorArray that grows by a run-time amount, is not cut:
the function then runs whole on the host, reported (function.py's HostPlan).
"""
from ...ir.graph_cut import cut_graph
from ...runtime.interpreter import run_graph, run_node
from ..llvm.specialize import NeedsConcrete
from ..llvm.variants import VariantPolicy
from .function import HostPlan


class SegmentedPlan(HostPlan):
    """prefix (GPU) -> one node on the host -> suffix (GPU); see the module docstring. Calling
    it runs the three; `report_lines()` gives both segments' lines and the cut."""

    def __init__(self, fn, index, node, reason):
        g = fn.graph
        super().__init__(g, reason)
        cut = cut_graph(g, index, node_on_host=True)
        self.live, self.after_params = cut.live, cut.suffix_params
        make = type(fn)
        self.prefix = make(cut.prefix, fn.name, fn.strict, fn.device_kind)
        self.suffix = make(cut.suffix, fn.name, fn.strict, fn.device_kind)
        self.policy = VariantPolicy(data_dependent=True)
        self.node, self.graph, self.name = node, g, fn.name
        self.interpreted = False
        self.own = [] if node.op.host else [(node, f"output shape depends on data: {reason}")]
        self.fallbacks = list(self.own)

    def __call__(self, arrays):
        g = self.graph
        env = {}
        it = iter(arrays)
        for p in g.params:
            env[p.id] = None if p.is_token else next(it)
        if self.prefix.graph.nodes:
            vals = iter(self.prefix(arrays))
            for v in self.live:
                value = None if v.is_token else next(vals)
                env.setdefault(v.id, value)     # (a param passed through: the caller's array)
        outs = run_node(self.node, [env[v.id] for v in self.node.inputs])
        for v, o in zip(self.node.outputs, outs):
            env[v.id] = o
        rest = [env[v.id] for v in self.after_params if not v.is_token]
        key = self.suffix._key(rest)
        if key in self.suffix._plans or self.policy.should_compile(key, len(self.suffix._plans)):
            out = self.suffix(rest)
        else:
            self.interpreted = True
            res = run_graph(self.suffix.graph, [env[v.id] for v in self.after_params])
            out = [o for o, r in zip(res, g.results) if not r.is_token]
        self.fallbacks = self.own + [f for part in (self.prefix, self.suffix)
                                     for plan in part.plans for f in plan.fallbacks]
        return out

    def report_lines(self):
        node = self.node
        where = f" at {node.location.short()}" if node.location is not None else ""
        how = "a host op by design" if node.op.host else f"its output shape depends on data: " \
            f"{self.reason}"
        lines = [f"gpu: {self.name}: cut at {node.op.name}{where}, which runs on the host "
                 f"between two GPU segments ({how})"]
        lines.extend(self.prefix.report_lines())
        lines.extend(self.suffix.report_lines())
        if self.interpreted:
            lines.append(f"gpu: {self.suffix.graph.name}: {self.policy.reason()}")
        return lines


def cut(fn, error):
    """The SegmentedPlan cutting `fn`'s graph at the node `error` (Unspecializable) names, or
    None where it cannot be cut (strict=True, a node inside a region, a growing TensorArray)."""
    if fn.strict or isinstance(error, NeedsConcrete):
        return None
    for i, node in enumerate(fn.graph.nodes):
        if node is error.node:
            return SegmentedPlan(fn, i, node, error.reason)
    return None


__all__ = ["SegmentedPlan", "cut"]
