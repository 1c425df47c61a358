"""The grid emulator: a Device that runs a kernel module's own LLVM IR on the host CPU.

The IR a GPU would get (`KernelModule.llvm_ir`) is rewritten for the host (`emu_ir.prepare`),
linked with the emulator runtime (`emu_runtime`, `emu_intrinsics`) and compiled by llvmlite.
A launch runs the blocks one after another. Kernels without barriers or shuffles run each
thread as one call in a native loop; kernels that synchronise run one fiber per GPU thread of
the block, and `_resolve` lets them go on at a barrier only when every thread of the block waits
at the same barrier, and at a shuffle only when every lane of its member mask is there. A
diverging barrier (some threads wait, others left the kernel or wait elsewhere) raises
`InvalidArgumentError` at once: no timeout is needed to find it. A launch that runs past
`$AUTOGRAPH_JIT_EMULATOR_TIMEOUT` seconds (default 120) is stopped at the next block and raises
`DeadlineExceededError`.

Device memory is host memory with canary bytes before and after each allocation (`CANARY`),
checked after every launch: a write out of bounds raises `OutOfRangeError` naming the kernel and
the buffer. New allocations are filled with 0xFF (NaN for floats, -1 for integers), and so is
shared memory at the start of each block, so reading memory nobody wrote shows.

Example:
    dev = get_device("emulator")
    buf = dev.to_device(np.arange(8, dtype=np.float32))
    dev.load_module(km).launch("k", grid=(2,), block=(4,), args=[buf, np.int32(8)])
    dev.to_host(buf, (8,), np.float32)
"""
import ctypes
import mmap
import os
import threading
import time
import weakref

import numpy as np

from autograph_jit.errors import (
    DeadlineExceededError, InternalError, InvalidArgumentError, NotFoundError, OutOfRangeError,
    ResourceExhaustedError, UnimplementedError)

from . import emu_intrinsics, emu_ir, emu_runtime, launch_args
from .emu_blas import EmulatedCublas
from .device import Device
from .emu_runtime import SLOT
from .. import cpu_engine

CANARY = 1024
ALIGN = 256
POISON = 0xFF
_CANARY_PATTERN = ((np.arange(CANARY) * 151 + 89) & 0xFF).astype(np.uint8)
CONTEXT_BYTES = 8192          # room for a glibc ucontext_t (968 bytes on x86-64, 4560 on arm64)
STACK_BYTES = 256 * 1024      # each fiber's stack
_PAGE = mmap.PAGESIZE
MAX_STATIC_SHARED = 48 * 1024


def _timeout():
    raw = os.environ.get("AUTOGRAPH_JIT_EMULATOR_TIMEOUT", "")
    try:
        return float(raw) if raw else 120.0
    except ValueError:
        return 120.0


class EmulatorBuffer:
    """Emulated device memory: `nbytes` of host memory between two canaries. `.ptr` is the
    address kernels see; `.label` names it in errors."""

    def __init__(self, device, nbytes, label=None):
        self.nbytes = int(nbytes)
        if self.nbytes < 0:
            raise InvalidArgumentError(f"alloc: nbytes must be >= 0, got {nbytes}")
        self._store = np.empty(self.nbytes + 2 * CANARY + ALIGN, np.uint8)
        start = (-self._store.ctypes.data) % ALIGN
        self._lo = start
        self._store[start:start + CANARY] = _CANARY_PATTERN
        self._store[start + CANARY:start + CANARY + self.nbytes] = POISON
        hi = start + CANARY + self.nbytes
        self._store[hi:hi + CANARY] = _CANARY_PATTERN
        self.ptr = self._store.ctypes.data + start + CANARY
        self.label = label or f"buffer #{device._next_id()} ({self.nbytes} bytes)"
        self.freed = False
        device._live.add(self)

    def view(self):
        """The buffer's bytes as a NumPy uint8 array (no copy)."""
        return self._store[self._lo + CANARY:self._lo + CANARY + self.nbytes]

    def canary_problem(self):
        """None, or which canary was overwritten and where."""
        lo = self._store[self._lo:self._lo + CANARY]
        hi_start = self._lo + CANARY + self.nbytes
        hi = self._store[hi_start:hi_start + CANARY]
        if not np.array_equal(lo, _CANARY_PATTERN):
            first = int(np.nonzero(lo != _CANARY_PATTERN)[0][0])
            return f"{CANARY - first} bytes before its start"
        if not np.array_equal(hi, _CANARY_PATTERN):
            last = int(np.nonzero(hi != _CANARY_PATTERN)[0][-1])
            return f"{last + 1} bytes past its end (byte offset {self.nbytes + last})"
        return None

    def free(self):
        """Release the memory (the emulator keeps nothing else)."""
        self.freed = True

    def __repr__(self):
        return f"<EmulatorBuffer {self.label} at 0x{self.ptr:x}>"


