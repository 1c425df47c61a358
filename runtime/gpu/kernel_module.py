"""`KernelModule`: the unit the GPU code generator hands to a device.

One LLVM module for the NVPTX target holding one or more kernels (functions marked `"kernel"`
in `!nvvm.annotations`, or defined with the `ptx_kernel` calling convention), libdevice's
`__nv_*` functions already linked in with internal linkage, plus the PTX text emitted from it
(`ptx`, None where the generator did not emit it). The CUDA driver loads `ptx` (through ptxas
and the cubin cache); the grid emulator compiles `llvm_ir` for the host: both run the same
generated code.
"""
import dataclasses
from .emu_ir import kernel_names


@dataclasses.dataclass
class KernelModule:
    """A generated GPU module: `name`, `llvm_ir` (NVPTX triple) and `ptx` (or None).

    Example:
        km = KernelModule("add_one", llvm_ir=ir_text, ptx=ptx_text)
        get_device().load_module(km).launch("add_one", grid=(4,), block=(256,), args=[buf])
    """

    name: str
    llvm_ir: str
    ptx: str | None = None

    def kernel_names(self):
        """The kernels the module defines, in order."""
        return kernel_names(self.llvm_ir)
