"""Resident native code: IR text compiled once per process into an engine that is never freed,
with chosen functions registered as llvmlite symbols so that later modules only declare them.

For runtime support code shared by every compiled function (the BLAS wrappers, the parallel-for
and its threads): one copy per process instead of one per module, and code that stays mapped
for as long as any thread might still run it.
"""
import llvmlite.binding as llvm

from . import forksafe
from .cpu_engine import compile_ir, llvm_lock

_lock = forksafe.Lock()
_engines = {}   # key -> {symbol: address}; the engines themselves are kept in _keep
_keep = []


def install(key, ir_text, symbols):
    """Compile `ir_text` (once per `key`) and register each name in `symbols` under the same
    name; returns {symbol: address}. Later modules call them after a plain `declare`."""
    if key in _engines:
        return dict(_engines[key])
    with llvm_lock, _lock:
        if key not in _engines:
            # through the disk object cache: a new process loads the code instead of compiling
            # (exported: LLVM's optimizer would drop unused linkonce_odr definitions)
            engine = compile_ir(ir_text.replace("define linkonce_odr ", "define "))
            table = {}
            for name in symbols:
                address = engine.address(name)
                llvm.add_symbol(name, address)
                table[name] = address
            _keep.append(engine)  # keeps its code mapped for good
            _engines[key] = table
    return dict(_engines[key])
