"""Backends that lower optimized graphs to native code (llvm: CPU; ptx: NVIDIA GPUs)."""

import threading
import os

from ..runtime import cache_files, cpu_engine
from .llvm import executable, native_call, parallel, pycall
import atexit

_prewarm = []
# the folders the caches' source stamps cover (keras/models/graph_cache.py package_digest,
# codegen/llvm/lowering_cache.py source_digest: the package and its runtime)
_STAMPED = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            os.path.dirname(os.path.abspath(cpu_engine.__file__)))


def prewarm():
    """Start the CPU backend's one-time setup (LLVM target, the ABI probe, the parallel-for, the
    native warm call, the entry's call trampoline) on a background thread, so it overlaps the first trace. Idempotent."""
    if _prewarm:
        return
    t = threading.Thread(target=_setup, name="autograph_jit-prewarm", daemon=True)
    _prewarm.append(t)
    t.start()
    # the source stamps of the disk caches' keys (graph, lowering, resident IR: the package's
    # and the runtime's folders), statted beside the caller's work
    cache_files.stamp_in_background(_STAMPED)
    atexit.register(wait_prewarm)  # never leave it mid-import while the interpreter shuts down


def wait_prewarm():
    """Block until the setup finished. (Compiling needs no call to this: the setup holds
    cpu_engine.llvm_lock, which every compile takes, so the first trace and lowering run beside
    it and the first compile waits for it.)"""
    if _prewarm and _prewarm[0].is_alive():
        _prewarm[0].join()


def _setup():
    with cpu_engine.llvm_lock:
        _setup_locked(cpu_engine)


def _setup_locked(cpu_engine):
    try:
        cpu_engine.host_info()
        executable.check_abi()
        parallel.install()
        native_call.prepare()
        pycall.prepare()
        # (SciPy's BLAS is set up on first use by a large matmul: importing SciPy costs about a
        # second of CPU, too much for every program that decorates a function)
    except Exception:  # each piece is retried (and reports) on first real use
        pass
