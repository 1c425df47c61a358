"""A minimal host JIT for the codegen library tests: IR text -> O3 for the host CPU -> addresses.

Independent of the backend's engine so the kernel library is tested on its own."""
import llvmlite.binding as llvm

_tm = []


def _new_target_machine():
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, codemodel="jitdefault")


def host_target_machine():
    """One shared machine for optimizing and printing asm. Never hand it to an engine:
    create_mcjit_compiler takes ownership and frees it with the engine."""
    if not _tm:
        _tm.append(_new_target_machine())
    return _tm[0]


def optimize(ir_text):
    """The parsed, verified module after the O3 pipeline (vectorizers on) for the host."""
    tm = host_target_machine()
    mod = llvm.parse_assembly(ir_text)
    mod.triple = llvm.get_process_triple()
    mod.data_layout = str(tm.target_data)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return mod


class Jit:
    """Compiled module kept alive with its engine; `address(name)` of a defined function."""

    def __init__(self, ir_text):
        self.module = optimize(ir_text)
        self.asm = host_target_machine().emit_assembly(self.module)
        self.engine = llvm.create_mcjit_compiler(self.module, _new_target_machine())
        self.engine.finalize_object()

    def address(self, name):
        addr = self.engine.get_function_address(name)
        assert addr, name
        return addr
