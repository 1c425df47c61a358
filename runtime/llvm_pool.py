"""Compiling independent LLVM modules on several threads at once: the parts of a module cut
along its kernels (the GPU backend's PTX, codegen/gpu/split.py; the CPU backend's object code,
codegen/llvm/module_split.py and cpu_engine.compile_ir).

llvmlite serializes every call into LLVM behind one process-wide lock, so threads alone never run
LLVM concurrently. LLVM itself does allow it for modules in separate `LLVMContext`s with separate
target machines (XLA compiles its GPU modules that way). Here the two calls that take the time —
running a pass pipeline (`run_passes`) and emitting code (`emit_assembly`, `emit_object`) —
call llvmlite's C function directly, without its lock, on a module the calling thread owns in
its own context;
everything else (parsing, linking, printing) still takes llvmlite's lock. Each pool thread keeps
its own target machines (`target_machine`).

- `pool_size()`: threads for a compile of `n` jobs: AUTOGRAPH_JIT_COMPILE_THREADS when set,
  else the CPUs this process may use (at most 16); 1 means in the calling thread, in order.
- `map_ordered(fn, jobs)`: fn(job) for each job on the pool, results in job order (the output
  never depends on which thread ran what, or when).
- `submit(fn, *args)`: one job on the pool, started now (a Future), for work whose result is
  wanted later (runtime/llvm_worker.py's early objects); None when jobs would run in the caller.
- `status()`: {"threads", "unlocked"}: whether llvmlite's raw calls were found (when not — a newer
  llvmlite that changed its internals — the same jobs run one at a time, with the same results).
- A fork waits for the unlocked calls in flight (`forksafe.gate_across_fork`, once the fork holds
  the LLVM lock), so a child never inherits LLVM halfway through one; the child starts with no
  pool.

Example:
    results = map_ordered(compile_one, partitions)
"""
import concurrent.futures
import ctypes
import os
import threading

from llvmlite.binding import ffi

from . import forksafe

__all__ = ["map_ordered", "submit", "concurrent_jobs", "pool_size", "run_passes",
           "emit_assembly", "emit_object", "target_machine", "status"]

_MAX_THREADS = 16
_local = threading.local()
_pool = {"executor": None, "size": 0}
_pool_lock = forksafe.Lock()


def _raw(name):
    """llvmlite's C function `name` without its lock, or None where llvmlite has no such
    attribute (then callers use the locked call)."""
    return getattr(getattr(ffi.lib, name), "_cfn", None)


# llvmlite's C functions that return within a fraction of a millisecond, called with the GIL
# kept (`_keep_gil_for_quick_calls`). ctypes lets the GIL go around every call, and a compile
# thread must then wait to get it back from a thread running Python — up to the interpreter's
# switch interval each time, some twenty times per compile. Kept, a compile lets it go only for
# the calls that take the time: parsing, verifying, the pass pipeline, emitting.
_QUICK_CALLS = (
    "LLVMPY_ContextCreate", "LLVMPY_ContextDispose", "LLVMPY_DisposeModule", "LLVMPY_DisposeString",
    "LLVMPY_CreatePipelineTuningOptions", "LLVMPY_DisposePipelineTuningOptions",
    "LLVMPY_PTOSetLoopVectorization", "LLVMPY_PTOSetSLPVectorization",
    "LLVMPY_PTOSetLoopUnrolling", "LLVMPY_PTOSetLoopInterleaving",
    "LLVMPY_CreatePassBuilder", "LLVMPY_DisposePassBuilder",
    "LLVMPY_buildPerModuleDefaultPipeline", "LLVMPY_CreateNewModulePassManager",
    "LLVMPY_DisposeNewModulePassManger",   # (llvmlite's own spelling; and a fixed one:)
    "LLVMPY_DisposeNewModulePassManager",
    "LLVMPY_module_AddSROAPass", "LLVMPY_module_AddInstCombinePass",
    "LLVMPY_module_AddSimplifyCFGPass",
    "LLVMPY_GetBufferStart", "LLVMPY_GetBufferSize", "LLVMPY_DisposeMemoryBuffer")
_quick_done = []


def _keep_gil_for_quick_calls():
    """Make llvmlite call each of _QUICK_CALLS without letting the GIL go (once per process;
    a function llvmlite does not have is left alone). Arguments convert as before: by the
    declared argument types, by ctypes' default rules where llvmlite declared none."""
    if _quick_done:
        return
    _quick_done.append(True)
    for name in _QUICK_CALLS:
        wrapper = getattr(ffi.lib, name, None)
        cfn = getattr(wrapper, "_cfn", None)
        if cfn is None or cfn._flags_ & ctypes._FUNCFLAG_PYTHONAPI:
            continue
        keeping = ctypes.PYFUNCTYPE(cfn.restype, *(cfn.argtypes or ()))(
            ctypes.cast(cfn, ctypes.c_void_p).value)
        keeping.__name__ = getattr(cfn, "__name__", name)
        wrapper._cfn = keeping


