"""Lowering one specialized graph to a GPU Plan (plan.py): one NVPTX kernel module and the
host-side steps that launch its kernels.

Every value gets a View (codegen/llvm/emit.View) whose `ptr` is a plan Buf (a device buffer)
instead of an LLVM pointer: node outputs get fresh buffers, view ops (reshape, transpose,
slice, ...) alias their input through strides (the CPU backend's probing of the op's own NumPy
kernel, k_array.lower_view), constants are uploaded once. Kernels take base buffers and add
each view's element offset themselves. The LOWERINGS table (op name -> lowering) says what
runs on the GPU; anything else becomes a Host step (reported with its bytes, an error under
strict=True). cond/while_loop are host-driven: their predicate is read back.
"""
import numpy as np
from llvmlite import ir

from ...dtypes import as_dtype
from ..llvm.emit import View
from ..llvm.k_array import VIEW_OPS, NotLowerable, lower_view
from ..llvm.lower import Lowerer
from ..llvm.scalar import ErrorTable
from .k_map import emit_copy
from .kernel import LAUNCH
from .mathlib import math_provider
from .plan import Buf, Cond, Host, Launch, Plan, While
from .target import TRIPLE, data_layout
from .placement import plan_placement


class GpuLowerer:
    fresh_name = Lowerer.fresh_name
    where = Lowerer.where
    annotate = Lowerer.annotate

    def __init__(self, graph, env, variables, written):
        self.graph = graph
        self.env = env
        self.module = ir.Module(name=graph.name)
        self.module.triple = TRIPLE
        self.module.data_layout = data_layout()
        self.errors = ErrorTable()
        self.math_provider = math_provider()
        self.annotations = {}
        self.fallbacks = []
        self.buffers = []
        self.views = {}
        self._names = {}
        self.steps = []
        self.depth = 0
        self.launch_config = LAUNCH
        self.var_bufs = {}
        self.alias_reads, self.into_var = set(), {}
        self.grow_arrays = []   # k_grow.GrowArray: TensorArrays grown at run time
        for v in variables:
            self.var_bufs[id(v)] = self.new_buf(np.prod(np.shape(v._value), dtype=np.int64)
                                                * v.dtype.size, "var", v.dtype,
                                                np.shape(v._value), var=v)
        self.variables = variables
        self.written = written
        self.err = self.new_buf(64, "err")

    # -- buffers and views -----------------------------------------------------------------
    def new_buf(self, nbytes, kind, dtype=None, shape=(), value=None, var=None):
        b = Buf(len(self.buffers), nbytes, kind, dtype, shape, value, var)
        self.buffers.append(b)
        return b

    def spec(self, value):
        return self.env[value.id]

    def view(self, value):
        return self.views[value.id]

    def bind(self, value, view):
        self.views[value.id] = view

    def alloc_spec(self, dtype, shape):
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.size
        return View(self.new_buf(nbytes, "temp", dtype, shape), dtype, shape)

    def alloc_for(self, value):
        spec = self.spec(value)
        var = self.into_var.pop(value.id, None) if self.depth == 0 else None
        if var is not None and tuple(spec.shape) == tuple(np.shape(var._value)):
            return View(self.var_bufs[id(var)], spec.dtype, spec.shape)   # placement.py
        return self.alloc_spec(spec.dtype, spec.shape)

    def constant_view(self, arr):
        arr = np.array(arr, order="C")
        dtype = as_dtype(arr.dtype)
        buf = self.new_buf(arr.nbytes, "const", dtype, arr.shape, value=arr)
        return View(buf, dtype, arr.shape)

    def launch(self, kernel, n_threads=None, grid=None, block=None, views=()):
        fn = kernel.finish()
        if kernel.annotation:
            self.annotations[fn.name] = kernel.annotation
        if grid is None:
            grid = (self.launch_config.grid_for(n_threads), 1, 1)
            block = (self.launch_config.block, 1, 1)
        self.steps.append(Launch(fn.name, tuple(grid), tuple(block),
                                 [v.ptr for v in views] + [self.err]))

    # -- the graph ---------------------------------------------------------------------------
    def lower_function(self):
        g = self.graph
        params = []
        for p in g.data_params:
            spec = self.spec(p)
            nbytes = int(np.prod(spec.shape, dtype=np.int64)) * spec.dtype.size
            view = View(self.new_buf(nbytes, "param", spec.dtype, spec.shape), spec.dtype,
                        spec.shape)
            self.bind(p, view)
            params.append(view)
        for p in g.params:
            if p.is_token:
                self.views[p.id] = None
        self._written_after = _written_after(g.nodes)
        self.alias_reads, self.into_var = plan_placement(g)
        for i, node in enumerate(g.nodes):
            self.top_index = i
            self.lower_node(node)
        results = [self.view(r) for r in g.data_results]
        return params, results

    def lower_region(self, graph, args, steps):
        """Lower a region's nodes into `steps`; args: Views (None for tokens) of its params."""
        for p, a in zip(graph.params, args):
            self.views[p.id] = a
        saved, self.steps = self.steps, steps
        self.depth += 1
        try:
            for node in graph.nodes:
                self.lower_node(node)
        finally:
            self.depth -= 1
            self.steps = saved

    def written_later(self, var):
        return self.depth > 0 or id(var) in self._written_after[self.top_index]

    def lower_node(self, node):
        outs = node.data_outputs
        if (node.op.is_pure and not node.regions and outs
                and all(self.spec(v).value is not None for v in outs)):
            for v in outs:
                self.bind(v, self.constant_view(self.spec(v).value))
            return
        from .dispatch import lowering_for
        fn, reason = lowering_for(node)
        if fn is None:
            return self.lower_host(node, reason)
        try:
            fn(self, node)
        except NotLowerable as e:
            self.lower_host(node, str(e))

    def lower_host(self, node, reason):
        """Run `node` on the host (interpreter kernel): inputs copied down, outputs up."""
        if node.regions or any(self.spec(v) is not None and self.spec(v).growable
                               for v in list(node.data_inputs) + list(node.data_outputs)):
            raise NotImplementedHere(node, reason)   # (a grown TensorArray lives on the device)
        ins = [self.view(v) for v in node.data_inputs]
        outs = [self.alloc_for(v) for v in node.data_outputs]
        by_design = node.op.host
        step = Host(node, ins, outs, None if by_design else reason)
        self.steps.append(step)
        if not by_design:
            self.fallbacks.append((node, reason))
        for v, o in zip(node.data_outputs, outs):
            self.bind(v, o)
        for v in node.outputs:
            if v.is_token:
                self.views[v.id] = None

    def plan(self, kernel_module):
        params, results = self._params_results
        var_list = [(v, self.var_bufs[id(v)]) for v in self.variables]
        written = [(v, self.var_bufs[id(v)]) for v in self.written]
        return Plan(self.buffers, self.steps, params, results, var_list, written,
                    self.err if self.errors.entries else None, self.errors, kernel_module,
                    self.annotations, self.fallbacks)


class NotImplementedHere(Exception):
    """A node holding regions whose regions cannot be lowered (the whole graph then runs on the
    host, reported)."""

    def __init__(self, node, reason):
        super().__init__(reason)
        self.node = node
        self.reason = reason


def _written_after(nodes):
    out = [None] * len(nodes)
    acc = set()
    for i in range(len(nodes) - 1, -1, -1):
        out[i] = frozenset(acc)
        for n in [nodes[i], *[m for g in nodes[i].regions.values() for m in g.walk()]]:
            if n.op.name == "assign_variable":
                acc.add(id(n.attrs["var"]))
    return out


def lower_view_gpu(lw, node):
    """View ops alias their input (strides); an input layout with no such view is first copied
    C-contiguous by a GPU copy kernel; bounds known only at run time: a host step."""
    if any(lw.spec(v).value is None for v in node.data_inputs[1:]) and \
            node.op.name not in ("broadcast_like",):
        raise NotLowerable(f"{node.op.name} with run-time bounds")
    lower_view(lw, node, copy=emit_copy)


__all__ = ["GpuLowerer", "NotImplementedHere", "VIEW_OPS", "lower_view_gpu", "Cond", "While"]
