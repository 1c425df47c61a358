"""The GPU backend as ConcreteFunction sees it: one GpuFunction per concrete function, its
report lines in `cf._backend_report` (what explain() shows: kernels, launches, every host step
with the bytes it copies), one warning when ops run on the host (strict=True raises instead),
and the inspection texts (`cf.ptx()`, `cf.llvm_ir()`).
"""
import threading
import warnings

from .function import GpuFunction

_SETUP = threading.Lock()


def gpu_function(cf):
    """The concrete function's GpuFunction, made on first use."""
    with _SETUP:
        if cf._gpu is None:
            cf._backend_report = []
            cf._gpu = GpuFunction(cf.optimized_graph, name=cf.name,
                                  strict=getattr(cf, "strict", False))
        return cf._gpu


def call_gpu(cf, arrays):
    fn = cf._gpu or gpu_function(cf)
    n = len(fn.plans)
    outs = fn(arrays)
    if len(fn.plans) != n:
        _refresh_report(cf, fn)
    elif fn.live_report:   # grown TensorArrays' counters change per call
        _refresh_report(cf, fn, timings=False)
    return outs


def _refresh_report(cf, fn, timings=True):
    cf._backend_report = fn.report_lines()
    for name, seconds in fn.timings if timings else ():
        cf.stage_times.append((name, seconds))
    fallbacks = [f for plan in fn.plans for f in plan.fallbacks]
    if fallbacks and not getattr(cf, "_fallback_warned", False):
        cf._fallback_warned = True
        node, reason = fallbacks[0]
        warnings.warn(
            f"tf.function {cf.name}: {len(fallbacks)} op(s) run on the host instead of the GPU "
            f"(first: {node.op.name}: {reason}). See cf.explain(); pass strict=True to make "
            "this an error.", RuntimeWarning, stacklevel=4)


def _compiled(cf):
    fn = cf._gpu or gpu_function(cf)
    if not fn.plans:
        import numpy as np
        params = cf.graph.data_params
        if not all(p.type.shape.is_fully_defined() for p in params):
            raise ValueError(f"{cf.name}: ptx()/llvm_ir() need the function compiled for "
                             "concrete shapes; call it once first.")
        fn.prepare([np.empty(p.type.shape.as_tuple(), p.type.dtype.np_dtype) for p in params])
        _refresh_report(cf, fn)
    return fn


def ptx(cf):
    if cf.backend != "gpu":
        raise ValueError(f"{cf.name}: ptx() needs backend='gpu' (this function runs on the "
                         f"{cf.backend!r} backend)")
    return _compiled(cf).ptx()


def llvm_ir(cf, optimized=False):
    fn = _compiled(cf)
    if optimized:
        return fn.last_plan().kernel_module.llvm_ir
    return fn.llvm_ir()


__all__ = ["gpu_function", "call_gpu", "ptx", "llvm_ir"]