class EmulatorDevice(Device):
    """A Device whose kernels run on the host (see the module docstring)."""

    kind = "emulator"
    name = "autograph_jit grid emulator (host CPU)"
    compute_capability = (8, 0)
    warp_size = 32
    max_shared_bytes = MAX_STATIC_SHARED

    def __init__(self):
        self._ids = 0
        self._live = weakref.WeakSet()

    def _next_id(self):
        self._ids += 1
        return self._ids

    def alloc(self, nbytes, label=None):
        """A DeviceBuffer of `nbytes` (filled with 0xFF: uninitialised memory reads as NaN)."""
        return EmulatorBuffer(self, nbytes, label)

    def _htod(self, buf, a):
        buf.view()[:a.nbytes] = a.reshape(-1).view(np.uint8)

    def _dtoh(self, array, buf):
        array.reshape(-1).view(np.uint8)[:] = buf.view()[:array.nbytes]

    def _dtod(self, dst, src, n):
        dst.view()[:n] = src.view()[:n]

    def load_module(self, module):
        """Compile a KernelModule's llvm_ir for the host; a LoadedModule."""
        return EmulatedModule(self, module)

    def synchronize(self):
        """Launches finish before they return: nothing to wait for."""

    def cublas_library(self):
        """The emulated cuBLAS on this device's memory (emu_blas.py; cublas.for_device uses it
        in place of libcublas)."""
        return EmulatedCublas(self)

    def check_canaries(self, kernel):
        """Raise OutOfRangeError naming the buffer whose canary a launch of `kernel` hit."""
        for buf in list(self._live):
            if buf.freed:
                continue
            problem = buf.canary_problem()
            if problem:
                raise OutOfRangeError(
                    f"kernel {kernel} wrote out of bounds of {buf.label}: a canary {problem} "
                    "was overwritten (check the kernel's index math and its bounds guard)")

    def __repr__(self):
        return "<EmulatorDevice>"


class _Kernel:
    def __init__(self, name, param_types, sync, tramp_name):
        self.name, self.param_types, self.sync, self.tramp = name, param_types, sync, tramp_name


def _trampoline(name, param_types):
    """IR of `void @__emu_tramp_<name>(ptr %params)`: load each parameter, call the kernel."""
    lines = [f"define void @__emu_tramp_{name}(ptr %params) {{"]
    args = []
    for i, t in enumerate(param_types):
        lines += [f"  %p{i} = getelementptr ptr, ptr %params, i64 {i}",
                  f"  %a{i}.ptr = load ptr, ptr %p{i}",
                  f"  %a{i} = load {t}, ptr %a{i}.ptr"]
        args.append(f"{t} %a{i}")
    lines += [f"  call void @{name}({', '.join(args)})", "  ret void", "}"]
    return "\n".join(lines) + "\n"


