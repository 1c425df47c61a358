"""Math functions for GPU kernels: the CPU backend's vector math where it has the function
(bit-equal results on both backends), libdevice (`__nv_expf`, `__nv_pow`, ...) for the rest.

`math_provider()` has the ScalarEmitter provider interface (codegen/llvm/backend.py): given a
libm-style name ("exp", "pow", "sin") and register operands it returns the call, or None for
half precision (ScalarEmitter then widens to float32 and asks again). So no libm name, and no
generic `llvm.exp`/`llvm.sin` intrinsic, ever reaches the NVPTX backend (allowlist.py checks).
"""
from llvmlite import ir

from ..llvm.backend import finish_ir, math_provider as cpu_math_provider
from ..llvm.emit import F32, F64

_RENAMED = {}   # libm name -> libdevice stem, where they differ


def math_provider():
    """provide(s, name, args) -> call instruction or None (see the module docstring)."""
    vec = cpu_math_provider()

    def provide(s, name, args):
        ty = args[0].type
        if ty not in (F32, F64):
            return None
        if vec is not None:
            got = vec(s, name, args)
            if got is not None:
                return got
        stem = _RENAMED.get(name, name)
        fname = f"__nv_{stem}f" if ty == F32 else f"__nv_{stem}"
        fn = s.module.globals.get(fname)
        if fn is None:
            fn = ir.Function(s.module, ir.FunctionType(ty, [ty] * len(args)), name=fname)
        return s.b.call(fn, list(args))
    provide.cache_tag = "gpu-vecmath-libdevice"
    return provide


def module_text(module):
    """The module's IR text with the vector-math definitions it calls pasted in."""
    return finish_ir(module)


__all__ = ["math_provider", "module_text"]
