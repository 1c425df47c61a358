"""PTX from a kernel module's LLVM IR, through llvmlite's NVPTX target.

The code generator normally hands over both (`KernelModule.ptx`); `emit_ptx` is what the
driver uses when a module came without PTX, and what the tests use to assemble hand-written
kernels. The module's own triple and data layout are replaced by the NVPTX ones.

Example:
    ptx = emit_ptx(ir_text, "sm_80", (8, 0))
"""
import re
import threading

from autograph_jit.errors import InvalidArgumentError

TRIPLE = "nvptx64-nvidia-cuda"
_lock = threading.Lock()
_targets = {}


def _target_machine(sm, ptx_version):
    import llvmlite.binding as llvm
    key = (sm, ptx_version)
    with _lock:
        tm = _targets.get(key)
        if tm is None:
            llvm.initialize_all_targets()
            llvm.initialize_all_asmprinters()
            target = llvm.Target.from_triple(TRIPLE)
            tm = target.create_target_machine(
                cpu=sm, features=f"+ptx{ptx_version[0]}{ptx_version[1]}", opt=3)
            _targets[key] = tm
        return tm


def emit_ptx(llvm_ir, sm="sm_80", ptx_version=(8, 0), optimize=True):
    """PTX text for `llvm_ir` on target `sm` ("sm_80") with ISA `ptx_version` ((8, 0)).

    Raises InvalidArgumentError when the IR does not parse or verify."""
    import llvmlite.binding as llvm
    tm = _target_machine(sm, tuple(ptx_version))
    text = re.sub(r'^target (datalayout|triple) = "[^"]*"\s*$', "", llvm_ir, flags=re.M)
    with _lock:
        try:
            mod = llvm.parse_assembly(text)
            mod.triple = TRIPLE
            mod.data_layout = str(tm.target_data)
            mod.verify()
        except RuntimeError as e:
            raise InvalidArgumentError(f"emit_ptx: the kernel module's LLVM IR is invalid: {e}") \
                from None
        if optimize:
            pto = llvm.create_pipeline_tuning_options(speed_level=3)
            pb = llvm.create_pass_builder(tm, pto)
            pb.getModulePassManager().run(mod, pb)
        return tm.emit_assembly(mod)
