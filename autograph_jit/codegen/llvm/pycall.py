"""The native entry as a CPython builtin function: `entry(objs_tuple) -> int status`.

A ctypes call costs about a microsecond (argument conversion, libffi); a builtin call costs a
tenth of that. One resident trampoline, `agj_call(self, arg)` (METH_O), reads the entry's address
from `self` (a one-element int64 array: its data pointer sits at the offset check_abi verified),
releases the GIL with PyEval_SaveThread, calls `i32 agj_entry(ptr tuple)`, takes the GIL back
and returns the status as a Python int. Host callbacks from the native code (tf.print, ops run
on the interpreter) are ctypes callbacks: they take the GIL themselves, as under ctypes.

`builtin_entry(address)` returns None when anything here is unavailable; the caller then keeps
the ctypes entry.
"""
import ctypes

import numpy as np
from ...runtime import forksafe, resident
import llvmlite.binding as llvm

TRAMPOLINE_IR = """
declare ptr @PyEval_SaveThread()
declare void @PyEval_RestoreThread(ptr)
declare ptr @PyLong_FromLong(i64)

define ptr @agj_call(ptr %self, ptr %arg) {
entry:
  %pdata = getelementptr i8, ptr %self, i64 16
  %data = load ptr, ptr %pdata
  %fn = load ptr, ptr %data
  %ts = call ptr @PyEval_SaveThread()
  %status = call i32 %fn(ptr %arg)
  call void @PyEval_RestoreThread(ptr %ts)
  %wide = sext i32 %status to i64
  %result = call ptr @PyLong_FromLong(i64 %wide)
  ret ptr %result
}
"""
_API = ("PyEval_SaveThread", "PyEval_RestoreThread", "PyLong_FromLong")
METH_O = 0x0008


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


_state = []  # [(method def, its name bytes, PyCFunction_NewEx)] once set up; [None] if unusable


_setup_lock = forksafe.Lock()   # (a forked child finds it unlocked, as native_call's)


def prepare():
    """Compile the trampoline now (the backend's prewarm thread calls this)."""
    _setup()


def _setup():
    if _state:
        return _state[0]
    with _setup_lock:
        if not _state:
            _state.append(_make())
    return _state[0]


def _make():
    try:
        api = ctypes.pythonapi
        for name in _API:
            llvm.add_symbol(name, ctypes.cast(getattr(api, name), ctypes.c_void_p).value)
        address = resident.install("python call trampoline", TRAMPOLINE_IR,
                                   ["agj_call"])["agj_call"]
        name = b"agj_entry"
        method = _MethodDef(name, address, METH_O, None)  # lives as long as the process
        new = api.PyCFunction_NewEx
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]
        return method, name, new
    except Exception:  # no Python C API symbols (an embedded or unusual build): ctypes it is
        return None


def builtin_entry(address):
    """A builtin `f(tuple) -> int` calling the native `i32 (ptr)` function at `address` with
    the GIL released, or None when the trampoline is unavailable."""
    setup = _setup()
    if setup is None or not address:
        return None
    method, _, new = setup
    box = np.array([address], np.int64)  # the builtin's `self`: it keeps the box alive
    return new(ctypes.addressof(method), box, None)
