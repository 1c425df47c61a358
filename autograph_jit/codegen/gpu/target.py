"""The NVPTX target: the CUDA toolkit on this machine, LLVM IR -> PTX, and ptxas.

- `toolkit()`: where `ptxas` and libdevice live: the ones the driver path uses
  (runtime/gpu/ptxas.py finds them). Nothing here needs a GPU.
- `compile_ptx(ir_text, sm)`: the module cut into at most 8 parts of whole kernels (split.py), each
  compiled on the compile threads (runtime/llvm_pool.py: LLVM runs them concurrently): parse, check
  every declared function against the allowlist (allowlist.py: some intrinsics make LLVM's
  NVPTX backend abort the process), link the part of libdevice the `__nv_*` calls reach
  (libdevice.py: made internal, so O3 inlines and drops it: ~100 PTX lines instead of 21,000),
  O3 and emit PTX; the PTX joined in kernel order (the same cubin as the module compiled whole)
  and the optimized parts linked into one module. Returns that optimized IR (what the grid
  emulator runs) and the PTX text.
- `ptxas(ptx, sm)`: assemble with runtime/gpu/ptxas.py (`-v`): the cubin's registers and
  shared memory, or a ResourceExhaustedError/InternalError carrying ptxas's message and the
  command.
"""
import functools
import os
import subprocess

from ...errors import InternalError, ResourceExhaustedError, UnavailableError
from ...runtime import llvm_pool
from ...runtime.gpu import ptx_cache, ptxas as _ptxas
from . import libdevice
from .allowlist import check_declarations
from .split import join_ptx, split_kernels

TRIPLE = "nvptx64-nvidia-cuda"
# PTX ISA version per target (LLVM feature "+ptxNN"): the lowest that has the target
PTX_VERSION = {75: 64, 80: 70, 86: 71, 87: 74, 89: 78, 90: 78}


@functools.lru_cache(maxsize=None)
def toolkit():
    """Where the CUDA toolkit is: {'ptxas': path or None, 'libdevice': path or None,
    'root': path or None} (cached for the process): the same ptxas and libdevice the driver
    path uses (runtime/gpu/ptxas.py: $AUTOGRAPH_JIT_PTXAS, the PATH — a wrapper script that
    execs the toolkit's ptxas is followed —, $CUDA_HOME, /usr/local/cuda, the nvidia-cuda-nvcc
    wheel; libdevice from ptxas's own toolkit first).

    Example:
        if toolkit()["ptxas"] is None:
            pytest.skip("no ptxas")
    """
    exe = _ptxas.find()
    return {"root": _ptxas.toolkit_root(exe) if exe else None, "ptxas": exe,
            "libdevice": _ptxas.find_libdevice()}


@functools.lru_cache(maxsize=None)
def ptxas_version():
    """ptxas's version line (part of the cubin cache key), or None without ptxas."""
    path = toolkit()["ptxas"]
    if not path:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def _llvm():
    import llvmlite.binding as llvm
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm


def _new_target_machine(sm):
    llvm = _llvm()
    target = llvm.Target.from_triple(TRIPLE)
    return target.create_target_machine(cpu=f"sm_{sm}", features=f"+ptx{PTX_VERSION[sm]}",
                                        opt=3)


def _new_pipeline(sm):
    """(target machine, O3 module pass manager, its pass builder) for sm_`sm`: made once per
    compile thread and reused for every module it compiles (building the pipeline anew for each
    module left ~70 KB behind in the process each time)."""
    llvm = _llvm()
    tm = _new_target_machine(sm)
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = False   # SIMT code: vector reductions (llvm.vector.reduce.*)
    pto.slp_vectorization = False    # only add intrinsics NVPTX may not select
    pb = llvm.create_pass_builder(tm, pto)
    pb._agj_keep = pto   # (the tuning options live as long as the pass builder)
    return tm, pb


@functools.lru_cache(maxsize=None)
def _target_machine(sm):
    """The process's target machine for sm_`sm` (data layout, libdevice's cut; compiles use a
    machine of their thread's own: llvm_pool.target_machine)."""
    return _new_target_machine(sm)


def data_layout():
    return str(_target_machine(75).target_data)


def supported_sm(major, minor):
    """The newest target LLVM is asked for that a device of compute capability (major, minor)
    runs (PTX for sm_XY runs on every later device through the driver's JIT)."""
    cc = major * 10 + minor
    ok = [sm for sm in PTX_VERSION if sm <= cc]
    if not ok:
        raise UnavailableError(None, None, f"the GPU has compute capability {major}.{minor}; "
                               "the GPU backend needs 7.5 or newer. Use backend='cpu'.")
    return max(ok)


# What the compiled PTX depends on besides the IR and the target: the pipeline below (bump the
# tag when it changes), LLVM, and the libdevice file linked in.
_PIPELINE_TAG = "O3-novec-gdce-split-2"


@functools.lru_cache(maxsize=None)
def _toolchain_tag():
    import llvmlite
    llvm = _llvm()
    path = toolkit()["libdevice"]
    lib = ""
    if path is not None:
        st = os.stat(path)
        lib = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    return f"{_PIPELINE_TAG}|llvmlite {llvmlite.__version__}|LLVM " \
           f"{'.'.join(map(str, llvm.llvm_version_info))}|{lib}"


