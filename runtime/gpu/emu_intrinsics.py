"""The NVVM math intrinsics the grid emulator runs on the host, as LLVM IR definitions.

A kernel's IR (libdevice already linked in) calls `llvm.nvvm.*` intrinsics the host backend
cannot select. `definitions()` maps each supported name (without the `llvm.nvvm.` prefix) to the
IR of a host function `@__emu_nvvm_<name>` with the same signature; the emulator renames the
calls. Round-to-nearest operations are bit-exact with the GPU (IEEE); `.ftz` variants flush
subnormal inputs and results to signed zero as the GPU does; `.approx` operations use the host's
correctly rounded function (the GPU's approximations differ in the last bits: compare with a
tolerance). Float-to-integer conversions saturate and map NaN to 0, as PTX `cvt` does. Directed
rounding (`.rm`, `.rp`, `.rz`: libdevice's expf uses `fma.rm`) switches the host's rounding mode
around one constrained operation (`fesetround`), so it is exact too. An intrinsic outside this
set is refused by name by the emulator, never run differently.
"""
import platform

_FT = {"f": "float", "d": "double", "f32": "float", "f64": "double"}
_FLT_MIN = "0x3810000000000000"  # 2^-126 (the smallest normal float), as LLVM's hex double
_INT = {"i": ("i32", True), "ui": ("i32", False), "ll": ("i64", True), "ull": ("i64", False)}
_ROUND = {"rn": "llvm.rint", "rz": "llvm.trunc", "rm": "llvm.floor", "rp": "llvm.ceil"}


def _ftz_helper():
    return (f"define float @__emu_ftz(float %x) alwaysinline {{\n"
            f"  %a = call float @llvm.fabs.f32(float %x)\n"
            f"  %small = fcmp olt float %a, {_FLT_MIN}\n"
            f"  %z = call float @llvm.copysign.f32(float 0.0, float %x)\n"
            f"  %r = select i1 %small, float %z, float %x\n  ret float %r\n}}\n")


def _fn(name, ret, args, body, ftz=False):
    """A definition of @__emu_nvvm_<name>; `body` computes %r from %a, %b, %c (flushed first
    with ftz), as lines of IR."""
    flush = [ftz and t == "float" for t in args]
    params = ", ".join(f"{t} %{n}{'0' if f else ''}" for t, n, f in zip(args, "abc", flush))
    lines = [f"  %{n} = call float @__emu_ftz(float %{n}0)"
             for n, f in zip("abc", flush) if f]
    lines.extend("  " + line for line in body)
    out = "%r"
    if ftz and ret == "float":
        lines.append("  %rf = call float @__emu_ftz(float %r)")
        out = "%rf"
    return (f"define {ret} @__emu_nvvm_{name}({params}) alwaysinline {{\n" + "\n".join(lines) +
            f"\n  ret {ret} {out}\n}}\n")