class EmulatedModule:
    """A kernel module compiled for the host: `launch` runs one kernel over a grid."""

    def __init__(self, device, module):
        import llvmlite.binding as llvm
        self.device = device
        self.name = module.name
        self._lock = threading.Lock()
        self._broken = None
        try:
            text, kernels, sync, _ = emu_ir.prepare(module.llvm_ir)
        except emu_ir.Unsupported as e:
            cls = InvalidArgumentError if e.kind == "invalid" else UnimplementedError
            raise cls(f"emulator: kernel module {module.name}: {e}") from None
        defs = emu_intrinsics.definitions()
        used = {n for n in defs if f"@__emu_nvvm_{n}(" in text}
        runtime = emu_runtime.runtime_ir() + emu_intrinsics.helpers() + \
            "".join(defs[n] for n in sorted(used))
        state = cpu_engine._init()
        with cpu_engine.llvm_lock:
            try:
                probe = llvm.parse_assembly(text + "\n" + runtime)
            except RuntimeError as e:
                raise InvalidArgumentError(
                    f"emulator: kernel module {module.name}: its LLVM IR does not parse after "
                    f"the host rewrite: {e}") from None
            self._kernels = {}
            tramps = []
            for k in kernels:
                fn = probe.get_function(k)
                types = [str(a.type) for a in fn.arguments]
                for t in types:
                    if not (t.startswith("ptr") or t in ("i32", "i64", "float", "double")):
                        raise UnimplementedError(
                            f"emulator: kernel {k} takes a parameter of type {t}; kernels take "
                            "pointers and i32/i64/float/double scalars")
                self._kernels[k] = _Kernel(k, types, sync[k], f"__emu_tramp_{k}")
                tramps.append(_trampoline(k, types))
            mod = llvm.parse_assembly(text + "\n" + runtime + "".join(tramps))
            mod.triple = state["triple"]
            mod.data_layout = state["data_layout"]
            try:
                mod.verify()
            except RuntimeError as e:
                raise InvalidArgumentError(
                    f"emulator: kernel module {module.name}: invalid LLVM IR: {e}") from None
            pto = llvm.create_pipeline_tuning_options(speed_level=2)
            pb = llvm.create_pass_builder(state["tm"], pto)
            pb.getModulePassManager().run(mod, pb)
            self._shared = []
            for gv in mod.global_variables:
                if "addrspace(3)" in str(gv.type):
                    size = state["tm"].target_data.get_abi_size(gv.global_value_type)
                    self._shared.append((gv.name, size))
            self._engine = llvm.create_mcjit_compiler(
                mod, cpu_engine._new_target_machine(state["target"], state["cpu"],
                                                    state["features"], opt=2))
            self._engine.finalize_object()
        addr = self._engine.get_function_address
        self._run_loop = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(
            addr("__emu_run_loop"))
        self._block_start = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(
            addr("__emu_block_start"))
        self._round = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(addr("__emu_round"))
        self._run_block = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(
            addr("__emu_run_block"))
        self._tramp_slot = ctypes.c_void_p.from_address(
            self._engine.get_global_value_address("__emu_tramp"))
        self._tramp_addr = {k: addr(v.tramp) for k, v in self._kernels.items()}
        self._fault_handler = addr("__emu_on_fault")
        self._old_actions = self._engine.get_global_value_address("__emu_old_actions")
        table = []
        static_shared = 0
        for name, size in self._shared:
            table += [self._engine.get_global_value_address(name), size]
            if size != emu_ir.DYNAMIC_SHARED_BYTES:
                static_shared += size
        if static_shared > MAX_STATIC_SHARED:
            raise ResourceExhaustedError(
                f"emulator: kernel module {module.name} declares {static_shared} bytes of "
                f"static shared memory; a block has at most {MAX_STATIC_SHARED} (ptxas refuses "
                "it too): use dynamic shared memory or smaller tiles")
        self._shared_table = np.array(table or [0, 0], np.int64)
        self.static_shared_bytes = static_shared
        self.ir = text

    @property
    def kernels(self):
        """The module's kernel names."""
        return list(self._kernels)

    def synchronizes(self, kernel):
        """Whether `kernel` runs as fibers (it calls a barrier or a warp shuffle)."""
        return self._kernels[kernel].sync

    def launch(self, kernel_name, grid, block, args, shared_bytes=0):
        """Run `kernel_name` over `grid` blocks of `block` threads with `args`; returns when done.

        Raises InvalidArgumentError (bad arguments, a diverging barrier or shuffle, a trap),
        OutOfRangeError (a canary was overwritten), DeadlineExceededError (past the timeout)."""
        k = self._kernels.get(kernel_name)
        if k is None:
            raise NotFoundError(f"module {self.name} has no kernel {kernel_name!r}; it has "
                                f"{self.kernels}")
        grid = launch_args.dims(grid, "grid", launch_args.MAX_GRID)
        block = launch_args.check_block(block)
        if len(args) != len(k.param_types):
            raise InvalidArgumentError(f"kernel {kernel_name} takes {len(k.param_types)} "
                                       f"arguments ({', '.join(k.param_types)}), got {len(args)}")
        for i, (arg, t) in enumerate(zip(args, k.param_types)):
            kind = launch_args.kind_of(arg, i, kernel_name)
            want = "ptr" if t.startswith("ptr") else t
            got = "ptr" if kind == "ptr" else launch_args.IR_TYPE[kind]
            if want != got:
                raise InvalidArgumentError(f"kernel {kernel_name}: argument {i} is {got} "
                                           f"({type(arg).__name__}) but the parameter is {t}")
        if shared_bytes > emu_ir.DYNAMIC_SHARED_BYTES or shared_bytes < 0:
            raise ResourceExhaustedError(f"kernel {kernel_name}: shared_bytes={shared_bytes} "
                                         f"exceeds {emu_ir.DYNAMIC_SHARED_BYTES}")
        params, keep = launch_args.pack(args, kernel_name)
        with self._lock:
            if self._broken:
                raise self._broken
            return self._launch_locked(k, grid, block, params, keep)

    def _launch_locked(self, k, grid, block, params, keep):
        nthreads = block[0] * block[1] * block[2]
        nblocks = grid[0] * grid[1] * grid[2]
        L = np.zeros(len(emu_runtime.LAUNCH_FIELDS), np.int64)
        L[0:3], L[3:6] = grid, block
        L[SLOT["params"]] = ctypes.addressof(params)
        L[SLOT["shared_list"]] = self._shared_table.ctypes.data
        L[SLOT["n_shared"]] = len(self._shared)
        L[SLOT["nthreads"]] = nthreads
        L[SLOT["poison"]] = POISON
        errors = np.zeros(8, np.int64)
        L[SLOT["errors"]] = errors.ctypes.data
        self._tramp_slot.value = self._tramp_addr[k.name]
        fibers = None
        if k.sync:
            fibers = _fibers_for(nthreads)
            fibers.fill(L)
        outcome = {}
        deadline = time.monotonic() + _timeout()

        def body():
            try:
                if not _fault_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    raise DeadlineExceededError(
                        f"emulator: kernel {k.name} could not start: another emulator launch "
                        "still runs (one that ran past its timeout)")
                try:
                    with _FaultHandlers(self._fault_handler, self._old_actions):
                        if fibers is None:
                            outcome["rc"] = self._run_loop(L.ctypes.data)
                        else:
                            outcome["rc"] = self._run_fibers(k, L, nblocks, nthreads, grid,
                                                             block, fibers, errors, deadline)
                finally:
                    _fault_lock.release()
            except BaseException as e:  # re-raised in the launching thread
                outcome["error"] = e

        worker = threading.Thread(target=body, name=f"emulator:{k.name}", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            # the kernel still runs (a loop that never ends): keep what it uses alive, refuse
            # further launches of this module
            _LEAKED.append((self, L, params, keep, fibers, errors))
            self._broken = DeadlineExceededError(
                f"emulator: a launch of kernel {k.name} ran past {_timeout():.0f} s (set "
                "AUTOGRAPH_JIT_EMULATOR_TIMEOUT) and still runs; this module is unusable: "
                "load it again")
            raise self._broken
        if "error" in outcome:
            raise outcome["error"]
        if outcome.get("rc"):
            self.device.check_canaries(k.name)
            raise _trap_error(k.name, errors, grid, block)
        self.device.check_canaries(k.name)

    def _run_fibers(self, k, L, nblocks, nthreads, grid, block, fibers, errors, deadline):
        state, records = fibers.state, fibers.records
        for b in range(nblocks):
            if time.monotonic() > deadline:
                raise DeadlineExceededError(
                    f"emulator: kernel {k.name} ran past {_timeout():.0f} s (stopped at block "
                    f"{b} of {nblocks}; set AUTOGRAPH_JIT_EMULATOR_TIMEOUT)")
            L[SLOT["block"]] = b
            L[SLOT["fresh"]] = int(not fibers.initialised)
            self._block_start(L.ctypes.data)
            fibers.initialised = True
            while True:
                # rounds and the common rendezvous natively; Python decides the rest
                answer = self._run_block(L.ctypes.data)
                if answer == 2:
                    return 1
                if answer == 1:
                    break
                _resolve(k.name, state, records, nthreads, _block_index(b, grid), block)
        return 0


_LEAKED = []
_FIBER_POOL = {}       # nthreads -> _Fibers, shared by all modules (launches take turns)
_FIBER_POOL_SIZES = 4  # block sizes kept


def _fibers_for(nthreads):
    """Fiber storage for blocks of `nthreads`, reused across launches and modules (the fault
    lock lets one launch run at a time); the least recently used sizes are dropped."""
    with _pool_lock:
        fibers = _FIBER_POOL.pop(nthreads, None)
        if fibers is None:
            fibers = _Fibers(nthreads)
        _FIBER_POOL[nthreads] = fibers
        while len(_FIBER_POOL) > _FIBER_POOL_SIZES:
            _FIBER_POOL.pop(next(iter(_FIBER_POOL)))
        return fibers


_pool_lock = threading.Lock()
_fault_lock = threading.Lock()  # the fault handlers serve one launch at a time
_SA_SIGINFO, _SA_ONSTACK, _SA_NODEFER = 4, 0x08000000, 0x40000000
_ALT_STACK_BYTES = 256 * 1024


class _FaultHandlers:
    """While a launch runs (in this thread): SIGSEGV, SIGBUS, SIGFPE and SIGILL go to the
    module's `__emu_on_fault` (on an alternate stack, so a fiber's stack overflow is caught
    too); the previous handlers are kept in the module (`__emu_old_actions`) and put back."""

    def __init__(self, handler, old_actions):
        self.handler, self.old_actions = handler, old_actions

    def __enter__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.sigaction.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        self.libc.sigaltstack.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.alt = np.zeros(_ALT_STACK_BYTES, np.uint8)
        stack = (ctypes.c_uint64 * 3)(self.alt.ctypes.data, 0, _ALT_STACK_BYTES)
        self.old_stack = (ctypes.c_uint64 * 3)()
        self.libc.sigaltstack(ctypes.addressof(stack), ctypes.addressof(self.old_stack))
        action = (ctypes.c_uint8 * emu_runtime.OLD_ACTION_BYTES)()
        ctypes.c_uint64.from_buffer(action, 0).value = self.handler
        ctypes.c_int32.from_buffer(action, 136).value = _SA_SIGINFO | _SA_ONSTACK | _SA_NODEFER
        self.installed = []
        for sig in emu_runtime.FAULT_SIGNALS:
            old = self.old_actions + sig * emu_runtime.OLD_ACTION_BYTES
            if self.libc.sigaction(sig, ctypes.addressof(action), old) == 0:
                self.installed.append(sig)
        return self

    def __exit__(self, *exc):
        for sig in self.installed:
            self.libc.sigaction(sig, self.old_actions + sig * emu_runtime.OLD_ACTION_BYTES, None)
        self.libc.sigaltstack(ctypes.addressof(self.old_stack), None)
        return False


def _block_index(b, grid):
    return (b % grid[0], (b // grid[0]) % grid[1], b // (grid[0] * grid[1]))


def _thread_index(t, block):
    return (t % block[0], (t // block[0]) % block[1], t // (block[0] * block[1]))


def _trap_error(kernel, errors, grid, block):
    code, b, t, detail = (int(v) for v in errors[:4])
    if code > emu_runtime.ERR_SIGNAL:
        sig = code - emu_runtime.ERR_SIGNAL
        what = emu_runtime.FAULT_SIGNALS.get(sig, f"signal {sig}")
        return InternalError(
            f"kernel {kernel} faulted with {what} at address 0x{detail & (2 ** 64 - 1):x}, in "
            f"block {_block_index(b, grid)} thread {_thread_index(t, block)}; on a GPU this is "
            "CUDA_ERROR_ILLEGAL_ADDRESS (or garbage): check the kernel's index math and guards")
    what = emu_runtime.ERROR_TEXT.get(code, f"error code {code}")
    return InvalidArgumentError(
        f"kernel {kernel}: {what}, in block {_block_index(b, grid)} thread "
        f"{_thread_index(t, block)}" + (f" (detail {detail})" if detail else ""))


class _Fibers:
    """Per-launch fiber storage: contexts, guarded stacks, states and wait records."""

    def __init__(self, nthreads):
        self.n = nthreads
        self.contexts = np.zeros(nthreads * CONTEXT_BYTES // 8 + 1, np.int64)
        self.scheduler = np.zeros(CONTEXT_BYTES // 8, np.int64)
        self.stride = STACK_BYTES + _PAGE
        self.stacks = mmap.mmap(-1, self.stride * nthreads + _PAGE)
        self.base = ctypes.addressof(ctypes.c_char.from_buffer(self.stacks))
        self.base_aligned = (self.base + _PAGE - 1) // _PAGE * _PAGE
        libc = ctypes.CDLL(None, use_errno=True)
        for t in range(nthreads):  # a guard page below each stack: overflow faults, not corrupts
            libc.mprotect(ctypes.c_void_p(self.base_aligned + t * self.stride),
                          ctypes.c_size_t(_PAGE), 0)
        self.jmpbufs = np.zeros(nthreads * emu_runtime.JMPBUF_BYTES // 8, np.int64)
        self.state = np.zeros(nthreads, np.int32)
        self.initialised = False
        self.records = np.zeros((nthreads, 8), np.int32)

    def fill(self, L):
        L[SLOT["contexts"]] = self.contexts.ctypes.data
        L[SLOT["context_size"]] = CONTEXT_BYTES
        L[SLOT["stacks"]] = self.base_aligned + _PAGE
        L[SLOT["stack_size"]] = STACK_BYTES
        L[SLOT["stack_stride"]] = self.stride
        L[SLOT["state"]] = self.state.ctypes.data
        L[SLOT["records"]] = self.records.ctypes.data
        L[SLOT["scheduler"]] = self.scheduler.ctypes.data
        L[SLOT["jmpbufs"]] = self.jmpbufs.ctypes.data


_STATE_NAMES = {emu_runtime.STATE_RUNNABLE: "running", emu_runtime.STATE_EXITED: "returned",
                emu_runtime.STATE_BARRIER: "waits at a barrier",
                emu_runtime.STATE_SHUFFLE: "waits at a warp shuffle"}


def _ranges(ids):
    """'0-31, 64' for sorted thread ids."""
    out, start, prev = [], None, None
    for i in ids:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ", ".join(out)


def _describe(state, records):
    parts = []
    for s, name in _STATE_NAMES.items():
        ids = np.nonzero(state == s)[0].tolist()
        if not ids:
            continue
        if s == emu_runtime.STATE_BARRIER:
            for site in sorted(set(records[ids, emu_runtime.REC_SITE].tolist())):
                sub = [i for i in ids if records[i, emu_runtime.REC_SITE] == site]
                parts.append(f"threads {_ranges(sub)} wait at barrier #{site}")
        else:
            parts.append(f"threads {_ranges(ids)} {name}")
    return "; ".join(parts)


def _shuffle_source(mode, lane, b, c):
    """The lane a shfl.sync reads for `lane` (PTX ISA semantics), and whether in range."""
    cval, segmask = c & 0x1F, (c >> 8) & 0x1F
    max_lane = (lane & segmask) | (cval & ~segmask & 0x1F)
    min_lane = lane & segmask
    if mode == emu_runtime.SHFL_UP:
        j = lane - b
        ok = j >= max_lane
    elif mode == emu_runtime.SHFL_DOWN:
        j = lane + b
        ok = j <= max_lane
    elif mode == emu_runtime.SHFL_BFLY:
        j = lane ^ b
        ok = j <= max_lane
    else:
        j = min_lane | (b & ~segmask & 0x1F)
        ok = j <= max_lane
    return (j if ok else lane), ok


def _resolve_shuffles_fast(state, records, n):
    """Complete every warp-shuffle group whose lanes all wait at it (same mask, same kind,
    every source lane in the mask), vectorized over the block. True when any completed; the
    cases it leaves alone go to `_resolve`'s slow path (which names what is wrong)."""
    S = emu_runtime
    waiting = state == S.STATE_SHUFFLE
    if not waiting.any():
        return False
    nw = (n + 31) // 32
    pad = nw * 32 - n
    if pad:
        wait = np.concatenate([waiting, np.zeros(pad, bool)]).reshape(nw, 32)
        rec = np.concatenate([records, np.zeros((pad, 8), np.int32)]).reshape(nw, 32, 8)
    else:
        wait, rec = waiting.reshape(nw, 32), records.reshape(nw, 32, 8)
    mask = rec[:, :, S.REC_MASK].astype(np.int64) & 0xFFFFFFFF
    mode = rec[:, :, S.REC_MODE]
    exists = np.arange(nw * 32).reshape(nw, 32) < n
    exists_bits = np.where(np.arange(nw) < n // 32, 0xFFFFFFFF,
                           (1 << (n % 32)) - 1).astype(np.int64)
    # the common case: whole warps, every lane waiting with the warp's full mask, one kind
    whole = (wait | ~exists).all(axis=1) & ((mask == exists_bits[:, None]) | ~exists).all(
        axis=1) & ((mode == mode[:, :1]) | ~exists).all(axis=1) & wait[:, 0]
    if whole.any():
        complete = wait & whole[:, None]
    else:
        bit = np.int64(1) << np.arange(32, dtype=np.int64)
        wait_bits = (wait * bit).sum(axis=1)                               # (nw,)
        same = (mask[:, :, None] == mask[:, None, :]) & \
            (mode[:, :, None] == mode[:, None, :]) & wait[:, None, :]
        agree_bits = (same * bit).sum(axis=2)                              # (nw, 32)
        complete = wait & ((mask & ~agree_bits) == 0) & \
            ((mask & ~exists_bits[:, None]) == 0) & ((mask & ~wait_bits[:, None]) == 0)
        if not complete.any():
            return False
    lane = np.arange(32, dtype=np.int64)[None, :]
    b = rec[:, :, S.REC_B].astype(np.int64)
    c = rec[:, :, S.REC_C].astype(np.int64)
    cval, seg = c & 0x1F, (c >> 8) & 0x1F
    max_lane = (lane & seg) | (cval & ~seg & 0x1F)
    min_lane = lane & seg
    j = np.select([mode == S.SHFL_UP, mode == S.SHFL_DOWN, mode == S.SHFL_BFLY],
                  [lane - b, lane + b, lane ^ b], min_lane | (b & ~seg & 0x1F))
    ok = np.where(mode == S.SHFL_UP, j >= max_lane, j <= max_lane)
    src = np.where(ok, j, lane)
    src_in_mask = (mask >> np.clip(src, 0, 31)) & 1
    if (complete & (mode != S.WARP_SYNC) & (src_in_mask == 0)).any():
        return False  # the slow path raises, naming the lane
    values = rec[:, :, S.REC_VALUE]
    result = np.take_along_axis(values, np.clip(src, 0, 31), axis=1)
    flat = complete.reshape(-1)[:n]
    records[flat, S.REC_RESULT] = result.reshape(-1)[:n][flat]
    state[flat] = S.STATE_RUNNABLE
    return True


def _resolve(kernel, state, records, n, block_index, block):
    """Let waiting fibers go on: complete shuffle groups first, then a barrier every thread
    reached. Raises InvalidArgumentError when nobody can go on."""
    S = emu_runtime
    if _resolve_shuffles_fast(state, records, n):
        return
    progressed = False
    waiting = np.nonzero(state == S.STATE_SHUFFLE)[0]
    stuck = []
    for w in sorted(set((waiting // 32).tolist())):
        lanes = [int(t) for t in waiting if t // 32 == w]
        for mask in sorted(set(int(records[t, S.REC_MASK]) & 0xFFFFFFFF for t in lanes)):
            members = [w * 32 + i for i in range(32) if mask >> i & 1]
            missing = [m for m in members if m >= n]
            if missing:
                raise InvalidArgumentError(
                    f"kernel {kernel}: block {block_index}: a warp shuffle's member mask "
                    f"0x{mask:08x} names threads {_ranges(missing)}, which do not exist (the "
                    f"block {block} has {n} threads): build the mask from the active lanes")
            if not all(state[m] == S.STATE_SHUFFLE and
                       (int(records[m, S.REC_MASK]) & 0xFFFFFFFF) == mask for m in members):
                stuck.append((w, mask, members))
                continue
            modes = {int(records[m, S.REC_MODE]) for m in members}
            if len(modes) > 1:
                raise InvalidArgumentError(
                    f"kernel {kernel}: block {block_index} warp {w}: the lanes of mask "
                    f"0x{mask:08x} meet at different shuffle kinds {sorted(modes)}")
            mode = modes.pop()
            values = {m - w * 32: int(records[m, S.REC_VALUE]) for m in members}
            for m in members:
                lane = m - w * 32
                if mode != S.WARP_SYNC:
                    src, _ = _shuffle_source(mode, lane, int(records[m, S.REC_B]),
                                             int(records[m, S.REC_C]))
                    if src not in values:
                        raise InvalidArgumentError(
                            f"kernel {kernel}: block {block_index}: thread {m} shuffles from "
                            f"lane {src}, which is not in the member mask 0x{mask:08x} (the "
                            "result is undefined on the GPU)")
                    records[m, S.REC_RESULT] = values[src]
                state[m] = S.STATE_RUNNABLE
            progressed = True
    if progressed:
        return
    at_barrier = state == S.STATE_BARRIER
    if at_barrier.all():
        sites = set(records[:, S.REC_SITE].tolist())
        ids = set(records[:, S.REC_BARRIER_ID].tolist())
        if len(sites) > 1 or len(ids) > 1:
            raise InvalidArgumentError(
                f"kernel {kernel}: block {block_index}: threads meet at different barriers "
                f"({_describe(state, records)}): a barrier must be reached by every thread "
                "of the block at the same place")
        state[:] = S.STATE_RUNNABLE
        return
    if stuck:
        w, mask, members = stuck[0]
        raise InvalidArgumentError(
            f"kernel {kernel}: block {block_index}: a warp shuffle with mask 0x{mask:08x} in "
            f"warp {w} can never complete ({_describe(state, records)}): every lane named in "
            "the mask must reach the same shfl.sync")
    raise InvalidArgumentError(
        f"kernel {kernel}: block {block_index}: diverging barrier: {_describe(state, records)}."
        " On a GPU this hangs or corrupts memory: every thread of the block must reach each "
        "__syncthreads (move the barrier out of the condition, or make the condition uniform)")
