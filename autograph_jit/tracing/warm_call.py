"""Warm calls, Python side: one precomputed caller per (ConcreteFunction, argument dtypes+shapes).

`Function.__call__` (and `ConcreteFunction.__call__`) key a fast cache by the dtypes and shapes
of positional eager tensors; a hit calls the caller made here. A caller returns the result, or
`MISS` when it does not apply (the ordinary path then runs). The newest native caller of a
Function also sits in its `_native` slot, where the native dispatcher (tf.function's `__call__`
in machine code) runs it before any Python. The caller is, in order of preference:
- the native warm call (codegen/llvm/native_call.py): one builtin that checks the arguments, takes
  the scratch lock, allocates (or recycles) the outputs, calls the compiled entry and wraps the
  results, all in machine code — it steps aside (MISS) for tracing, active tapes, a busy
  executable and any argument it was not made for;
- else `_python_caller`, one Python closure for both executable kinds: `run(args)` gives the
  output arrays (an Executable's entry called directly, or a symbolic-batch executable,
  codegen/llvm/symdim.py, whose native warm call is made per batch size when it can be), which
  it wraps;
- the ConcreteFunction's ordinary call for graphs with variables, segmented plans and the eager
  backend (still skipping Function's lookup).
The checks that protect native memory stay: dtypes, shapes and contiguity are checked before
the entry runs, and a status other than 0 raises the error it stands for.
"""
import numpy as np

from .. import nest
from ..autodiff import tape as _tape
from ..tensor import EagerTensor
from . import context
from .structure import LEAF as _LEAF

# what a fast caller returns when it does not apply (the ordinary path then runs)
MISS = type("Miss", (), {"__slots__": (), "__repr__": lambda self: "<fast call miss>"})()

# fast-path entries per function: past this many argument shapes (a stream of varying shapes
# under reduce_retracing), further shapes take the ordinary path instead of growing the cache
FAST_CACHE_LIMIT = 64


def fast_key(args):
    """(dtype id, shape, dtype id, shape, ...) when every argument is an eager tensor, else
    None. DTypes are singletons (they compare by identity), so their ids key exactly, and
    hashing an int is cheaper than DType.__hash__."""
    if len(args) == 1:
        a = args[0]
        return (id(a.dtype), a._value.shape) if type(a) is EagerTensor else None
    key = []
    for a in args:
        if type(a) is not EagerTensor:
            return None
        key.append(id(a.dtype))
        key.append(a._value.shape)
    return tuple(key)


def fast_caller(cf, tensors):
    """A caller `call(tensors)` for later calls with arrays of these dtypes and shapes; made
    after a successful call. Graphs with variables get only the native warm call; segmented
    plans and the eager backend get the ConcreteFunction's ordinary call (still skipping
    Function's lookup). None: none yet (the native warm call is not ready: ask again on a
    later call)."""
    cpu = cf._cpu
    if cf.backend != "cpu" or cpu is None:
        return cf._call_flat
    from ..codegen.llvm import native_call
    from ..codegen.llvm.executable import Executable, SymbolicExecutable
    exe = cpu._plans.get(cpu._key([t._value for t in tensors]))
    if type(exe) is Executable or type(exe) is SymbolicExecutable:
        # the native warm call's setup, when the prewarm thread is still to make it: after a
        # first call, not yet (None: ask on a later call; the ordinary path meanwhile), so the
        # first call returns at once; a later call waits for it
        if native_call.setup_pending():
            if not native_call.background_allowed():
                native_call.allow_background()
                return None
            native_call.wait_for_background()
        # (None too while another thread's call holds the executable's scratch lock, which
        # must become the native one first)
        if not exe._lock.upgrade() and native_call.setup_if_made():
            return None
    if type(exe) is SymbolicExecutable:  # native at this batch size, else Python
        view = exe.at_batch(tensors[exe.sym[0]]._value.shape[0])
        return (view is not None and _machine_code_caller(cf, view)) \
            or _symbolic_caller(cf, exe)
    if type(exe) is not Executable:
        return cf._call_flat
    if exe.variables:
        return _machine_code_caller(cf, exe) or cf._call_flat
    return _machine_code_caller(cf, exe) or _executable_caller(cf, exe)


def _machine_code_caller(cf, exe):
    """The native warm call for `exe`, or None when it is unavailable."""
    from ..codegen.llvm import native_call
    from ..codegen.llvm.executable import NOT_CONTIGUOUS
    structure = cf._output_structure
    flat = cf._single or (type(structure) is tuple and all(x is _LEAF for x in structure))
    box = []

    def on_status():
        """A non-zero status, with the scratch lock held: raise its error (None: retry on
        the ordinary path, which copies a non-contiguous input)."""
        status = native_call.config_status(box[0])
        if status != NOT_CONTIGUOUS:
            exe._raise(status, exe._err)

    native = native_call.native_caller(exe, cf._out_dtypes, cf._single, EagerTensor,
                                       _tape.ACTIVE_TAPES, context.TRACING, on_status, MISS)
    if native is None:
        return None
    box.append(native)
    if flat:
        return native
    rebuild = _restructure(cf)

    def call(args):
        r = native(args)
        return MISS if r is MISS else rebuild(r)
    return call


def _restructure(cf):
    """results(flat tensors) -> the function's result in its output structure."""
    structure = cf._output_structure

    def rebuild(results):
        it = iter(results)
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x, structure)
    return rebuild


def _symbolic_caller(cf, exe):
    """Call a SymbolicExecutable (the key matched these exact shapes, which CpuFunction
    checked when it chose the executable)."""
    return _python_caller(cf, lambda args: exe([a._value for a in args]))


def _executable_caller(cf, exe):
    """Call an Executable's entry directly (its scratch lock taken, without waiting: a busy
    executable takes the ordinary path)."""
    from ..codegen.llvm.executable import NOT_CONTIGUOUS
    entry, lock, flags, ws, err = exe._entry, exe._lock, exe._flags, exe._ws, exe._err
    acquire, release = lock.acquire, lock.release
    out_specs = exe._outs
    empty = np.empty

    def run(args):
        if not acquire():
            return None
        try:
            outs = [empty(s, d) for s, d in out_specs]
            status = entry((*[a._value for a in args], *outs, flags, ws, err))
            if status and status != NOT_CONTIGUOUS:
                exe._raise(status, err)
        finally:
            release()
        # (an input that is not C-contiguous: the ordinary path copies it)
        return None if status else outs
    return _python_caller(cf, run)


def _python_caller(cf, run):
    """The Python warm call: `run(args)` gives the output arrays (None: take the ordinary path,
    as tracing and active tapes do), wrapped here as read-only EagerTensors in the function's
    output structure."""
    slow = cf._call_flat
    dtypes = list(cf._out_dtypes)
    tapes = _tape.ACTIVE_TAPES
    local = context._local
    new = EagerTensor.__new__
    single = cf._single
    rebuild = _restructure(cf)

    def call(args):
        if tapes or getattr(local, "builder", None) is not None:
            return slow(args)
        outs = run(args)
        if outs is None:
            return slow(args)
        results = []
        for out, dtype in zip(outs, dtypes):
            out.setflags(write=False)
            t = new(EagerTensor)
            t._value = out
            t.dtype = dtype
            results.append(t)
        return results[0] if single else rebuild(results)
    return call