def _float_families():
    out = {}
    for suffix, t in (("f", "float"), ("d", "double")):
        sz = "f32" if t == "float" else "f64"
        variants = [(suffix, False)] + ([("ftz.f", True)] if t == "float" else [])
        for var, ftz in variants:
            binop = {"add": "fadd", "mul": "fmul", "div": "fdiv"}
            for op, inst in binop.items():
                out[f"{op}.rn.{var}"] = _fn(f"{op}.rn.{var}", t, [t, t], [f"%r = {inst} {t} %a, %b"],
                                            ftz)
            out[f"fma.rn.{var}"] = _fn(f"fma.rn.{var}", t, [t, t, t],
                                       [f"%r = call {t} @llvm.fma.{sz}({t} %a, {t} %b, {t} %c)"], ftz)
            out[f"sqrt.rn.{var}"] = _fn(f"sqrt.rn.{var}", t, [t],
                                        [f"%r = call {t} @llvm.sqrt.{sz}({t} %a)"], ftz)
            out[f"rcp.rn.{var}"] = _fn(f"rcp.rn.{var}", t, [t], [f"%r = fdiv {t} 1.0, %a"], ftz)
            for op, intr in (("floor", "floor"), ("ceil", "ceil"), ("trunc", "trunc"),
                             ("round", "round")):
                out[f"{op}.{var}"] = _fn(f"{op}.{var}", t, [t],
                                         [f"%r = call {t} @llvm.{intr}.{sz}({t} %a)"], ftz)
            for op, intr in (("fmin", "minnum"), ("fmax", "maxnum"),
                             ("fmin.nan", "minimum"), ("fmax.nan", "maximum")):
                name = f"{op}.{var}" if "nan" not in op else \
                    (f"{op.split('.')[0]}{'.ftz' if ftz else ''}.nan.{suffix}")
                out[name] = _fn(name, t, [t, t],
                                [f"%r = call {t} @llvm.{intr}.{sz}({t} %a, {t} %b)"], ftz)
            sat = [f"%lo = call {t} @llvm.maxnum.{sz}({t} %a, {t} 0.0)",
                   f"%hi = call {t} @llvm.minnum.{sz}({t} %lo, {t} 1.0)",
                   f"%nan = fcmp uno {t} %a, 0.0", f"%r = select i1 %nan, {t} 0.0, {t} %hi"]
            out[f"saturate.{var}"] = _fn(f"saturate.{var}", t, [t], sat, ftz)
            # approximations: the host's correctly rounded functions
            out[f"rsqrt.approx.{var}"] = _fn(
                f"rsqrt.approx.{var}", t, [t],
                [f"%s = call {t} @llvm.sqrt.{sz}({t} %a)", f"%r = fdiv {t} 1.0, %s"], ftz)
            out[f"lg2.approx.{var}"] = _fn(f"lg2.approx.{var}", t, [t],
                                           [f"%r = call {t} @llvm.log2.{sz}({t} %a)"], ftz)
            out[f"ex2.approx.{var}"] = _fn(f"ex2.approx.{var}", t, [t],
                                           [f"%r = call {t} @llvm.exp2.{sz}({t} %a)"], ftz)
            out[f"rcp.approx.ftz.{suffix}" if t == "double" else "rcp.approx.ftz.f"] = _fn(
                f"rcp.approx.ftz.{suffix}" if t == "double" else "rcp.approx.ftz.f", t, [t],
                [f"%r = fdiv {t} 1.0, %a"], t == "float")
        out[f"fabs.{sz}"] = _fn(f"fabs.{sz}", t, [t], [f"%r = call {t} @llvm.fabs.{sz}({t} %a)"])
        out[f"fabs.{suffix}"] = _fn(f"fabs.{suffix}", t, [t],
                                    [f"%r = call {t} @llvm.fabs.{sz}({t} %a)"])
    out["fabs.ftz.f32"] = _fn("fabs.ftz.f32", "float", ["float"],
                              ["%r = call float @llvm.fabs.f32(float %a)"], True)
    out["fabs.ftz.f"] = _fn("fabs.ftz.f", "float", ["float"],
                            ["%r = call float @llvm.fabs.f32(float %a)"], True)
    for var, ftz in (("f", False), ("ftz.f", True)):
        out[f"sqrt.approx.{var}"] = _fn(f"sqrt.approx.{var}", "float", ["float"],
                                        ["%r = call float @llvm.sqrt.f32(float %a)"], ftz)
        out[f"sqrt.{var}"] = out[f"sqrt.approx.{var}"].replace("sqrt.approx", "sqrt")
        out[f"div.approx.{var}"] = _fn(f"div.approx.{var}", "float", ["float", "float"],
                                       ["%r = fdiv float %a, %b"], ftz)
        out[f"div.full.{var}"] = out[f"div.approx.{var}"].replace("div.approx", "div.full")
        for op in ("sin", "cos"):
            out[f"{op}.approx.{var}"] = _fn(f"{op}.approx.{var}", "float", ["float"],
                                            [f"%r = call float @llvm.{op}.f32(float %a)"], ftz)
        out[f"ex2.approx.{var}32"] = out[f"ex2.approx.{var}"].replace(
            f"ex2.approx.{var}(", f"ex2.approx.{var}32(")
    return out


