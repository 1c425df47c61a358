"""Executable: one graph compiled for one tuple of input shapes, and its Python call path.

Per call: make inputs C-contiguous, allocate the outputs (and a fresh buffer per written
variable), pass one tuple of arrays to the native entry (a builtin function, pycall.py, that
releases the GIL), turn a non-zero status into the Python exception it stands for, install
written variables' new buffers. The warm path (tracing/warm_call.py) calls the entry directly.
"""
import ctypes
import threading
import time

import numpy as np

from ...errors import InvalidArgumentError, ResourceExhaustedError
from ... import variable_locks
from ...runtime import cpu_engine, llvm_worker
from ...runtime.interpreter import run_node
from . import lowering_cache, module_split, native_call, pycall
from .scalar import ERR_CALLBACK_SLOT
from .specialize import specialize
from .symdim import SYMBOLIC_SLOT as _SYMBOLIC_SLOT
from .symdim import Dim, SymbolicUnsupported
from .specialize import Spec
from .symdim import concrete

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.py_object)
# the entry called with the GIL kept (ctypes' PYFUNCTYPE): see Executable._run_with_variables
_ENTRY_KEEPING_GIL = ctypes.PYFUNCTYPE(ctypes.c_int32, ctypes.py_object)
NOT_CONTIGUOUS = -2  # entry status: an input array is not C-contiguous (copied, then retried)
_HOST = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p))


def variables_of(graph):
    """(all variables, written variables) of a graph, regions included, in first-use order."""
    seen, allv, written = set(), [], []
    for node in graph.walk():
        var = node.attrs.get("var")
        if var is None:
            continue
        if id(var) not in seen:
            seen.add(id(var))
            allv.append(var)
        if node.op.name == "assign_variable" and all(w is not var for w in written):
            written.append(var)
    return allv, written


# Where the entry reads CPython tuples and NumPy arrays (lower.py): a tuple's first item, an
# array's data pointer, an array's flags (int32; NPY_ARRAY_C_CONTIGUOUS is bit 0)
_TUPLE_ITEMS, _ARRAY_DATA, _ARRAY_FLAGS = 24, 16, 64
_abi_checked = []


def check_abi():
    """The entry reads CPython tuples and NumPy arrays directly: verify, once per process, that
    those offsets hold what it expects, by reading them here (ctypes; the objects outlive the
    reads, and every offset lies inside them on any layout). No LLVM: this used to compile a
    probe function reading the same offsets, ~14 ms of CPU in a cold process."""
    if _abi_checked:
        return
    a = np.zeros(3)
    b = a[::2]
    t = (a, b)
    address = ctypes.c_void_p.from_address
    ok = (address(id(t) + _TUPLE_ITEMS).value == id(a)
          and address(id(t) + _TUPLE_ITEMS + 8).value == id(b)
          and address(id(a) + _ARRAY_DATA).value == a.ctypes.data
          and ctypes.c_int32.from_address(id(a) + _ARRAY_FLAGS).value & 1 == 1
          and ctypes.c_int32.from_address(id(b) + _ARRAY_FLAGS).value & 1 == 0)
    if not ok:
        raise RuntimeError("autograph_jit CPU backend: unexpected CPython/NumPy object "
                           "layout; use backend='eager' on this platform.")
    _abi_checked.append(True)


def _compile(ir_text, use_cache):
    """The module compiled: in parts along its kernels, on the compile threads, when it is big
    enough to gain from that (module_split.py), else whole; linked to the runtime code it
    declares (BLAS wrappers, the parallel-for: installed then, while the threads compile)."""
    names = lowering_cache.declared_symbols(ir_text)
    return cpu_engine.compile_ir(module_split.split_module(ir_text) or ir_text,
                                 use_cache=use_cache,
                                 link=lambda: lowering_cache.link_symbols(names))


