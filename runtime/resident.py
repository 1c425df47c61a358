"""Resident native code: IR text compiled once per process into an engine that is never freed,
with chosen functions registered as llvmlite symbols so that later modules only declare them.

For runtime support code shared by every compiled function (the BLAS wrappers, the parallel-for
and its threads): one copy per process instead of one per module, and code that stays mapped
for as long as any thread might still run it.
"""
import threading

_lock = threading.Lock()
_engines = {}   # key -> {symbol: address}; the engines themselves are kept in _keep
_keep = []


def install(key, ir_text, symbols):
    """Compile `ir_text` (once per `key`) and register each name in `symbols` under the same
    name; returns {symbol: address}. Later modules call them after a plain `declare`."""
    if key in _engines:
        return dict(_engines[key])
    import llvmlite.binding as llvm
    from .cpu_engine import llvm_lock  # LLVM's global context: one compiling thread at a time
    with llvm_lock, _lock:
        if key not in _engines:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            tm = llvm.Target.from_default_triple().create_target_machine(
                cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
                opt=2, codemodel="jitdefault")
            mod = llvm.parse_assembly(ir_text)
            mod.triple = llvm.get_process_triple()
            mod.data_layout = str(tm.target_data)
            mod.verify()
            engine = llvm.create_mcjit_compiler(mod, tm)   # owns tm and mod from here on
            engine.finalize_object()
            table = {}
            for name in symbols:
                address = engine.get_function_address(name)
                if not address:
                    raise RuntimeError(f"resident module {key!r} defines no function {name!r}")
                llvm.add_symbol(name, address)
                table[name] = address
            _keep.append(engine)
            _engines[key] = table
    return dict(_engines[key])