def _conversions():
    out = {}
    for src, t in (("f", "float"), ("d", "double")):
        sz = "f32" if t == "float" else "f64"
        for dst, (it, signed) in _INT.items():
            conv = "fptosi" if signed else "fptoui"
            for mode, intr in _ROUND.items():
                name = f"{src}2{dst}.{mode}"
                body = [f"%x = call {t} @{intr}.{sz}({t} %a)",
                        f"%r = call {it} @llvm.{conv}.sat.{it}.{sz}({t} %x)"]
                out[name] = _fn(name, it, [t], body)
                if t == "float":
                    out[name + ".ftz"] = _fn(name + ".ftz", it, [t], body, True)
    for src, (it, signed) in _INT.items():
        conv = "sitofp" if signed else "uitofp"
        out[f"{src}2f.rn"] = _fn(f"{src}2f.rn", "float", [it], [f"%r = {conv} {it} %a to float"])
        out[f"{src}2d.rn"] = _fn(f"{src}2d.rn", "double", [it],
                                 [f"%r = {conv} {it} %a to double"])
        if it == "i32":  # exact: every rounding mode gives the same double
            for mode in ("rz", "rm", "rp"):
                out[f"{src}2d.{mode}"] = out[f"{src}2d.rn"].replace(f"{src}2d.rn", f"{src}2d.{mode}")
    out["d2f.rn"] = _fn("d2f.rn", "float", ["double"], ["%r = fptrunc double %a to float"])
    out["d2f.rn.ftz"] = _fn("d2f.rn.ftz", "float", ["double"],
                            ["%r = fptrunc double %a to float"], True)
    out["d2i.lo"] = _fn("d2i.lo", "i32", ["double"],
                        ["%i = bitcast double %a to i64", "%r = trunc i64 %i to i32"])
    out["d2i.hi"] = _fn("d2i.hi", "i32", ["double"],
                        ["%i = bitcast double %a to i64", "%s = lshr i64 %i, 32",
                         "%r = trunc i64 %s to i32"])
    out["lohi.i2d"] = _fn("lohi.i2d", "double", ["i32", "i32"],
                          ["%l = zext i32 %a to i64", "%h = zext i32 %b to i64",
                           "%hs = shl i64 %h, 32", "%i = or i64 %hs, %l",
                           "%r = bitcast i64 %i to double"])
    for var, ftz in (("rn", False), ("rn.ftz", True)):
        out[f"f2h.{var}"] = _fn(f"f2h.{var}", "i16", ["float"],
                                ["%h = fptrunc float %a to half", "%r = bitcast half %h to i16"],
                                ftz)
    for name, (it, signed) in _INT.items():
        wide = "i64" if it == "i32" else "i128"
        ext = "sext" if signed else "zext"
        bits = 32 if it == "i32" else 64
        out[f"mulhi.{name}"] = _fn(f"mulhi.{name}", it, [it, it], [
            f"%x = {ext} {it} %a to {wide}", f"%y = {ext} {it} %b to {wide}",
            f"%p = mul {wide} %x, %y", f"%s = lshr {wide} %p, {bits}",
            f"%r = trunc {wide} %s to {it}"])
    for name, signed in (("i", True), ("ui", False)):
        cmp = "sgt" if signed else "ugt"
        out[f"sad.{name}"] = _fn(f"sad.{name}", "i32", ["i32", "i32", "i32"], [
            f"%gt = icmp {cmp} i32 %a, %b", "%d1 = sub i32 %a, %b", "%d2 = sub i32 %b, %a",
            "%d = select i1 %gt, i32 %d1, i32 %d2", "%r = add i32 %d, %c"])
    return out


# fesetround's modes by host architecture (nearest, down, up, toward zero)
_FE = {"x86_64": (0, 0x400, 0x800, 0xC00), "amd64": (0, 0x400, 0x800, 0xC00),
       "aarch64": (0, 0x800000, 0x400000, 0xC00000), "arm64": (0, 0x800000, 0x400000, 0xC00000)}
_CONSTRAINED = 'metadata !"round.dynamic", metadata !"fpexcept.ignore"'