def compile_ptx(ir_text, sm=75):
    """Compiles a kernel module's LLVM IR to PTX for target sm_`sm` (through the PTX cache:
    memory, then disk, keyed by the IR, the target and the toolchain; runtime/gpu/ptx_cache.py).

    Args:
      ir_text: the module (NVPTX triple; kernels listed in !nvvm.annotations).
      sm: the target, 75 or newer (PTX_VERSION's keys).
    Returns:
      (the optimized IR with libdevice linked if referenced, the PTX text).
    Raises:
      UnimplementedError: a declared function NVPTX cannot compile (allowlist.py).

    Example:
        ir, ptx = compile_ptx(plan.ir_text, 80)
        ptxas(ptx, 80)["registers"]     # {'k_fusion_0': 22, ...}
    """
    parts = (ir_text, f"sm_{sm}", f"+ptx{PTX_VERSION[sm]}", _toolchain_tag())
    return ptx_cache.get_or_compile(parts, lambda: _compile_ptx(ir_text, sm))


def _compile_ptx(ir_text, sm):
    """compile_ptx without the cache. A module of several kernels is cut into parts of whole
    kernels (split.py), compiled on the compile threads (llvm_pool.py) and joined again: the
    same cubins as the whole module compiled at once (split.py says what differs in the PTX
    text); the module compiles whole when it cannot be cut or its parts' PTX cannot be joined."""
    parts = split_kernels(ir_text)
    if parts is not None:
        try:
            compiled = llvm_pool.map_ordered(lambda p: _compile_module(p[1], sm, part=True),
                                             parts)
        except RuntimeError:   # LLVM refused a part: the whole module gives LLVM's own error
            compiled = None    # (or, for a module split.py misread, the PTX)
        ptx = compiled and join_ptx([p for _, p in compiled])
        if ptx:
            return _link_optimized(compiled), ptx
    return _compile_module(ir_text, sm)


def _compile_module(ir_text, sm, part=False):
    """(optimized IR text, PTX) of one module: parse (in a context of its own), check, link the
    part of libdevice it reaches (libdevice.py), O3, NVPTX codegen. Safe on any thread.
    part: the module is one part of several: ((optimized bitcode, names of its internal
    globals, made linkonce_odr so that linking the parts keeps one of each), PTX) instead."""
    llvm = _llvm()
    context = llvm.create_context()
    mod = llvm.parse_assembly(ir_text, context=context)
    try:
        return _compile_parsed(llvm, context, mod, sm, part)
    finally:
        mod.close()   # (before its context goes: garbage collection may take them any order)


def _compile_parsed(llvm, context, mod, sm, part):
    mod.verify()
    check_declarations(mod)
    tm, pb = llvm_pool.target_machine(("nvptx", sm), lambda: _new_pipeline(sm))
    libdevice.link(mod, context, libdevice.referenced(mod), llvm, toolkit, TRIPLE,
                   _target_machine(sm))
    mod.triple = TRIPLE
    mod.data_layout = str(tm.target_data)
    llvm_pool.run_passes(pb.getModulePassManager(), mod, pb)
    check_declarations(mod)   # O3 may introduce calls (never one that aborts codegen)
    if part:   # (taken before codegen: NVPTX's code generation changes the module's IR)
        internal = [g for g in mod.global_variables if g.linkage == llvm.Linkage.internal]
        for g in internal:   # (the shared-memory array every part holds a copy of)
            g.linkage = "linkonce_odr"
        optimized = (mod.as_bitcode(), tuple(g.name for g in internal))
        for g in internal:
            g.linkage = "internal"
    else:
        optimized = str(mod)
    return optimized, llvm_pool.emit_assembly(tm, mod)


def _link_optimized(compiled):
    """The optimized IR text of the parts (_compile_module(..., part=True)'s results) linked
    into one module, their internal globals internal again: what the grid emulator runs and
    cf.llvm_ir(optimized=True) shows."""
    llvm = _llvm()
    context = llvm.create_context()
    mod, internal = None, set()
    for (bitcode, names), _ in compiled:
        part = llvm.parse_bitcode(bitcode, context=context)
        internal.update(names)
        if mod is None:
            mod = part
        else:
            mod.link_in(part)
    try:
        for name in sorted(internal):
            mod.get_global_variable(name).linkage = "internal"
        return str(mod)
    finally:
        mod.close()


def ptxas(ptx, sm=75):
    """Assemble `ptx` for sm_`sm` (runtime/gpu/ptxas.py, as the driver path does): {'registers':
    {kernel: n}, 'shared': {kernel: bytes}, 'log': text}. Raises UnavailableError without
    ptxas, ResourceExhaustedError when a kernel needs more than the target has, InternalError
    for any other ptxas error (each with ptxas's message and a command that repeats it)."""
    if toolkit()["ptxas"] is None:
        raise UnavailableError(None, None, "ptxas was not found (CUDA toolkit): install it or "
                                           "set CUDA_HOME")
    try:
        done = _ptxas.assemble(ptx, f"sm_{sm}")
    except _ptxas.PtxasError as e:
        log = str(e.message if hasattr(e, "message") else e)
        cls = ResourceExhaustedError if ("too much" in log or "exceeds" in log) else InternalError
        raise cls(None, None, f"ptxas rejected the generated PTX for sm_{sm}: {log}") from None
    return {"registers": {k: u["registers"] for k, u in done.usage.items()},
            "shared": {k: u["shared_bytes"] for k, u in done.usage.items()}, "log": done.log}


__all__ = ["toolkit", "ptxas_version", "compile_ptx", "ptxas", "supported_sm", "TRIPLE",
           "data_layout"]
