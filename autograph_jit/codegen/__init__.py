"""Backends that lower optimized graphs to native code (llvm: CPU; ptx: NVIDIA GPUs)."""

import threading
import os

from ..runtime import cache_files, cpu_engine, resident
from .llvm import native_call, pycall
import atexit

_prewarm = []        # the setup thread, once started
_prewarm_lock = threading.Lock()
_want = {}           # "stop": the interpreter is ending
# the folders the caches' source stamps cover (keras/models/graph_cache.py package_digest,
# codegen/llvm/lowering_cache.py source_digest: the package and its runtime)
_STAMPED = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            os.path.dirname(os.path.abspath(cpu_engine.__file__)))


def prewarm():
    """Start the CPU backend's one-time setup on one background thread, so it overlaps the first
    trace and lowering: the disk caches' source stamps, LLVM's target setup, the entry's call
    trampoline; then, once a first call asks for it, the native warm call. Idempotent. (One
    thread: each thread started costs the caller up to a GIL switch interval.)

    The runtime glue a module links to (the BLAS wrappers, the parallel-for) is not made here:
    the link makes what the module declares, on the calling thread while the compile threads
    optimize the module's parts (lowering_cache.link_symbols). Made here beside a trace, every
    call into LLVM let go of the GIL and waited a switch interval to take it back, and those
    hand-offs cost the tracing thread more than the glue costs the link: a cold first Keras
    `fit` step took 305 ms with it here, 286 ms without (interleaved medians of 13)."""
    with _prewarm_lock:
        if _prewarm:
            return
        t = threading.Thread(target=_setup, name="autograph_jit-prewarm", daemon=True)
        _prewarm.append(t)
        native_call.make_in_background(t)
        atexit.register(_at_exit)  # never leave it mid-import while the interpreter ends
        t.start()


def wait_prewarm():
    """Block until the setup finished. (Compiling needs no call to this: every piece of the setup
    is also made on first use if it is not there yet, once, and LLVM optimizes each module in
    an LLVM context of its own, so the first trace, lowering and compile run beside the setup.)"""
    native_call.allow_background()   # (its last piece waits for a first call otherwise)
    for t in list(_prewarm):
        if t.is_alive():
            t.join()


def _at_exit():
    _want["stop"] = True   # (the native warm call is not worth making now)
    wait_prewarm()


def _setup():
    # (each piece is made once, by this thread or by the first caller that needs it sooner, so
    # the first function's lowering and compile interleave with them; in the order a first
    # call needs them: the graph cache's key, what an executable and its call need)
    try:
        # the source stamps of the disk caches' keys (graph, lowering, resident IR: the
        # package's and the runtime's folders), walked once per process; stat calls release the
        # GIL, so the walk overlaps the caller's work, and a key that needs it waits for it
        cache_files.source_stamp(_STAMPED, once_per_process=True)
        cpu_engine.host_info()
        # the Python call's trampoline (every executable's entry), only when it must be
        # compiled (its object is not in the disk cache); otherwise whoever needs it first
        # loads it, in ~1 ms: done here it costs the caller more, since this thread takes the
        # GIL back after every call into LLVM (a warm first fit step: 53 -> 43 ms without it)
        if not resident.is_cached(pycall.TRAMPOLINE_IR):
            pycall.prepare()
        # last, and only once a first call asks for it (not beside the first compile, which
        # needs both cores): the native warm call, ~110 ms of CPU when nothing is cached; the
        # first call returns without it, a second waits for it (native_call.setup_pending)
        native_call.prepare_in_background(skip=lambda: _want.get("stop", False))
    except Exception:  # each piece is retried (and reports) on first real use
        pass

