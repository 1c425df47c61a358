"""The CPU backend's loop-nest lowerings run as GPU kernels, so their index logic (bounds checks
with eager's messages, slice specs, tables) lives in one place.

A CPU lowering builds a `Kernel` whose body is loop nests and calls `lw.call_kernel(k, views)`.
`rebind(cpu_module, names)` remakes the module's functions with GPU stand-ins in their
namespace: `Kernel` is `ParallelKernel` (a GpuKernel whose *outermost* loops are grid-stride
loops over their flattened index space: every thread runs the code before them, e.g. the index
checks, and one iteration's inner loops serially), `emit_map`/`emit_copy` are the GPU map
kernels, and the lowering sees a `lw` whose `view()` gives views at element offset 0 (the CPU
kernels index from 0; a GPU kernel gets base buffers, so an offset view is copied first) and
whose `call_kernel` launches the kernel (one thread when it has no outer loop); a view the
lowering itself offsets (a probed base) moves the kernel's pointer argument
(`ParallelKernel.set_offset`).

Only lowerings whose outermost loop iterations are independent and write distinct elements
may be rebound (gathers, sliced writes, row-wise scans): scatter-adds are not (k_scatter.py).
"""
import types

import numpy as np
from llvmlite import ir

from ..llvm.emit import I8, I64, Loops, i64
from .k_map import emit_copy, emit_map, unravel
from .kernel import GpuKernel


class _ParallelLoops:
    """Loops whose outermost level is a grid-stride loop (see the module docstring)."""

    def __init__(self, k):
        self.k = k
        self.serial = Loops(k.b)
        self.depth = 0

    def range(self, n, body, name="i", short=None):
        # (`short`, the CPU's vectorization hint, means nothing to a grid-stride loop)
        if self.depth or not isinstance(n, (int, np.integer)):
            return self.serial.range(n, body, name)
        return self.nest([int(n)], lambda idx: body(idx[0]), name)

    def nest(self, shape, body, name="d", short=None):
        if self.depth:
            return self.serial.nest(shape, body, name)
        n = int(np.prod([int(d) for d in shape], dtype=np.int64))
        if n <= 0:
            return
        self.k.parallel_n = max(self.k.parallel_n or 0, n)

        def flat(i):
            self.depth += 1
            try:
                body(unravel(self.k.b, i, list(shape)))
            finally:
                self.depth -= 1
        self.k.grid_stride(n, flat)


class ParallelKernel(GpuKernel):
    """A GpuKernel with the CPU Kernel's constructor and parallel outermost loops.

    A CPU lowering may hand `call_kernel` a view with an element offset (its pointer argument
    then starts there). A GPU kernel gets base buffers, so each pointer argument is the base
    plus a byte offset read from an internal constant global, set by `set_offset` when the
    launch's views are known (0 otherwise; O3 folds the constant away)."""

    def __init__(self, module, name, n_ptrs, annotation=""):
        super().__init__(module, name, n_ptrs, annotation)
        self.parallel_n = None
        self.loops = _ParallelLoops(self)
        self._offsets = []
        bases, self.ptrs = self.ptrs, []
        for i, arg in enumerate(bases):
            g = ir.GlobalVariable(module, I64, name=f"{name}.offset{i}")
            g.linkage = "internal"
            g.global_constant = True
            g.initializer = i64(0)
            self._offsets.append(g)
            self.ptrs.append(self._ab.gep(arg, [self._ab.load(g, typ=I64)], source_etype=I8))

    def set_offset(self, i, nbytes):
        self._offsets[i].initializer = i64(int(nbytes))


class ZeroOffsetLowerer:
    """The GpuLowerer as a rebound CPU lowering sees it (see the module docstring)."""

    def __init__(self, lw):
        self._lw = lw

    def __getattr__(self, item):
        return getattr(self._lw, item)

    def view(self, value):
        v = self._lw.view(value)
        if v is None or not v.offset:
            return v
        tmp = self._lw.alloc_spec(v.dtype, v.shape)
        if tmp.size:
            emit_copy(self._lw, tmp, v)
        return tmp

    def call_kernel(self, kernel, views):
        for i, v in enumerate(views):
            if v is not None and v.offset:
                kernel.set_offset(i, v.offset * v.dtype.size)
        n = kernel.parallel_n
        if n:
            self._lw.launch(kernel, n_threads=n, views=views)
        else:
            self._lw.launch(kernel, grid=(1, 1, 1), block=(1, 1, 1), views=views)


def rebind(cpu_module, names, **extra):
    """{name: GPU lowering} for the lowerings `names` of `cpu_module` (see the module
    docstring); `extra` adds or replaces names in their namespace.

    Example: `rebind(llvm.k_index, ["strided_slice_grad"])["strided_slice_grad"](lw, node)`.
    """
    env = dict(cpu_module.__dict__)
    env.update(Kernel=ParallelKernel, emit_map=emit_map, emit_copy=emit_copy, **extra)
    for key, fn in list(env.items()):
        if isinstance(fn, types.FunctionType) and fn.__module__ == cpu_module.__name__:
            env[key] = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__,
                                          fn.__closure__)
    env.update(extra)

    def entry(fn):
        def lower(lw, node, *args):
            return fn(lw if isinstance(lw, ZeroOffsetLowerer) else ZeroOffsetLowerer(lw), node,
                      *args)
        lower.__name__ = lower.__qualname__ = f"gpu_{fn.__name__}"
        lower.__doc__ = fn.__doc__
        return lower
    return {name: entry(env[name]) for name in names}


__all__ = ["ParallelKernel", "ZeroOffsetLowerer", "rebind"]
