"""The CPU backend as ConcreteFunction sees it: build the CpuFunction for `optimized_graph`,
record compile timings and fallbacks, and produce the inspection texts (llvm_ir, asm).

Fallbacks: `cf._backend_report` lists each op left to the interpreter and why; one warning per
concrete function says so; `tf.function(..., strict=True)` raises FallbackError instead.
"""
import functools
import re
import os
import sys
import warnings

import numpy as np
from llvmlite import ir

from . import CpuFunction
from .emit import F32, F64


def math_provider():
    """Vector math (codegen/llvm/vecmath.py) for float32/float64 exp, log, tanh, ... .
    (vecmath is imported by the first lowering that asks: a function whose lowering comes from
    the lowering cache never loads it.)"""

    def provide(s, name, args):
        from . import vecmath
        ty = args[0].type
        dname = {F32: "float32", F64: "float64"}.get(ty)
        if dname is None or name not in vecmath.FUNCTIONS or len(args) != 1:
            return None
        fname = vecmath.function_name(name, dname)
        _used(s.module).add((name, dname))
        fn = s.module.globals.get(fname)
        if fn is None:
            fn = ir.Function(s.module, ir.FunctionType(ty, [ty]), name=fname)
        return s.b.call(fn, list(args))
    provide.cache_tag = "vecmath"  # the lowering cache's name for it (lowering_cache.py)
    return provide


def _used(module):
    used = getattr(module, "_agj_vecmath", None)
    if used is None:
        used = set()
        module._agj_vecmath = used
    return used


def finish_ir(module, text=None):
    """Module text with the vector-math definitions it calls pasted in (declarations dropped).
    `text`: str(module) when the caller has it (early_parts.EarlyParts.module_text)."""
    text = str(module) if text is None else text
    used = getattr(module, "_agj_vecmath", None)
    if not used:
        return text
    lines = [ln for ln in text.splitlines()
             if not (ln.startswith("declare") and '@"ag_vm_' in ln)]
    return "\n".join(lines) + "\n" + vecmath_text(tuple(sorted(used)))


@functools.lru_cache(maxsize=64)
def vecmath_text(used):
    """The definitions of the vector-math functions `used` ((op, dtype name) pairs, in order), as
    finish_ir pastes them."""
    from . import vecmath
    return "\n".join(vecmath.definition(op, d) for op, d in used)


def make_cpu_function(cf):
    # (no wait for the prewarm thread here: each piece of its setup is made once, by whichever
    # thread needs it first, so this function traces, lowers and compiles beside it)
    graph = cf.optimized_graph
    if not hasattr(cf, "_backend_report"):
        cf._backend_report = []

    def on_compile(exe):
        for name, seconds in exe.timings:
            cf.stage_times.append((name, seconds))
        shapes = ", ".join(str(list(s.shape)) for s in exe.param_specs) or "no inputs"
        where = "loaded from the disk cache" if exe.compiled.from_cache else (
            f"compiled in {sum(s for _, s in exe.timings) * 1000:.0f} ms")
        if exe.compiled.parts > 1:
            where += f" ({exe.compiled.parts} parts, compiled on threads)"
        if getattr(exe, "lowering_from_cache", False):
            where = "IR from the lowering cache, " + where
        cf._backend_report.append(
            f"llvm: {exe.graph.name} for shapes ({shapes}): {len(exe.annotations)} kernels, "
            f"{len(exe.host_nodes)} host callbacks, {exe.workspace_bytes} B workspace; {where}")
        cf._backend_report.extend(getattr(exe, "notes", ()))  # e.g. grown TensorArrays
        _refresh_report(cf)

    fn = CpuFunction(graph, name=cf.name, strict=getattr(cf, "strict", False),
                     math_provider=math_provider(), on_compile=on_compile,
                     on_fallback=lambda: _refresh_report(cf))
    fn.on_host_note = cf._backend_report.append
    return fn


def _refresh_report(cf):
    fn = cf._cpu
    if fn is None:
        return
    lines = [ln for ln in cf._backend_report if not ln.startswith("fallback:")]
    new = fn.report_lines()
    cf._backend_report[:] = lines + new
    if new and not getattr(cf, "_fallback_warned", False) and not getattr(cf, "strict", False):
        # (with strict=True the fallback raises FallbackError instead: no warning first)
        cf._fallback_warned = True
        warnings.warn(
            f"tf.function {cf.name}: {len(new)} op(s) run on the interpreter instead of native "
            f"code (first: {new[0][len('fallback: '):]}). See cf.explain(); pass strict=True to "
            "make this an error.", RuntimeWarning, stacklevel=_user_stacklevel())


def _user_stacklevel():
    """warnings.warn's stacklevel pointing at the first frame outside this library."""
    here = os.path.abspath(__file__)
    pkg = here[:here.rindex(os.sep + "codegen" + os.sep)]
    lib_dirs = (pkg + os.sep, os.path.join(os.path.dirname(pkg), "runtime") + os.sep)
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(lib_dirs):
        frame, level = frame.f_back, level + 1
    return level


def annotated_ir(exe):
    """The module's IR with a `; <op> from file:line: source` comment above each kernel."""
    out = []
    for line in exe.ir_text.splitlines():
        m = re.match(r'define internal i32 @"?([\w.]+)"?\(', line)
        if m and m.group(1) in exe.annotations:
            out.append(f"; {exe.annotations[m.group(1)]}")
        out.append(line)
    return "\n".join(out)


def llvm_ir(cf, optimized=False):
    exe = _last_executable(cf)
    if optimized:
        return exe.compiled.optimized_ir or exe.ir_text
    return annotated_ir(exe)


def asm(cf):
    return _last_executable(cf).compiled.asm()


def _last_executable(cf):
    fn = cf._cpu
    if fn is None or not fn.executables:
        fn = cf._cpu_function()
        params = cf.graph.data_params
        if not all(p.type.shape.is_fully_defined() for p in params):
            raise ValueError(
                f"{cf.name}: llvm_ir()/asm() need the function compiled for concrete shapes; "
                "call it once first (the CPU backend specializes on the input shapes).")
        fn.prepare([np.empty(p.type.shape.as_tuple(), p.type.dtype.np_dtype) for p in params])
    if not fn.executables:
        raise ValueError(f"{cf.name}: nothing compiled yet; call the function once first.")
    return fn.executables[-1]
