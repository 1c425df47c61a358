"""DynamicExecutable: an Executable some of whose results are TensorArrays grown natively.

Such a result's size is known only when the native code returns, so its output slot is an
int64[4] record (data pointer, capacity, count, placeholder; k_grow.py) instead of an array.
After the call the rows are copied into a fresh NumPy array of shape [count, *element] (or the
rank-1 placeholder [count]) and each native buffer is freed exactly once (two results may be one
TensorArray). On an error the native code has already freed everything. The partitioner
(codegen/llvm/__init__.py) uses this class for the segment that ends at such a result; warm calls
take the ordinary path (tracing/warm_call.py calls only plain Executables directly).
"""
import ctypes

import numpy as np

from .executable import NOT_CONTIGUOUS, Executable

_free = ctypes.CDLL(None).free
_free.argtypes = [ctypes.c_void_p]
_free.restype = None


class _Grown:
    """What the copy-out needs of a grown result's spec."""
    __slots__ = ("dtype", "elem", "size_of_row")

    def __init__(self, spec):
        self.dtype = spec.dtype
        self.elem = spec.elem
        self.size_of_row = int(np.prod(spec.elem, dtype=np.int64)) * spec.dtype.size


class DynamicExecutable(Executable):
    def __init__(self, graph, in_specs, math_provider=None, use_cache=True):
        super().__init__(graph, in_specs, math_provider=math_provider, use_cache=use_cache)
        self._grown = [(k, _Grown(self.specs[r.id])) for k, r in enumerate(graph.data_results)
                       if self.specs[r.id].growable]
        self.notes = []

    def __call__(self, arrays):
        outs = [np.empty(s, d) for s, d in self._outs]
        for k, _ in self._grown:
            outs[k] = np.zeros(4, np.int64)
        records = [outs[k] for k, _ in self._grown]
        if self.variables:
            done = self._call_stateful(arrays, outs)
            if done is not outs:  # retried with contiguous copies: already collected
                return done
        else:
            err = self._new_err()  # private scratch: no lock, reentrant, thread-safe
            status = self._entry((*arrays, *outs, np.zeros(self._flags.size, np.uint8),
                                  np.empty(self._ws.size, np.uint8), err))
            if status == NOT_CONTIGUOUS:
                return self([np.array(a, order="C") for a in arrays])
            if status:
                self._raise(status, err)
        return self._collect(outs, records)

    def _collect(self, outs, records):
        """Copy each handed-over buffer into a NumPy array, then free it (once)."""
        owned = {int(rec[0]) for rec in records if rec[0]}
        try:
            for (k, spec), rec in zip(self._grown, records):
                data, _, count, placeholder = rec.tolist()
                dtype = spec.dtype.np_dtype
                nbytes = count * spec.size_of_row
                if placeholder or not nbytes:  # (a placeholder's rows are zeros)
                    outs[k] = np.zeros((count,) if placeholder else (count, *spec.elem), dtype)
                else:  # one copy; read-only, as every EagerTensor value (not string_at:
                    # its size is a C int, and 2 GiB or more came back empty or wrong)
                    raw = (ctypes.c_char * nbytes).from_address(data)
                    outs[k] = np.frombuffer(raw, dtype).reshape((count, *spec.elem)).copy()
                    outs[k].setflags(write=False)
        finally:
            for p in owned:
                _free(p)
        return outs


__all__ = ["DynamicExecutable"]