def _directed_fn(name, ret, args, op_line, mode, ftz):
    """@__emu_nvvm_<name>: `op_line` (a constrained operation giving %r from %a, %b, %c) run
    under rounding `mode` (an index into _FE's tuple)."""
    fe = _FE.get(platform.machine().lower())
    if fe is None:
        return None
    flush = [ftz and t == "float" for t in args]
    params = ", ".join(f"{t} %{n}{'0' if f else ''}" for t, n, f in zip(args, "abc", flush))
    lines = [f"  %{n} = call float @__emu_ftz(float %{n}0) strictfp"
             for n, f in zip("abc", flush) if f]
    lines += [f"  call i32 @fesetround(i32 {fe[mode]}) strictfp", "  " + op_line,
              f"  call i32 @fesetround(i32 {fe[0]}) strictfp"]
    out = "%r"
    if ftz and ret == "float":
        lines.append("  %rf = call float @__emu_ftz(float %r) strictfp")
        out = "%rf"
    return (f"define {ret} @__emu_nvvm_{name}({params}) noinline strictfp {{\n" +
            "\n".join(lines) + f"\n  ret {ret} {out}\n}}\n")


def _directed():
    out = {}
    for mode_index, mode in ((1, "rm"), (2, "rp"), (3, "rz")):
        for suffix, t in (("f", "float"), ("d", "double")):
            sz = "f32" if t == "float" else "f64"
            for var, ftz in [(suffix, False)] + ([("ftz.f", True)] if t == "float" else []):
                ops = {
                    "add": ([t, t], f"fadd.{sz}({t} %a, {t} %b"),
                    "mul": ([t, t], f"fmul.{sz}({t} %a, {t} %b"),
                    "div": ([t, t], f"fdiv.{sz}({t} %a, {t} %b"),
                    "fma": ([t, t, t], f"fma.{sz}({t} %a, {t} %b, {t} %c"),
                    "sqrt": ([t], f"sqrt.{sz}({t} %a"),
                }
                for op, (args, call) in ops.items():
                    name = f"{op}.{mode}.{var}"
                    line = (f"%r = call {t} @llvm.experimental.constrained.{call}, "
                            f"{_CONSTRAINED}) strictfp")
                    out[name] = _directed_fn(name, t, args, line, mode_index, ftz)
                name = f"rcp.{mode}.{var}"
                line = (f"%r = call {t} @llvm.experimental.constrained.fdiv.{sz}({t} 1.0, "
                        f"{t} %a, {_CONSTRAINED}) strictfp")
                out[name] = _directed_fn(name, t, [t], line, mode_index, ftz)
            for src, (it, signed) in _INT.items():
                conv = "sitofp" if signed else "uitofp"
                name = f"{src}2{suffix}.{mode}"
                if name in ("i2d." + mode, "ui2d." + mode):
                    continue  # exact: defined with the round-to-nearest ones
                line = (f"%r = call {t} @llvm.experimental.constrained.{conv}.{sz}.{it}({it} %a, "
                        f"{_CONSTRAINED}) strictfp")
                out[name] = _directed_fn(name, t, [it], line, mode_index, False)
        for var, ftz in (("", False), (".ftz", True)):
            name = f"d2f.{mode}{var}"
            line = ("%r = call float @llvm.experimental.constrained.fptrunc.f32.f64(double %a, "
                    f"{_CONSTRAINED}) strictfp")
            out[name] = _directed_fn(name, "float", ["double"], line, mode_index, ftz)
    return {k: v for k, v in out.items() if v is not None}


def _subtractions():
    """sub.<mode>[.ftz].f / .d (libdevice writes them as inline PTX): a - b, rounded."""
    out = {}
    for suffix, t in (("f", "float"), ("d", "double")):
        sz = "f32" if t == "float" else "f64"
        for var, ftz in [(suffix, False)] + ([("ftz.f", True)] if t == "float" else []):
            out[f"sub.rn.{var}"] = _fn(f"sub.rn.{var}", t, [t, t], [f"%r = fsub {t} %a, %b"],
                                       ftz)
            for mode_index, mode in ((1, "rm"), (2, "rp"), (3, "rz")):
                name = f"sub.{mode}.{var}"
                line = (f"%r = call {t} @llvm.experimental.constrained.fsub.{sz}({t} %a, {t} %b, "
                        f"{_CONSTRAINED}) strictfp")
                fn = _directed_fn(name, t, [t, t], line, mode_index, ftz)
                if fn is not None:
                    out[name] = fn
    return out


