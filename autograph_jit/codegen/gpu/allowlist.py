"""Which functions a GPU kernel module may call: checked on every module before NVPTX codegen.

LLVM's NVPTX backend has no lowering for some generic intrinsics and then kills the whole process
(`llvm.sin.f32`: "LLVM ERROR: Cannot select", an abort; `llvm.exp.f32`: "no libcall available",
exit 1), and a libm name (`expf`) passes LLVM but is an unresolved extern for ptxas. So every
declared function must be one of: an NVVM intrinsic (`llvm.nvvm.*`), a generic intrinsic NVPTX
selects natively (ALLOWED_INTRINSICS), or a libdevice function (`__nv_*`, linked in by
target.py). Anything else raises a Python error naming the function instead of reaching codegen.
"""
from ...errors import UnimplementedError

ALLOWED_INTRINSICS = frozenset({
    "sqrt", "fabs", "floor", "ceil", "trunc", "rint", "nearbyint", "roundeven", "round",
    "minnum", "maxnum", "minimum", "maximum", "copysign", "fma", "fmuladd",
    "abs", "smax", "smin", "umax", "umin", "scmp", "ucmp", "ctpop", "ctlz", "cttz", "bswap", "bitreverse",
    "fshl", "fshr", "sadd.with.overflow", "uadd.with.overflow", "ssub.with.overflow",
    "usub.with.overflow", "smul.with.overflow", "umul.with.overflow",
    "memcpy", "memmove", "memset", "lifetime.start", "lifetime.end", "assume", "expect",
    "is.fpclass", "vector.reduce.add", "vector.reduce.fadd",
    "usub.sat", "uadd.sat", "ssub.sat", "sadd.sat",   # O3 forms them from clamps (k_pool)
})


def intrinsic_base(name):
    """'llvm.minnum.f32' -> 'minnum'; 'llvm.memcpy.p0.p0.i64' -> 'memcpy'."""
    parts = name[len("llvm."):].split(".")
    while len(parts) > 1 and (parts[-1][:1] in "fivp" and parts[-1][1:].replace("i", "")
                              .replace("p", "").isdigit() or parts[-1].startswith("v")
                              and parts[-1][1:2].isdigit()):
        parts.pop()
    return ".".join(parts)


def allowed(name):
    """Can an NVPTX kernel module declare (call) a function of this name?

    Example:
        allowed("llvm.sqrt.f32"), allowed("__nv_sinf"), allowed("llvm.sin.f32")
        # (True, True, False)
    """
    if name.startswith("llvm.nvvm.") or name.startswith("__nv_"):
        return True
    if name.startswith("llvm."):
        return intrinsic_base(name) in ALLOWED_INTRINSICS
    return False


def check_declarations(module):
    """Raise UnimplementedError if `module` (an llvmlite ModuleRef) declares a function NVPTX
    cannot compile; nothing else happens (the module is not changed)."""
    bad = sorted(f.name for f in module.functions if f.is_declaration and not allowed(f.name))
    if bad:
        raise UnimplementedError(
            None, None, f"the GPU kernel module calls {', '.join(bad)}, which LLVM's NVPTX "
            "backend cannot compile (it would abort the process, or leave an unresolved "
            "extern for ptxas). Route the math to libdevice (__nv_*) or the backend's vector "
            "math, or run this function with backend='cpu'.")


__all__ = ["ALLOWED_INTRINSICS", "allowed", "check_declarations", "intrinsic_base"]
