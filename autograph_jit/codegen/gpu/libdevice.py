"""libdevice (the CUDA toolkit's `libdevice.10.bc`), linked into kernel modules only in the part
they reach.

libdevice holds about 350 functions (1 MB of bitcode; parsing it takes ~35-50 ms). For each set
of `__nv_*` functions a module calls, the functions they reach (and the globals those use) are
cut out once per process — libdevice parsed, every other function made internal and dropped by
global dead-code elimination — and kept as a small bitcode. `link(module, names, llvm)` parses that
small bitcode into the module's context, links it in and makes its functions internal: the same
module as linking libdevice whole, internalizing it and dropping what is unreferenced (what
target.py did before), for a fraction of the time.

Example:
    link(mod, ctx, {"__nv_powf"}, llvm, toolkit, TRIPLE, tm)     # mod now defines __nv_powf (internal) and its callees
"""
from ...errors import UnavailableError
from ...runtime import forksafe

__all__ = ["link", "referenced"]

_lock = forksafe.Lock()
_full = {}      # "bitcode": libdevice's file, read once
_subsets = {}   # frozenset of names -> (bitcode, names of the functions it defines)


def referenced(module):
    """The `__nv_*` functions `module` (llvmlite ModuleRef) declares, as a frozenset."""
    return frozenset(f.name for f in module.functions
                     if f.is_declaration and f.name.startswith("__nv_"))


def _bitcode(toolkit):
    path = toolkit()["libdevice"]
    if path is None:
        raise UnavailableError(
            None, None, "the kernel calls a libdevice function (__nv_*), but libdevice.10.bc "
            "was not found (looked in $CUDA_HOME, the toolkit of ptxas on the PATH and the "
            "nvidia-cuda-nvcc wheel). Install the CUDA toolkit or set CUDA_HOME.")
    with open(path, "rb") as f:
        return f.read()


def _subset(names, llvm, toolkit, triple, target_machine):
    """(bitcode, defined names) of libdevice cut down to `names` and what they reach."""
    with _lock:
        hit = _subsets.get(names)
        if hit is not None:
            return hit
        if "bitcode" not in _full:
            _full["bitcode"] = _bitcode(toolkit)
        # (parsed anew for each new name set: cloning a kept parsed copy takes longer)
        lib = llvm.parse_bitcode(_full["bitcode"], context=llvm.create_context())
        try:
            for f in lib.functions:
                if not f.is_declaration and f.name not in names:
                    f.linkage = "internal"
            pto = llvm.create_pipeline_tuning_options(speed_level=0)
            dce = llvm.create_new_module_pass_manager()
            dce.add_global_dead_code_eliminate_pass()
            dce.run(lib, llvm.create_pass_builder(target_machine, pto))
            lib.triple = triple
            defined = tuple(f.name for f in lib.functions if not f.is_declaration)
            hit = _subsets[names] = (lib.as_bitcode(), defined)
        finally:
            lib.close()   # (before its context goes)
        return hit


def link(module, context, names, llvm, toolkit, triple, target_machine):
    """Link the part of libdevice that `names` reach into `module` (functions internal).

    Args:
      module: an llvmlite ModuleRef; context: its llvmlite context.
      names: the `__nv_*` names it calls (`referenced(module)`).
      llvm: llvmlite.binding; toolkit: target.toolkit; triple: the NVPTX triple;
      target_machine: an NVPTX target machine (only for the cut, under this module's lock).
    """
    if not names:
        return
    bitcode, defined = _subset(names, llvm, toolkit, triple, target_machine)
    module.link_in(llvm.parse_bitcode(bitcode, context=context))
    for name in defined:
        module.get_function(name).linkage = "internal"
