"""Test helpers: link libdevice into a kernel module (internalized, then NVPTX O3 drops what is
unused, as the code generator does) and compile kernels to PTX."""
import functools

from autograph_jit.runtime.gpu import nvptx, ptxas


@functools.lru_cache(maxsize=None)
def _libdevice_bitcode():
    path = ptxas.find_libdevice()
    if path is None:
        return None
    with open(path, "rb") as fh:
        return fh.read()


def link_libdevice(ir_text, sm="sm_80", ptx_version=(7, 8)):
    """The kernel module with libdevice's functions it calls linked in (internal linkage) and
    the NVPTX O3 pipeline run; None when libdevice is not on this machine."""
    import llvmlite.binding as llvm
    bc = _libdevice_bitcode()
    if bc is None:
        return None
    tm = nvptx._target_machine(sm, ptx_version)
    mod = llvm.parse_assembly(ir_text)
    mod.triple = nvptx.TRIPLE
    mod.data_layout = str(tm.target_data)
    lib = llvm.parse_bitcode(bc)
    lib.triple = nvptx.TRIPLE
    lib.data_layout = str(tm.target_data)
    mod.link_in(lib)
    for fn in mod.functions:  # internal once linked: O3 drops what the kernels do not call
        if not fn.is_declaration and fn.name.startswith("__nv_"):
            fn.linkage = llvm.Linkage.internal
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=3))
    pb.getModulePassManager().run(mod, pb)
    return str(mod)
