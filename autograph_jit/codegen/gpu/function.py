"""The GPU backend as ConcreteFunction sees it: `GpuFunction(graph)` compiles one Plan per tuple
of input (and variable) shapes and runs it on a device (runtime/gpu: the CUDA driver, or the
host grid emulator with AUTOGRAPH_JIT_GPU=emulator).

Compiling needs no device: shapes are specialized (codegen/llvm/specialize.py), the graph is
lowered to kernels and steps (lower.py), and the kernel module goes through LLVM's NVPTX target
(target.py) for the device's compute capability (sm_75 without a device). A graph whose shapes
depend on data, or a loop/branch holding an op with no GPU kernel, runs whole on the host
interpreter; either way every host op is reported (`report_lines()`, cf.explain()) with its
bytes copied each way, and `strict=True` makes it a FallbackError.

TensorArrays grown at run time live on the device (k_grow.py). The first top-level op that needs
such an array's exact size (`stack()`, arithmetic) ends the plan there, as the CPU backend's
partitioner does (codegen/llvm/__init__.py `_split`): a `SplitPlan` runs the nodes before it
(their grown arrays come back to the host at the size they reached) and compiles the rest for
that size; not a fallback (every op still runs on the GPU), reported with the bytes it copies.
"""
import re
import threading
import time

import numpy as np

from ...runtime import gpu as _gpu
from ...errors import FallbackError, UnavailableError
from ...ir.graph_cut import cut_graph
from ...runtime.interpreter import run_graph
from ..llvm import host_only_values
from ..llvm.executable import variables_of
from ..llvm.specialize import NeedsConcrete, Spec, Unspecializable, specialize
from .k_grow import report_lines as grow_report_lines
from .lower import GpuLowerer, NotImplementedHere
from .mathlib import module_text
from .target import compile_ptx, supported_sm
from .plan import run

EMULATOR_HINT = ("Use backend='cpu' (native CPU code), or set AUTOGRAPH_JIT_GPU=emulator to run "
                 "the GPU kernels on the host grid emulator (slow; for tests).")


def get_device(kind=None):
    """The device the GPU backend runs on (runtime/gpu), or a clear UnavailableError."""
    try:
        return _gpu.get_device(kind)
    except UnavailableError as e:
        msg = str(e.message if hasattr(e, "message") else e)
        if "backend='cpu'" not in msg or "AUTOGRAPH_JIT_GPU" not in msg:
            msg += " " + EMULATOR_HINT
        raise UnavailableError(None, None, f"backend='gpu': {msg}") from None


class HostPlan:
    """A graph that runs whole on the host interpreter (reported; see the module docstring)."""

    def __init__(self, graph, reason):
        self.graph = graph
        self.reason = reason
        self.fallbacks = [(_Whole(graph), reason)]
        self.kernel_module = None
        self.annotations = {}

    def host_steps(self):
        return []

    def launches(self):
        return []


class _Whole:
    def __init__(self, graph):
        self.op = type("op", (), {"name": f"all of {graph.name}"})
        self.location = None


class SplitPlan:
    """The graph cut before top-level node `index`, which needs the exact size of a TensorArray
    grown on the device (see the module docstring): `prefix` (a GpuFunction of the nodes
    before, returning what the rest needs, grown arrays as host arrays of the size they reached)
    then `suffix` (a GpuFunction of the rest, compiled per size)."""

    def __init__(self, gf, index, node, reason):
        cut = cut_graph(gf.graph, index, node_on_host=False)
        kw = dict(strict=gf.strict, device_kind=gf.device_kind)
        self.prefix = GpuFunction(cut.prefix, gf.name, **kw)
        self.suffix = GpuFunction(cut.suffix, gf.name, **kw)
        self.node, self.reason = node, reason
        self.kernel_module = None
        self.annotations = {}
        self.back_bytes = 0

    def __call__(self, arrays):
        mid = self.prefix(arrays)
        self.back_bytes = sum(np.asarray(a).nbytes for a in mid)
        return self.suffix(mid)

    def prepare(self, arrays, device):
        self.prefix.prepare(arrays, device)

    @property
    def fallbacks(self):
        return [f for fn in (self.prefix, self.suffix) for p in fn.plans for f in p.fallbacks]

    def _all(self, what):
        return [x for fn in (self.prefix, self.suffix) for p in fn.plans
                for x in getattr(p, what)()]

    def host_steps(self):
        return self._all("host_steps")

    def launches(self):
        return self._all("launches")

    def report_lines(self, name):
        loc = f" at {self.node.location.short()}" if self.node.location is not None else ""
        return ([f"gpu: {name}: the plan ends before {self.node.op.name}{loc} ({self.reason}): "
                 f"what it needs comes back to the host ({self.back_bytes} B the last call) "
                 f"and the rest is compiled for the size the TensorArray reached"]
                + self.prefix.report_lines() + self.suffix.report_lines())


