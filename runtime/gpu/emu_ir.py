"""Turning a kernel module's NVPTX-flavoured LLVM IR into host IR for the grid emulator.

`prepare(llvm_ir)` rewrites the text (the same IR the driver path turns into PTX):
- the NVPTX triple, data layout, `ptx_kernel` calling convention and `target-cpu`/`-features`
  attributes go (the caller sets the host's);
- special registers, barriers, warp shuffles, `llvm.trap`, `__nvvm_reflect` and the NVVM math
  intrinsics become calls into the emulator runtime (`emu_runtime`, `emu_intrinsics`); each
  barrier call site gets its own number, so threads meeting at different barriers are told apart;
- `addrspace(3)` globals (shared memory) get external linkage, so the launcher finds and
  poisons them per block; an `extern` (dynamic) shared array gets `DYNAMIC_SHARED_BYTES`.
Anything else a GPU does not have — an external function (`expf` from libm links on the host but
not in `ptxas`), an NVVM intrinsic outside the supported set — is refused by name with
`UnimplementedError`/`InvalidArgumentError`, never run differently from the GPU.

It also returns, per kernel, whether the kernel (or a function it calls) synchronises: those run
one fiber per GPU thread, the others as plain loops.
"""
import re

from . import emu_intrinsics

DYNAMIC_SHARED_BYTES = 227 * 1024  # the most dynamic shared memory a block gets (sm_90)

_SREG = re.compile(r"read\.ptx\.sreg\.(tid|ntid|ctaid|nctaid)\.([xyz])$")
_SHFL = re.compile(r"shfl\.sync\.(up|down|bfly|idx)\.(i32|f32)$")
_BARRIER_ID = ("barrier.cta.sync.aligned.all", "barrier.sync", "barrier.cta.sync.all",
               "barrier.cta.sync.aligned", "barrier.cta.sync", "barrier")
_SYNC_NAMES = ("__emu_barrier", "__emu_barrier_id", "__emu_shfl_", "__emu_warp_sync")


class Unsupported(Exception):
    """What in a kernel module the emulator cannot run (internal: the caller raises a TF error)."""

    def __init__(self, message, kind="unimplemented"):
        super().__init__(message)
        self.kind = kind


def _declared(text):
    """Names of the functions `text` declares (not defines)."""
    return re.findall(r'^declare[^@\n]*@("[^"]+"|[-\w.$]+)\(', text, re.M)


def kernel_names(text):
    """Kernels of the module: functions marked `!"kernel"` in !nvvm.annotations or defined with
    the ptx_kernel calling convention, in order of appearance."""
    names = re.findall(r'define\s+(?:[\w]+\s+)*?ptx_kernel\s+[^@]*@([-\w.$]+)\(', text)
    annotated = set()
    for node in re.findall(r'^!\d+\s*=\s*!\{([^}\n]*)\}', text, re.M):
        m = re.match(r'\s*ptr(?: addrspace\(\d+\))?\s+@([-\w.$]+)\s*,\s*!"kernel"\s*,\s*i32 1',
                     node)
        if m:
            annotated.add(m.group(1))
    defined = re.findall(r'^define[^@\n]*@([-\w.$]+)\(', text, re.M)
    out = [n for n in defined if n in annotated or n in names]
    return out


def _rename_target(name):
    """The emulator function replacing declared function `name`, or None when `name` stays."""
    if name == "llvm.trap":
        return "__emu_trap"
    if name == "__nvvm_reflect":
        return "__emu_nvvm_reflect"
    if not name.startswith("llvm.nvvm."):
        return None
    rest = name[len("llvm.nvvm."):]
    m = _SREG.match(rest)
    if m:
        return f"__emu_sreg_{m.group(1)}_{m.group(2)}"
    if rest in ("read.ptx.sreg.laneid", "read.ptx.sreg.warpsize"):
        return "__emu_sreg_" + rest.rsplit(".", 1)[1]
    m = _SHFL.match(rest)
    if m:
        return f"__emu_shfl_{m.group(1)}_{m.group(2)}"
    if rest == "bar.warp.sync":
        return "__emu_warp_sync"
    if rest in emu_intrinsics.definitions():
        return "__emu_nvvm_" + rest
    return None


def _function_bodies(text):
    """name -> body text of each function defined in `text`."""
    out = {}
    for m in re.finditer(r'^define[^@\n]*@([-\w.$]+)\((?:.|\n)*?^\}', text, re.M):
        out[m.group(1)] = m.group(0)
    return out


def _synchronising(text, kernels):
    """{kernel: True when it (or a function it reaches) calls a barrier or shuffle}."""
    bodies = _function_bodies(text)
    calls = {n: set(re.findall(r'@([-\w.$]+)\(', b.split("\n", 1)[1] if "\n" in b else ""))
             for n, b in bodies.items()}
    direct = {n for n, cs in calls.items() if any(c.startswith(_SYNC_NAMES) for c in cs)}
    out = {}
    for k in kernels:
        seen, todo = set(), [k]
        while todo:
            f = todo.pop()
            if f in seen:
                continue
            seen.add(f)
            todo.extend(c for c in calls.get(f, ()) if c in bodies)
        out[k] = bool(seen & direct)
    return out