class _Gate:
    """Counts the unlocked LLVM calls in flight; a fork waits until there are none and holds new
    ones back until it is done."""

    def __init__(self):
        self.cond = threading.Condition(threading.Lock())
        self.active = 0
        self.forking = 0

    def __enter__(self):
        with self.cond:
            while self.forking:
                self.cond.wait()
            self.active += 1

    def __exit__(self, *exc):
        with self.cond:
            self.active -= 1
            if not self.active:
                self.cond.notify_all()

    def before_fork(self):
        with self.cond:
            self.forking += 1
            self.cond.wait_for(lambda: self.active == 0, timeout=120)

    def after_in_parent(self):
        with self.cond:
            self.forking -= 1
            self.cond.notify_all()


_gate = _Gate()


def _after_in_child():
    global _gate
    _gate = _Gate()
    _pool["executor"], _pool["size"] = None, 0
    _local.__dict__.clear()


# (through forksafe, after it has taken the CPU engine's LLVM lock: a compile holding that lock
# while it waits for its parts must see them finish before the gate closes, or the fork waits)
forksafe.gate_across_fork(before=lambda: _gate.before_fork(),
                          after_in_parent=lambda: _gate.after_in_parent(),
                          after_in_child=_after_in_child)


def run_passes(mpm, module, pb):
    """mpm.run(module, pb) (a new-pass-manager ModulePassManager) without llvmlite's lock:
    `module`, `pb` and pb's target machine must belong to the calling thread alone."""
    raw = _raw("LLVMPY_RunNewModulePassManager")
    if raw is None:
        mpm.run(module, pb)
        return
    with _gate:
        raw(mpm, module, pb)


def emit_assembly(tm, module):
    """tm.emit_assembly(module) without llvmlite's lock (same ownership rule as run_passes)."""
    raw = _raw("LLVMPY_TargetMachineEmitToMemory")
    if raw is None:
        return tm.emit_assembly(module)
    return _emit(raw, tm, module, 0).decode()


def emit_object(tm, module):
    """tm.emit_object(module) (bytes) without llvmlite's lock (same rule as run_passes)."""
    raw = _raw("LLVMPY_TargetMachineEmitToMemory")
    if raw is None:
        return tm.emit_object(module)
    return _emit(raw, tm, module, 1)


def _emit(raw, tm, module, use_object):
    with ffi.OutputString() as err:
        with _gate:
            buf = raw(tm, module, use_object, err)
        if not buf:
            raise RuntimeError(str(err))
    try:
        return ctypes.string_at(ffi.lib.LLVMPY_GetBufferStart(buf),
                                ffi.lib.LLVMPY_GetBufferSize(buf))
    finally:
        ffi.lib.LLVMPY_DisposeMemoryBuffer(buf)


def target_machine(key, make):
    """This thread's target machine for `key`, made by `make()` the first time."""
    cache = _local.__dict__.setdefault("machines", {})
    tm = cache.get(key)
    if tm is None:
        tm = cache[key] = make()
    return tm


def pool_size():
    """Threads a compile uses (see the module docstring)."""
    env = os.environ.get("AUTOGRAPH_JIT_COMPILE_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, _MAX_THREADS))


def _executor(size):
    _keep_gil_for_quick_calls()
    with _pool_lock:
        if _pool["executor"] is None or _pool["size"] != size:
            old = _pool["executor"]
            _pool["executor"] = concurrent.futures.ThreadPoolExecutor(
                size, thread_name_prefix="autograph_jit-llvm")
            _pool["size"] = size
            if old is not None:
                old.shutdown(wait=False)
        return _pool["executor"]


def concurrent_jobs():
    """Whether the pool runs jobs concurrently: two threads or more, and LLVM's long calls found
    unlocked (else jobs run one at a time in the calling thread)."""
    return pool_size() > 1 and _raw("LLVMPY_RunNewModulePassManager") is not None


def submit(fn, *args):
    """fn(*args) on the pool (a concurrent.futures.Future), or None when the pool would run
    jobs one at a time in the calling thread (`concurrent_jobs()` is False)."""
    if not concurrent_jobs():
        return None
    return _executor(pool_size()).submit(fn, *args)


def map_ordered(fn, jobs, meanwhile=None):
    """[fn(job) for job in jobs], on the pool when there are several jobs and threads; the first
    job's exception (in job order) is raised after all jobs ended. `meanwhile()`, when given,
    runs on the calling thread while the pool works (before the jobs when they run here); its
    exception is raised after the jobs ended too."""
    jobs = list(jobs)
    if len(jobs) <= 1 or not concurrent_jobs():
        if meanwhile is not None:
            meanwhile()
        return [fn(job) for job in jobs]
    futures = [_executor(pool_size()).submit(fn, job) for job in jobs]
    try:
        if meanwhile is not None:
            meanwhile()
    finally:
        concurrent.futures.wait(futures)
    return [f.result() for f in futures]


def status():
    """{"threads": pool_size(), "unlocked": whether LLVM runs concurrently}."""
    return {"threads": pool_size(), "unlocked": _raw("LLVMPY_RunNewModulePassManager") is not None}