class GpuFunction:
    """A graph compiled for the GPU: `fn(arrays) -> arrays` runs it on the device (compiling on
    the first call with new shapes), `prepare(arrays)` only compiles (no device needed).

    Example:
        gf = GpuFunction(cf.optimized_graph, "step")
        plan = gf.prepare([x, labels])      # no device needed
        print(gf.ptx()); print("\\n".join(gf.report_lines()))
    """

    def __init__(self, graph, name="f", strict=False, device_kind=None):
        self.graph = graph
        self.name = name
        self.strict = strict
        self.device_kind = device_kind
        self._device = None
        self._plans = {}
        self.plans = []
        self.timings = []
        self._lock = threading.RLock()
        self._variables, self._written = variables_of(graph)

    @property
    def device(self):
        if self._device is None:
            self._device = get_device(self.device_kind)
        return self._device

    def _key(self, arrays):
        return tuple(a.shape for a in arrays) + tuple(np.shape(v._value)
                                                      for v in self._variables)

    def __call__(self, arrays):
        arrays = [np.asarray(a) for a in arrays]
        device = self.device
        plan = self.prepare(arrays, device)
        if isinstance(plan, SplitPlan) or hasattr(plan, "prefix"):  # (segments.SegmentedPlan)
            return plan(arrays)
        if isinstance(plan, HostPlan):
            it = iter(arrays)
            args = [None if p.is_token else next(it) for p in self.graph.params]
            outs = run_graph(self.graph, args)
            return [o for o, r in zip(outs, self.graph.results) if not r.is_token]
        loaded = plan.loaded.get(id(device))
        if loaded is None and plan.launches():   # (a plan of constants and host steps only
            loaded = plan.loaded[id(device)] = device.load_module(plan.kernel_module)  # loads
        # nothing: a module without kernels is no module to the driver)
        return run(plan, loaded, device, arrays)

    def prepare(self, arrays, device=None):
        """Compile for these arrays' shapes (no device needed); returns the Plan."""
        key = self._key(arrays)
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._compile(arrays, device)
                self.plans.append(plan)
        return plan

    def _compile(self, arrays, device):
        t0 = time.perf_counter()
        g = self.graph
        host = host_only_values(g)
        if host is not None:     # strings, complex numbers: no native lowering, as on the CPU
            return self._host_plan(f"it holds {host}, which have no native lowering")
        it = iter([Spec(p.type.dtype, np.shape(a)) for p, a in zip(g.data_params, arrays)])
        param_specs = [None if p.is_token else next(it) for p in g.params]
        try:
            env = specialize(g, param_specs)
        except NeedsConcrete as e:   # a top-level op needs a grown TensorArray's size
            index = next((i for i, n in enumerate(g.nodes) if n is e.node), 0)
            if index == 0:
                return self._host_plan(f"{e.node.op.name}: {e.reason}")
            split = SplitPlan(self, index, e.node, e.reason)
            split.prepare(arrays, device)
            return split
        except Unspecializable as e:
            from .segments import cut   # (segments.py builds on this module)
            return cut(self, e) or self._host_plan(f"{e.node.op.name}: {e.reason}")
        lw = GpuLowerer(g, env, self._variables, self._written)
        lw.device = device      # (k_matmul.py asks it for cuBLAS; None: decided without one)
        try:
            lw._params_results = lw.lower_function()
        except NotImplementedHere as e:
            return self._host_plan(f"{e.node.op.name} holds an op with no GPU kernel: "
                                   f"{e.reason}")
        if self.strict and lw.fallbacks:
            raise FallbackError(_strict_message(self.name, lw.fallbacks))
        t1 = time.perf_counter()
        text = module_text(lw.module)
        sm = 75
        if device is not None and getattr(device, "compute_capability", None):
            sm = supported_sm(*device.compute_capability)
        optimized, ptx = compile_ptx(text, sm)
        t2 = time.perf_counter()
        km = _kernel_module(g.name, optimized, ptx)
        plan = lw.plan(km)
        plan.grow_arrays = lw.grow_arrays
        plan.ir_text = text
        plan.sm = sm
        plan.loaded = {}
        plan.shapes = [tuple(np.shape(a)) for a in arrays]
        plan.notes = getattr(lw, "notes", [])   # one line a matmul: cuBLAS or kernel, and why
        self.timings = [("gpu lowering", t1 - t0), ("nvptx codegen", t2 - t1)]
        return plan

    def _host_plan(self, reason):
        if self.strict:
            raise FallbackError(f"tf.function {self.name} (strict=True, backend='gpu'): the "
                                f"whole function would run on the host: {reason}")
        return HostPlan(self.graph, reason)

    # -- inspection ----------------------------------------------------------------------------
    @property
    def live_report(self):
        """Whether the report changes from call to call (grown arrays' counters, a split's
        later compiles): backend.py then refreshes it after each call."""
        return any(isinstance(p, SplitPlan) or getattr(p, "grow_arrays", None)
                   for p in self.plans)

    def last_plan(self):
        """The plan compiled last (a split function's: its first part's, where the loops
        that grow TensorArrays are)."""
        for plan in reversed(self.plans):
            if isinstance(plan, SplitPlan):
                return plan.prefix.last_plan()
            if not isinstance(plan, HostPlan):
                return plan
        raise ValueError(f"{self.name}: nothing compiled for the GPU yet; call the function "
                         "once first (the GPU backend specializes on the input shapes).")

    def llvm_ir(self):
        plan = self.last_plan()
        return _annotate(plan.ir_text, plan.annotations,
                         r'define void @"?([\w.]+)"?\(', ";")

    def ptx(self):
        plan = self.last_plan()
        return _annotate(plan.kernel_module.ptx, plan.annotations,
                         r"\.(?:visible|weak)\s+\.entry\s+([\w.$]+)\(", "//")

    def report_lines(self):
        lines = []
        for plan in self.plans:
            if isinstance(plan, SplitPlan):
                lines.extend(plan.report_lines(self.name))
                continue
            if hasattr(plan, "prefix"):     # segments.SegmentedPlan
                lines.extend(plan.report_lines())
                continue
            if isinstance(plan, HostPlan):
                lines.append(f"gpu: {self.name}: the whole function runs on the host "
                             f"interpreter: {plan.reason}")
                continue
            shapes = ", ".join(str(list(s)) for s in plan.shapes) or "no inputs"
            n_in = sum(v.ptr.nbytes for v in plan.params)
            n_out = sum(v.ptr.nbytes if hasattr(v, "ptr") else v.stats.rows_bytes
                        for v in plan.results)   # (a grown TensorArray: its rows, last call)
            written = sum(b.nbytes for _, b in plan.written)
            lines.append(
                f"gpu: {self.name} for shapes ({shapes}): {len(plan.annotations)} kernels "
                f"(sm_{plan.sm}), {len(plan.launches())} launches a call; copies each call: "
                f"{n_in} B inputs to the device, {n_out} B results and {written} B of "
                f"written variables to the host")
            for loaded in plan.loaded.values():
                lines.extend(_load_lines(loaded))
            lines.extend(getattr(plan, "notes", ()))
            for call in plan.host_calls():
                lines.append(f"host call between kernels: {call.what}")
            lines.extend(grow_report_lines(plan.grow_arrays))
            for step in plan.host_steps():
                down, up = step.bytes_moved()
                node = step.node
                where = f" at {node.location.short()}" if node.location is not None else ""
                why = f": {step.reason}" if step.reason else " (a host op by design)"
                lines.append(f"host: {node.op.name}{where}{why}; copies {down} B to the host "
                             f"and {up} B to the device each time it runs")
        return lines