def _early_start(use_cache):
    """What starts a kernel part's compile while the module is lowered (early_parts.py), or None
    when nothing would start (the module compiles in the worker, or on one thread)."""
    if not llvm_worker.early_possible():
        return None
    return lambda text: cpu_engine.compile_early(text, use_cache=use_cache)


class Executable:
    def __init__(self, graph, in_specs, math_provider=None, use_cache=True, specs=None):
        t0 = time.perf_counter()
        self.graph = graph
        self.variables, self.written = variables_of(graph)
        tok = iter(in_specs)
        param_specs = [None if p.is_token else next(tok) for p in graph.params]
        # (specs given: symbolic shapes, symdim.py; they skip the lowering cache)
        self.specs = specialize(graph, param_specs) if specs is None else specs
        # the IR and what goes with it: built by the Lowerer, or read from the lowering cache
        lw = lowering_cache.lower(graph, self.specs, in_specs, self.variables, self.written,
                                  math_provider, use_cache=use_cache and specs is None,
                                  early=_early_start(use_cache))
        self.lowering_from_cache = lw.cached
        self.ir_text = lw.ir_text
        self.annotations = lw.annotations
        self.lower_seconds = time.perf_counter() - t0
        check_abi()
        try:
            self.compiled = _compile(self.ir_text, use_cache)
        except RuntimeError as e:
            if not lw.cached:
                raise
            # a cached lowering LLVM rejects (a crafted or foreign entry): drop it, lower again
            lowering_cache.discard(lw, f"LLVM rejects its IR ({str(e).splitlines()[0]})")
            lw = lowering_cache.lower(graph, self.specs, in_specs, self.variables,
                                      self.written, math_provider, use_cache=False)
            self.lowering_from_cache = False
            self.ir_text = lw.ir_text
            self.annotations = lw.annotations
            self.compiled = _compile(self.ir_text, use_cache)
        stage = "llvm lower (cached)" if lw.cached else "llvm lower"
        self.timings = [(stage, self.lower_seconds)] + self.compiled.timings
        self.fallbacks = lw.fallbacks
        self.errors = lw.errors
        self.host_nodes = lw.host_nodes
        address = self.compiled.address("agj_entry")
        # a builtin function is ~10x cheaper to call than ctypes (pycall.py); both release the GIL
        self._entry = pycall.builtin_entry(address) or _ENTRY(address)
        self.entry_address = address
        self._host_cb = _HOST(self._host)
        self._host_addr = ctypes.cast(self._host_cb, ctypes.c_void_p).value
        self.param_specs = [self.specs[p.id] for p in graph.data_params]
        self.workspace_bytes = lw.ws_size
        self.ws_per_n = getattr(lw, "ws_per_n", 0)
        self._ws = np.empty(max(lw.ws_size, 1), np.uint8)
        self._err = self._new_err()
        self._flags = np.zeros(max(len(self.written), 1), np.uint8)
        self._outs = [(self.specs[r.id].shape, self.specs[r.id].dtype.np_dtype)
                      for r in graph.data_results]
        self._var_shapes = [tuple(self.specs_of_var(v)) for v in self.variables]
        self._pending = None
        self._atomic_entry = None  # (made on the first call that writes variables)
        # held while a call uses the shared flags/workspace/error record; a concurrent (or
        # re-entrant) call that cannot take it runs on private scratch memory instead
        self._lock = native_call.ScratchLock()
        self._owner = None  # the thread holding _lock for a stateful Python-path call

    def _new_err(self):
        err = np.zeros(8, np.int64)
        err[ERR_CALLBACK_SLOT] = self._host_addr
        return err

    def specs_of_var(self, var):
        return np.shape(var._value)

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, arrays):
        try:
            outs = [np.empty(s, d) for s, d in self._outs]
        except (MemoryError, ValueError) as e:  # (NumPy: "array is too big")
            raise ResourceExhaustedError(
                None, None, f"OOM when allocating the compiled function's outputs of shapes "
                f"{[list(s) for s, _ in self._outs]}: {e}. Fix: use smaller shapes or batches."
            ) from None
        if self.variables:
            return self._call_stateful(arrays, outs)
        if not self._lock.acquire():  # another thread, or re-entered: private scratch
            return self._call_private(arrays, outs)
        try:
            status = self._entry((*arrays, *outs, self._flags, self._ws, self._err))
            if status and status != NOT_CONTIGUOUS:
                self._raise(status, self._err)
        finally:
            self._lock.release()
        if status == NOT_CONTIGUOUS:
            return self([np.array(a, order="C") for a in arrays])
        return outs

    def _call_private(self, arrays, outs):
        err = self._new_err()
        status = self._entry((*arrays, *outs, np.zeros_like(self._flags),
                              np.empty_like(self._ws), err))
        if status == NOT_CONTIGUOUS:
            return self([np.array(a, order="C") for a in arrays])
        if status:
            self._raise(status, err)
        return outs

    def _call_stateful(self, arrays, outs):
        # Variables are read, updated and installed under the scratch lock, which native warm
        # calls take too: two threads calling at once must not both read the same old value and
        # lose one update (eager `v.assign_add` in two threads never does). Only a re-entrant
        # call on the owning thread runs on private scratch.
        private = not self._acquire_for_state()
        flags = np.zeros_like(self._flags) if private else self._flags
        ws = np.empty_like(self._ws) if private else self._ws
        err = self._new_err() if private else self._err
        try:
            status = self._run_with_variables(arrays, outs, flags, ws, err)
        finally:
            if not private:
                self._owner = None
                self._lock.release()
        if status == NOT_CONTIGUOUS:
            return self([np.array(a, order="C") for a in arrays])
        return outs

    def _run_with_variables(self, arrays, outs, flags, ws, err):
        """One native call of a graph with variables, the caller holding the scratch it passes:
        reads the variables' buffers, gives each written variable a fresh one, raises a
        non-zero status's error, installs the buffers the code wrote. Returns the status.
        From the read to the install it holds the written variables' write locks (every lock
        with host callbacks), with native warm calls stepped aside (variable_locks.py): no
        other thread installs a value meanwhile."""
        entry = self._writing_entry()
        if not self.written:
            return self._run_entry(entry, arrays, outs, flags, ws, err)
        with variable_locks.writing(self.written, every=bool(self.host_nodes)):
            return self._run_entry(entry, arrays, outs, flags, ws, err)

    def _run_entry(self, entry, arrays, outs, flags, ws, err):
        olds = [v._value for v in self.variables]
        for v, shape in zip(olds, self._var_shapes):
            if v.shape != shape:
                raise ValueError("a variable changed shape since this function was compiled")
        news = [np.empty(v._value.shape, v._value.dtype) for v in self.written]
        flags[:] = 0
        status = entry((*arrays, *outs, *olds, *news, flags, ws, err))
        if status and status != NOT_CONTIGUOUS:
            self._raise(status, err)
        if status != NOT_CONTIGUOUS:
            for k, (v, buf) in enumerate(zip(self.written, news)):
                if flags[k]:
                    buf.setflags(write=False)
                    v._value = buf
        return status

    def _writing_entry(self):
        """The entry for a call that writes variables. A brief executable's keeps the GIL, as
        its native warm call does (native_call.gil_mode): letting go of it and taking it back
        costs more than the kernel. (No update is lost either way: the call holds the written
        variables' write locks, variable_locks.py.)"""
        if self._atomic_entry is None:
            try:
                keep = bool(self.written) and native_call.gil_mode(self) == native_call.HOLD_GIL
            except SymbolicUnsupported:   # (a symbolic batch: any size, so not brief)
                keep = False
            self._atomic_entry = _ENTRY_KEEPING_GIL(self.entry_address) if keep else self._entry
        return self._atomic_entry

    def _acquire_for_state(self):
        """Take the scratch lock, waiting (GIL released) while another thread holds it; False
        when this thread already holds it (a re-entrant call)."""
        me = threading.get_ident()
        while not self._lock.acquire():
            if self._owner == me:
                return False
            time.sleep(0.0001)
        self._owner = me
        return True

    def _raise(self, status, err):
        if status < 0:
            e, self._pending = self._pending, None
            raise e
        message, location = self.errors.entries[status - 1]
        text = message.format(None, *[int(x) for x in err[1:]])
        if location:
            text += f" (at {location})"
        raise InvalidArgumentError(text)

    def _host(self, entry, ptrs):
        try:
            node, ins, outs = self.host_nodes[entry]
            arrays = [_wrap(ptrs[k], dt, shape, strides) for k, (dt, shape, strides)
                      in enumerate(ins)]
            targets = [_wrap(ptrs[len(ins) + k], dt, shape, None)
                       for k, (dt, shape) in enumerate(outs)]
            it = iter(arrays)
            args = [None if v.is_token else next(it) for v in node.inputs]
            results = run_node(node, args)
            data = [r for r, v in zip(results, node.outputs) if not v.is_token]
            for t, r in zip(targets, data):
                t[...] = r
            return 0
        except BaseException as e:  # noqa: BLE001 - re-raised by __call__ after the native return
            self._pending = e
            return -1