def normalize_asm(text):
    """Inline-assembly text with LLVM's escapes and runs of white space made single spaces."""
    import re
    return re.sub(r"(\\0A|\\09|\s)+", " ", text).strip()


def _asm_table():
    """Inline PTX (as libdevice writes it) -> (emulator function, its IR definition)."""
    table = {}
    for mode in ("rn", "rz", "rm", "rp"):
        for ftz in ("", ".ftz"):
            var = "ftz.f" if ftz else "f"
            table[f"sub.{mode}{ftz}.f32 $0, $1, $2;"] = (f"__emu_nvvm_sub.{mode}.{var}", None)
        table[f"sub.{mode}.f64 $0, $1, $2;"] = (f"__emu_nvvm_sub.{mode}.d", None)
    table["rcp.approx.ftz.f32 $0,$1;"] = ("__emu_nvvm_rcp.approx.ftz.f", None)
    table["rsqrt.approx.ftz.f64 $0, $1;"] = ("__emu_nvvm_rsqrt.approx.d", None)
    table["bfind.shiftamt.u32 $0, $1;"] = ("__emu_asm_bfind_shiftamt", (
        "define i32 @__emu_asm_bfind_shiftamt(i32 %a) {\n"
        "  %z = icmp eq i32 %a, 0\n  %c = call i32 @llvm.ctlz.i32(i32 %a, i1 false)\n"
        "  %r = select i1 %z, i32 -1, i32 %c\n  ret i32 %r\n}\n"))
    table["{ mad.lo.cc.u32 $0, $2, $3, $4; madc.hi.u32 $1, $2, $3, 0; }"] = (
        "__emu_asm_mad_wide_u32", (
            "define {i32, i32} @__emu_asm_mad_wide_u32(i32 %a, i32 %b, i32 %c) {\n"
            "  %x = zext i32 %a to i64\n  %y = zext i32 %b to i64\n  %z = zext i32 %c to i64\n"
            "  %p = mul i64 %x, %y\n  %s = add i64 %p, %z\n  %lo = trunc i64 %s to i32\n"
            "  %h = lshr i64 %s, 32\n  %hi = trunc i64 %h to i32\n"
            "  %r0 = insertvalue {i32, i32} undef, i32 %lo, 0\n"
            "  %r = insertvalue {i32, i32} %r0, i32 %hi, 1\n  ret {i32, i32} %r\n}\n"))

    def wide(name, params, expr):
        args = ", ".join(f"i64 %{p}" for p in params)
        return (f"define {{i64, i64}} @{name}({args}) {{\n" + expr +
                "  %lo = trunc i128 %s to i64\n  %h = lshr i128 %s, 64\n"
                "  %hi = trunc i128 %h to i64\n"
                "  %r0 = insertvalue {i64, i64} undef, i64 %lo, 0\n"
                "  %r = insertvalue {i64, i64} %r0, i64 %hi, 1\n  ret {i64, i64} %r\n}\n")

    def pair(lo, hi, out):
        return (f"  %{out}l = zext i64 %{lo} to i128\n  %{out}h0 = zext i64 %{hi} to i128\n"
                f"  %{out}h = shl i128 %{out}h0, 64\n  %{out} = or i128 %{out}h, %{out}l\n")

    ext = "  %x = zext i64 %a to i128\n  %y = zext i64 %b to i128\n  %p = mul i128 %x, %y\n"
    mad = ("{ .reg .u32 r0, r1, r2, r3, alo, ahi, blo, bhi, clo, chi; mov.b64 {alo,ahi}, $2; "
           "mov.b64 {blo,bhi}, $3; mov.b64 {clo,chi}, $4; mad.lo.cc.u32 r0, alo, blo, clo; "
           "madc.hi.cc.u32 r1, alo, blo, chi; madc.hi.u32 r2, alo, bhi, 0; mad.lo.cc.u32 r1, "
           "alo, bhi, r1; madc.hi.cc.u32 r2, ahi, blo, r2; madc.hi.u32 r3, ahi, bhi, 0; "
           "mad.lo.cc.u32 r1, ahi, blo, r1; madc.lo.cc.u32 r2, ahi, bhi, r2; addc.u32 r3, r3, "
           "0; mov.b64 $0, {r0,r1}; mov.b64 $1, {r2,r3}; }")
    table[mad] = ("__emu_asm_mad_wide_u64", wide(
        "__emu_asm_mad_wide_u64", "abc",
        ext + "  %z = zext i64 %c to i128\n  %s = add i128 %p, %z\n"))
    mul = ("{ .reg .u32 r0, r1, r2, r3, alo, ahi, blo, bhi; mov.b64 {alo,ahi}, $2; mov.b64 "
           "{blo,bhi}, $3; mul.lo.u32 r0, alo, blo; mul.hi.u32 r1, alo, blo; mad.lo.cc.u32 r1, "
           "alo, bhi, r1; madc.hi.u32 r2, alo, bhi, 0; mad.lo.cc.u32 r1, ahi, blo, r1; "
           "madc.hi.cc.u32 r2, ahi, blo, r2; madc.hi.u32 r3, ahi, bhi, 0; mad.lo.cc.u32 r2, "
           "ahi, bhi, r2; addc.u32 r3, r3, 0; mov.b64 $0, {r0,r1}; mov.b64 $1, {r2,r3}; }")
    table[mul] = ("__emu_asm_mul_wide_u64", wide("__emu_asm_mul_wide_u64", "ab",
                                                 ext + "  %s = add i128 %p, 0\n"))
    for op, inst in (("add", "add"), ("sub", "sub")):
        text = ("{ .reg .u32 r0, r1, r2, r3, a0, a1, a2, a3, b0, b1, b2, b3; mov.b64 {a0,a1}, "
                "$2; mov.b64 {a2,a3}, $3; mov.b64 {b0,b1}, $4; mov.b64 {b2,b3}, $5; "
                f"{op}.cc.u32 r0, a0, b0; {op}c.cc.u32 r1, a1, b1; {op}c.cc.u32 r2, a2, b2; "
                f"{op}c.u32 r3, a3, b3; mov.b64 $0, {{r0,r1}}; mov.b64 $1, {{r2,r3}}; }}")
        name = f"__emu_asm_{op}_u128"
        table[text] = (name, wide(name, ("al", "ah", "bl", "bh"),
                                  pair("al", "ah", "A") + pair("bl", "bh", "B") +
                                  f"  %s = {inst} i128 %A, %B\n"))
    table["{ .reg .pred __$$temp3; setp.equ.f64 __$$temp3, $1, $2; selp.f64 $0, $3, $4, "
          "__$$temp3;}"] = ("__emu_asm_selp_equ_f64", (
              "define double @__emu_asm_selp_equ_f64(double %a, double %b, double %c, "
              "double %d) {\n  %e = fcmp ueq double %a, %b\n"
              "  %r = select i1 %e, double %c, double %d\n  ret double %r\n}\n"))
    return table


_ASM = None


def asm_table():
    """normalized inline PTX text -> (host function name, IR defining it or None when it is one
    of `definitions()`)."""
    global _ASM
    if _ASM is None:
        _ASM = _asm_table()
    return _ASM


_DEFINITIONS = None


def definitions():
    """name (after `llvm.nvvm.`) -> IR text defining @__emu_nvvm_<name>."""
    global _DEFINITIONS
    if _DEFINITIONS is None:
        _DEFINITIONS = {**_directed(), **_float_families(), **_conversions(), **_subtractions()}
    return _DEFINITIONS


def helpers():
    """IR the definitions share (the flush-to-zero helper, fesetround)."""
    return _ftz_helper() + "declare i32 @fesetround(i32)\n"