def prepare(llvm_ir):
    """(host IR text, kernel names, {kernel: synchronises}, renamed-function declarations)."""
    text = llvm_ir
    kernels = kernel_names(text)
    if not kernels:
        raise Unsupported("the module defines no kernel (mark one with !nvvm.annotations "
                          "!{ptr @k, !\"kernel\", i32 1} or the ptx_kernel calling convention)",
                          "invalid")
    declared = _declared(text)
    renames, unsupported, external = {}, [], []
    barrier_ids = set()
    for name in declared:
        bare = name.strip('"')
        if bare == "llvm.nvvm.barrier0":
            renames[bare] = None
            continue
        if bare.startswith("llvm.nvvm.") and bare[len("llvm.nvvm."):] in _BARRIER_ID:
            barrier_ids.add(bare)
            renames[bare] = None
            continue
        target = _rename_target(bare)
        if target is not None:
            renames[bare] = target
        elif bare.startswith("llvm.nvvm."):
            unsupported.append(bare)
        elif not bare.startswith("llvm."):
            external.append(bare)
    if unsupported:
        raise Unsupported("the emulator does not run these NVVM intrinsics: " +
                          ", ".join(sorted(unsupported)) + " (directed rounding, atomics, "
                          "votes and the like are not emulated)")
    if external:
        raise Unsupported("the kernel module calls external functions a GPU does not have: " +
                          ", ".join(sorted(external)) + " (link libdevice's __nv_* versions "
                          "into the module instead of calling libm)", "invalid")
    # drop the declarations being replaced
    lines = []
    for line in text.split("\n"):
        m = re.match(r'^declare[^@\n]*@("[^"]+"|[-\w.$]+)\(', line)
        if m and m.group(1).strip('"') in renames:
            continue
        if line.startswith(("target datalayout", "target triple")):
            continue
        lines.append(line)
    text = "\n".join(lines)
    site = [0]

    def barrier0(m):
        site[0] += 1
        return f"@__emu_barrier(i32 {site[0]})"

    def barrier_id(m):
        site[0] += 1
        return f"@__emu_barrier_id({m.group(1)}, i32 {site[0]})"

    text = re.sub(r'@llvm\.nvvm\.barrier0\(\)', barrier0, text)
    for name in barrier_ids:
        text = re.sub('@' + re.escape(name) + r'\((i32 [^,)]*)\)', barrier_id, text)
    used = set()

    def rename(m):
        target = renames.get(m.group(1))
        if target is None:
            return m.group(0)
        used.add(target)
        return "@" + target

    text = re.sub(r'@([-\w.$]+)(?=\()', rename, text)
    if site[0]:
        used.update(("__emu_barrier", "__emu_barrier_id"))
    text, asm_defs = _replace_inline_asm(text, used)
    text = re.sub(r'\bptx_(?:kernel|device)\s+', "", text)
    text = re.sub(r'"target-(?:cpu|features)"="[^"]*"', "", text)
    # shared memory: visible to the launcher (external linkage); dynamic shared gets a size
    text = re.sub(r'^(@[-\w.$"]+) = (?:internal |private )?((?:dso_local |unnamed_addr |'
                  r'local_unnamed_addr )*)addrspace\(3\) global',
                  r'\1 = \2addrspace(3) global', text, flags=re.M)
    text = re.sub(r'^(@[-\w.$"]+) = external ((?:dso_local |unnamed_addr |local_unnamed_addr )*)'
                  r'addrspace\(3\) global (\[0 x [^\]]+\]|[^,\n]+)',
                  rf'\1 = \2addrspace(3) global [{DYNAMIC_SHARED_BYTES} x i8] zeroinitializer',
                  text, flags=re.M)
    # named NVVM metadata goes: MCJIT gives wrong function addresses in a module whose named
    # metadata points at its functions (!nvvm.annotations = !{!{ptr @k, ...}})
    text = re.sub(r'^!nvvm\.[\w.]+ = [^\n]*$', "", text, flags=re.M)
    sync = _synchronising(text, kernels)
    return text + "".join(asm_defs), kernels, sync, sorted(used)


_ASM_CALL = re.compile(r'asm (?:sideeffect )?(?:alignstack )?(?:inteldialect )?'
                       r'"((?:[^"\\]|\\.)*)", "([^"]*)"(?=\()')


def _replace_inline_asm(text, used):
    """Inline PTX the emulator knows (libdevice's few snippets) becomes calls of host functions;
    any other inline assembly is refused (the host backend would abort on PTX registers)."""
    table = emu_intrinsics.asm_table()
    defs = {}
    unknown = []

    def sub(m):
        key = emu_intrinsics.normalize_asm(m.group(1))
        hit = table.get(key)
        if hit is None:
            unknown.append(key)
            return m.group(0)
        name, definition = hit
        if definition is not None:
            defs[name] = definition
        used.add(name)
        return "@" + name
    text = _ASM_CALL.sub(sub, text)
    if unknown:
        raise Unsupported("the kernel module holds inline PTX assembly the emulator does not "
                          "run: " + "; ".join(repr(u[:80]) for u in sorted(set(unknown))))
    return text, list(defs.values())