def _load_lines(loaded):
    """What the device did with the module: how it loaded (cubin from the cache or ptxas, or the
    driver's JIT) and the cubin's resources per kernel (registers, shared memory, spills)."""
    lines = []
    how = getattr(loaded, "load_report", None)
    if how:
        lines.append(f"gpu module: {how}")
    usage = getattr(loaded, "usage", None) or {}
    if usage:
        top = sorted(usage.items(), key=lambda kv: -kv[1].get("registers", 0))
        parts = [f"{k} {u.get('registers', 0)} regs, {u.get('shared_bytes', 0)} B shared"
                 + (f", {u['spill_stores']} B spilled" if u.get("spill_stores") else "")
                 for k, u in top[:8]]
        lines.append("gpu resources (most registers first): " + "; ".join(parts)
                     + (f"; ... {len(top) - 8} more" if len(top) > 8 else ""))
    return lines


def _kernel_module(name, llvm_ir, ptx):
    return _gpu.KernelModule(name=name, llvm_ir=llvm_ir, ptx=ptx)


def _annotate(text, annotations, pattern, comment):
    out = []
    for line in text.splitlines():
        m = re.search(pattern, line)
        if m and m.group(1) in annotations:
            note = annotations[m.group(1)].replace("\u2192", "->").replace("\u2026", "...")
            # (ptxas accepts only ASCII: the annotated text stays assemblable)
            out.append(f"{comment} " + note.encode("ascii", "replace").decode("ascii"))
        out.append(line)
    return "\n".join(out)


def _strict_message(name, fallbacks):
    items = "; ".join(f"{n.op.name}" + (f" at {n.location.short()}" if n.location else "")
                      + f" ({r})" for n, r in fallbacks[:5])
    return (f"tf.function {name} (strict=True, backend='gpu'): {len(fallbacks)} op(s) would run "
            f"on the host: {items}. Use backend='cpu', or remove strict=True to allow host "
            "steps (cf.explain() lists them with the bytes they copy).")


__all__ = ["GpuFunction", "HostPlan", "SplitPlan", "get_device", "EMULATOR_HINT"]