def _wrap(ptr, dtype, shape, strides):
    """A NumPy array over native memory (element strides, or contiguous when None)."""
    np_dt = dtype.np_dtype
    item = np_dt.itemsize
    size = int(np.prod(shape, dtype=np.int64))
    if size == 0 or not ptr:
        return np.empty(shape, np_dt)
    if strides is None:
        buf = (ctypes.c_char * (size * item)).from_address(ptr)
        return np.frombuffer(buf, np_dt).reshape(shape)
    extent = 1 + sum((d - 1) * s for d, s in zip(shape, strides) if d > 0)
    buf = (ctypes.c_char * (extent * item)).from_address(ptr)
    base = np.frombuffer(buf, np_dt)
    view = np.lib.stride_tricks.as_strided(base, shape=shape,
                                           strides=[s * item for s in strides], writeable=False)
    return view



class SymbolicExecutable(Executable):
    """An Executable whose graph has a symbolic leading dim (symdim.py): one compiled module for
    every size n of it. Each call reads n from the first symbolic input (CpuFunction checked that
    every symbolic input has the same n and that the static dims match), allocates the outputs
    at n, grows the workspace to its static size + ws_per_n * n, and hands n to the kernels in
    err[SYMBOLIC_SLOT]. Variables are read and written as by Executable (the graph's
    variables have static shapes)."""

    def __init__(self, graph, specs, in_specs, sym, math_provider=None):
        super().__init__(graph, in_specs, math_provider=math_provider, specs=specs)
        self.sym = sym  # indices of the data params whose leading dim is n
        self._sym0 = sym[0]
        # per output: (coef of n in its leading dim or 0, the other dims, static shape, dtype)
        self._out_plan = [(s[0].coef if s and isinstance(s[0], Dim) else 0, tuple(s[1:]),
                           s, d) for s, d in self._outs]

    def _workspace(self, n):
        return max(self.workspace_bytes + self.ws_per_n * n, 1)

    def __call__(self, arrays):
        n = arrays[self._sym0].shape[0]
        try:
            outs = [np.empty((c * n, *tail) if c else shape, d)
                    for c, tail, shape, d in self._out_plan]
        except (MemoryError, ValueError) as e:  # (NumPy: "array is too big")
            shapes = [[c * n, *tail] if c else list(shape)
                      for c, tail, shape, _ in self._out_plan]
            raise ResourceExhaustedError(
                None, None, f"OOM when allocating the compiled function's outputs of shapes "
                f"{shapes}: {e}. Fix: use smaller shapes or batches.") from None
        if self.written:
            return self._call_writing(arrays, outs, n)
        olds = []
        if self.variables:
            olds = [v._value for v in self.variables]
            for v, shape in zip(olds, self._var_shapes):
                if v.shape != shape:
                    raise ValueError("a variable changed shape since this function was "
                                     "compiled")
        need = self.workspace_bytes + self.ws_per_n * n
        if not self._lock.acquire():  # another thread, or re-entered: private scratch
            err = self._new_err()
            err[_SYMBOLIC_SLOT] = n
            status = self._entry((*arrays, *outs, *olds, np.zeros_like(self._flags),
                                  np.empty(max(need, 1), np.uint8), err))
            if status and status != NOT_CONTIGUOUS:
                self._raise(status, err)
        else:
            try:
                if self._ws.size < need:
                    self._ws = np.empty(need, np.uint8)
                self._err[_SYMBOLIC_SLOT] = n
                status = self._entry((*arrays, *outs, *olds, self._flags, self._ws, self._err))
                if status and status != NOT_CONTIGUOUS:
                    self._raise(status, self._err)
            finally:
                self._lock.release()
        if status == NOT_CONTIGUOUS:
            return self([np.array(a, order="C") for a in arrays])
        return outs

    def _call_writing(self, arrays, outs, n):
        """A graph that writes variables: as Executable._call_stateful (variables read,
        updated and installed under the scratch lock), with n and the workspace for it."""
        private = not self._acquire_for_state()
        need = max(self.workspace_bytes + self.ws_per_n * n, 1)
        if private:
            flags, ws, err = np.zeros_like(self._flags), np.empty(need, np.uint8), \
                self._new_err()
        else:
            if self._ws.size < need:
                self._ws = np.empty(need, np.uint8)
            flags, ws, err = self._flags, self._ws, self._err
        try:
            err[_SYMBOLIC_SLOT] = n
            status = self._run_with_variables(arrays, outs, flags, ws, err)
        finally:
            if not private:
                self._owner = None
                self._lock.release()
        if status == NOT_CONTIGUOUS:
            return self([np.array(a, order="C") for a in arrays])
        return outs

    # -- the native warm call (native_call.py) at one batch size ------------------------------
    NATIVE_WS_LIMIT = 1 << 22  # private workspace bytes a batch view may hold

    def at_batch(self, n):
        """What native_call.native_caller needs to call this executable at batch size n: the
        concrete shapes, and a private error record (holding n) and workspace, so the machine
        code needs no per-call setup; None when the workspace would be large."""
        if self.host_nodes or self.workspace_bytes + self.ws_per_n * n > self.NATIVE_WS_LIMIT:
            return None
        return _BatchView(self, n)


class _BatchView:
    """A SymbolicExecutable seen at one batch size n (at_batch)."""

    def __init__(self, exe, n):
        from types import SimpleNamespace

        self.exe = exe
        self.graph = exe.graph
        self.host_nodes = exe.host_nodes
        self.variables, self.written = exe.variables, exe.written
        self._var_shapes = exe._var_shapes
        self.param_specs = [Spec(s.dtype, concrete(s.shape, n)) for s in exe.param_specs]
        self._outs = [(concrete(s, n), d) for s, d in exe._outs]
        self.specs = {k: SimpleNamespace(shape=concrete(s.shape, n))
                      for k, s in exe.specs.items() if getattr(s, "shape", None) is not None}
        self.entry_address = exe.entry_address
        self._lock = exe._lock  # (it guards the executable; this view's scratch is its own)
        self._flags = np.zeros_like(exe._flags)
        self._ws = np.empty(max(exe.workspace_bytes + exe.ws_per_n * n, 1), np.uint8)
        self._err = exe._new_err()
        self._err[_SYMBOLIC_SLOT] = n

    def _raise(self, status, err):
        self.exe._raise(status, err)
