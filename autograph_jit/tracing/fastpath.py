"""The warm-call fast path: one precomputed closure per (ConcreteFunction, argument dtypes+shapes).

`Function.__call__` (and `ConcreteFunction.__call__`) key a fast cache by the dtypes and shapes
of positional eager tensors; a hit calls the closure made here, which does only what a warm call
must: step aside for tracing and active tapes (they replay the graph), take the executable's
scratch memory (or step aside when another thread holds it), allocate fresh outputs, make the
native call (a builtin that releases the GIL, codegen/llvm/pycall.py) and wrap the outputs as
EagerTensors. The checks that protect native memory stay: dtypes and
shapes are the cache key, the native entry rejects non-contiguous inputs (then the slow path
copies them), and a status other than 0 raises the error it stands for.
"""
import numpy as np

from .. import nest
from ..autodiff import tape as _tape
from ..tensor import EagerTensor
from . import context
from .concrete import _LEAF

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
    """A closure `call(tensors)` for later calls with arrays of these dtypes and shapes; made
    after a successful call. Graphs with variables, segmented plans and the eager backend get
    the ConcreteFunction's ordinary call (still skipping Function's lookup)."""
    cpu = cf._cpu
    if cf.backend != "cpu" or cpu is None or cpu._variables:
        return cf._call_flat
    from ..codegen.llvm.executable import Executable
    exe = cpu._plans.get(tuple([t._value.shape for t in tensors]))
    if type(exe) is not Executable or exe.variables:
        return cf._call_flat
    return _native_caller(cf, exe)


def _native_caller(cf, exe):
    from ..codegen.llvm.executable import NOT_CONTIGUOUS
    slow = cf._call_flat
    entry, lock, flags, ws, err = exe._entry, exe._lock, exe._flags, exe._ws, exe._err
    acquire, release = lock.acquire, lock.release
    out_specs = exe._outs
    dtypes = list(cf._out_dtypes)
    tapes = _tape.ACTIVE_TAPES
    local = context._local
    empty = np.empty
    new = EagerTensor.__new__
    structure = cf._output_structure
    n_in = len(exe.param_specs)

    def failed(status):
        """A non-zero status, with the lock held: raise its error; an input that is not
        C-contiguous returns, and the caller retries on the slow path (which copies it)."""
        if status != NOT_CONTIGUOUS:
            exe._raise(status, err)

    if len(out_specs) == 1 and n_in == 1 and cf._single:
        (shape, np_dtype), dtype = out_specs[0], dtypes[0]

        def call(args):
            if tapes or getattr(local, "builder", None) is not None or not acquire(False):
                return slow(args)
            try:
                out = empty(shape, np_dtype)
                status = entry((args[0]._value, out, flags, ws, err))
                if status:
                    failed(status)
            finally:
                release()
            if status:
                return slow(args)
            out.setflags(write=False)
            t = new(EagerTensor)
            t._value = out
            t.dtype = dtype
            return t
        return call

    single = cf._single

    def call(args):
        if tapes or getattr(local, "builder", None) is not None or not acquire(False):
            return slow(args)
        try:
            outs = [empty(s, d) for s, d in out_specs]
            status = entry((*[a._value for a in args], *outs, flags, ws, err))
            if status:
                failed(status)
        finally:
            release()
        if status:
            return slow(args)
        results = []
        for out, dtype in zip(outs, dtypes):
            out.setflags(write=False)
            t = new(EagerTensor)
            t._value = out
            t.dtype = dtype
            results.append(t)
        if single:
            return results[0]
        it = iter(results)
        return nest.map_structure(lambda x: next(it) if x is _LEAF else x, structure)
    return call
