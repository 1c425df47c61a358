"""The native warm call: one builtin function per (executable, argument shapes) that does a whole
warm `f(x)` in machine code — check the arguments, allocate the outputs, release the GIL around
the compiled entry, wrap the results as EagerTensors.

`Function.__call__` calls it first (`native(args)`); it returns the caller's `miss` sentinel
whenever it does not apply, and the ordinary path then runs with every check and semantic of its own:
- the argument count differs, an argument is not an EagerTensor, its array is not exactly an
  ndarray of the traced dtype descriptor, rank and shape, or not C-contiguous and aligned;
- some thread is tracing (a process-wide counter: tracing/context.py) or a GradientTape is
  active (those calls must be recorded or staged, not run);
- another call holds this executable's scratch memory (the ordinary path then uses private
  scratch).
A non-zero status from the entry calls back into Python (`on_status`) with the lock still held;
it raises the error the status stands for.

What the machine code relies on, and `_check_layout()` verifies once per process before any
builtin is made: CPython object, tuple and list headers; ndarray fields (data, nd, dimensions,
descr, flags); NumPy's C API table (`PyArray_Empty`, entry 184, and `PyArray_Type`, entry 2).
When a check fails, or the C API is not reachable, `native_caller` returns None and calls keep
the Python fast path (tracing/fastpath.py).

Per-builtin data lives in a `_Config` array (an int64 ndarray subclass that also holds the Python
objects it points to, so they live as long as the builtin): header slots below, then the input
table (descr, rank, dims slot per input), the output table (descr, DType, rank, dims slot per
output), the extra objects passed after the outputs (written flags, workspace, error record),
and the dims themselves.
"""
import ctypes
import threading

import numpy as np
from llvmlite import ir

# header slots
(_ENTRY, _LOCK, _TRACING, _TAPES, _TENSOR_TYPE, _NAME_VALUE, _NAME_DTYPE, _MISS, _EMPTY, _N_IN,
 _N_OUT, _NDARRAY, _ON_STATUS, _SINGLE, _N_EXTRA, _STATUS, _IN_TABLE, _OUT_TABLE, _EXTRA_TABLE,
 _HEADER) = range(20)
_IN_ROW, _OUT_ROW = 3, 4
_C_CONTIGUOUS, _ALIGNED, _WRITEABLE = 0x1, 0x100, 0x400

# object layout (CPython 3.11 on 64-bit, NumPy 1.x/2.x), verified by _check_layout
_OB_TYPE, _OB_SIZE, _TUPLE_ITEMS = 8, 16, 24
_ARR_DATA, _ARR_ND, _ARR_DIMS, _ARR_DESCR, _ARR_FLAGS = 16, 24, 32, 56, 64
_PY_API = ("PyEval_SaveThread", "PyEval_RestoreThread", "PyTuple_New", "PyObject_GetAttr",
           "PyObject_SetAttr", "PyErr_Clear", "Py_IncRef", "Py_DecRef", "PyType_GenericAlloc",
           "PyObject_CallNoArgs", "PyBool_FromLong")


class _Config(np.ndarray):
    """The builtin's `self`: int64 slots read by the machine code, plus `keep` (the objects whose
    addresses the slots hold)."""


def _trampoline_ir():
    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    ptr = ir.PointerType(i8)
    mod = ir.Module(name="agj_fastcall")

    def declare(name, ret, *args):
        return ir.Function(mod, ir.FunctionType(ret, args), name=name)

    save = declare("PyEval_SaveThread", ptr)
    restore = declare("PyEval_RestoreThread", ir.VoidType(), ptr)
    tuple_new = declare("PyTuple_New", ptr, i64)
    getattr_ = declare("PyObject_GetAttr", ptr, ptr, ptr)
    setattr_ = declare("PyObject_SetAttr", i32, ptr, ptr, ptr)
    err_clear = declare("PyErr_Clear", ir.VoidType())
    incref = declare("Py_IncRef", ir.VoidType(), ptr)
    decref = declare("Py_DecRef", ir.VoidType(), ptr)
    alloc = declare("PyType_GenericAlloc", ptr, ptr, i64)
    call0 = declare("PyObject_CallNoArgs", ptr, ptr)

    fn = ir.Function(mod, ir.FunctionType(ptr, [ptr, ptr]), name="agj_fast")
    self_, args = fn.args
    blocks = {name: fn.append_basic_block(name) for name in (
        "entry", "state", "lock", "alloc", "in_head", "in_body", "in_dims_head", "in_dims_body",
        "in_next", "out_head", "out_body", "out_next", "ex_head", "ex_body", "run", "failed",
        "done", "single", "multi_head", "multi_body", "multi_done", "miss_locked", "error_locked",
        "miss")}
    b = ir.IRBuilder(blocks["entry"])

    def at(base, offset, ty=ptr):
        """load ty from base + offset bytes"""
        return b.load(b.bitcast(b.gep(base, [i64(offset)]), ty.as_pointer()))

    def slot_addr(cfg, index):
        return b.gep(b.bitcast(cfg, i64.as_pointer()), [index])

    def slot(cfg, index, ty=i64):
        v = b.load(slot_addr(cfg, index if isinstance(index, ir.Value) else i64(index)))
        return b.inttoptr(v, ty) if ty is ptr else v

    def item_addr(tup, index):
        return b.bitcast(b.gep(tup, [b.add(i64(_TUPLE_ITEMS), b.mul(index, i64(8)))]),
                         ptr.as_pointer())

    cfg = at(self_, _ARR_DATA)
    n_in = slot(cfg, _N_IN)
    nargs = at(args, _OB_SIZE, i64)
    b.cbranch(b.icmp_signed("==", nargs, n_in), blocks["state"], blocks["miss"])

    b.position_at_end(blocks["state"])
    tracing = b.load(b.bitcast(slot(cfg, _TRACING, ptr), i64.as_pointer()))
    tapes = at(slot(cfg, _TAPES, ptr), _OB_SIZE, i64)
    quiet = b.icmp_signed("==", b.or_(tracing, tapes), i64(0))
    b.cbranch(quiet, blocks["lock"], blocks["miss"])

    b.position_at_end(blocks["lock"])
    lock = b.bitcast(slot(cfg, _LOCK, ptr), i64.as_pointer())
    got = b.extract_value(b.cmpxchg(lock, i64(0), i64(1), "acquire", "monotonic"), 1)
    b.cbranch(got, blocks["alloc"], blocks["miss"])

    b.position_at_end(blocks["alloc"])
    n_out = slot(cfg, _N_OUT)
    total = b.add(b.add(n_in, n_out), slot(cfg, _N_EXTRA))
    tup = b.call(tuple_new, [total])
    b.cbranch(b.icmp_unsigned("==", tup, ptr(None)), blocks["error_locked"], blocks["in_head"])

    # inputs: the argument's `_value` must be exactly the traced array type, dtype, shape
    b.position_at_end(blocks["in_head"])
    i = b.phi(i64)
    i.add_incoming(i64(0), blocks["alloc"])
    b.cbranch(b.icmp_signed("<", i, n_in), blocks["in_body"], blocks["out_head"])
    b.position_at_end(blocks["in_body"])
    arg = b.load(item_addr(args, i))
    is_tensor = b.icmp_unsigned("==", at(arg, _OB_TYPE), slot(cfg, _TENSOR_TYPE, ptr))
    get_block = fn.append_basic_block("in_get")
    b.cbranch(is_tensor, get_block, blocks["miss_locked"])
    b.position_at_end(get_block)
    value = b.call(getattr_, [arg, slot(cfg, _NAME_VALUE, ptr)])
    got_value = fn.append_basic_block("in_got")
    no_value = fn.append_basic_block("in_no_value")
    b.cbranch(b.icmp_unsigned("==", value, ptr(None)), no_value, got_value)
    b.position_at_end(no_value)
    b.call(err_clear, [])
    b.branch(blocks["miss_locked"])
    b.position_at_end(got_value)
    b.store(value, item_addr(tup, i))  # the tuple owns it now
    row = b.add(slot(cfg, _IN_TABLE), b.mul(i, i64(_IN_ROW)))
    descr_ok = b.icmp_unsigned("==", at(value, _ARR_DESCR), slot(cfg, row, ptr))
    type_ok = b.icmp_unsigned("==", at(value, _OB_TYPE), slot(cfg, _NDARRAY, ptr))
    nd = b.sext(at(value, _ARR_ND, i32), i64)
    nd_ok = b.icmp_signed("==", nd, slot(cfg, b.add(row, i64(1))))
    flags = at(value, _ARR_FLAGS, i32)
    want = i32(_C_CONTIGUOUS | _ALIGNED)
    flags_ok = b.icmp_unsigned("==", b.and_(flags, want), want)
    ok = b.and_(b.and_(descr_ok, type_ok), b.and_(nd_ok, flags_ok))
    dims = at(value, _ARR_DIMS)
    want_dims = slot(cfg, b.add(row, i64(2)))
    body_end = b.block
    b.cbranch(ok, blocks["in_dims_head"], blocks["miss_locked"])
    b.position_at_end(blocks["in_dims_head"])
    d = b.phi(i64)
    d.add_incoming(i64(0), body_end)
    b.cbranch(b.icmp_signed("<", d, nd), blocks["in_dims_body"], blocks["in_next"])
    b.position_at_end(blocks["in_dims_body"])
    have = b.load(b.gep(b.bitcast(dims, i64.as_pointer()), [d]))
    expect = slot(cfg, b.add(want_dims, d))
    d.add_incoming(b.add(d, i64(1)), blocks["in_dims_body"])
    b.cbranch(b.icmp_signed("==", have, expect), blocks["in_dims_head"], blocks["miss_locked"])
    b.position_at_end(blocks["in_next"])
    i.add_incoming(b.add(i, i64(1)), blocks["in_next"])
    b.branch(blocks["in_head"])

    # outputs: fresh arrays from NumPy's PyArray_Empty (it steals a descr reference)
    empty_ty = ir.FunctionType(ptr, [i32, ptr, ptr, i32]).as_pointer()
    b.position_at_end(blocks["out_head"])
    j = b.phi(i64)
    j.add_incoming(i64(0), blocks["in_head"])
    b.cbranch(b.icmp_signed("<", j, n_out), blocks["out_body"], blocks["ex_head"])
    b.position_at_end(blocks["out_body"])
    orow = b.add(slot(cfg, _OUT_TABLE), b.mul(j, i64(_OUT_ROW)))
    descr = slot(cfg, orow, ptr)
    b.call(incref, [descr])
    rank = b.trunc(slot(cfg, b.add(orow, i64(2))), i32)
    dims_at = b.bitcast(slot_addr(cfg, slot(cfg, b.add(orow, i64(3)))), ptr)
    empty = b.bitcast(slot(cfg, _EMPTY, ptr), empty_ty)
    out = b.call(empty, [rank, dims_at, descr, i32(0)])
    b.cbranch(b.icmp_unsigned("==", out, ptr(None)), blocks["error_locked"], blocks["out_next"])
    b.position_at_end(blocks["out_next"])
    b.store(out, item_addr(tup, b.add(n_in, j)))
    j.add_incoming(b.add(j, i64(1)), blocks["out_next"])
    b.branch(blocks["out_head"])

    # extras: the executable's written flags, workspace and error record
    b.position_at_end(blocks["ex_head"])
    k = b.phi(i64)
    k.add_incoming(i64(0), blocks["out_head"])
    b.cbranch(b.icmp_signed("<", k, slot(cfg, _N_EXTRA)), blocks["ex_body"], blocks["run"])
    b.position_at_end(blocks["ex_body"])
    extra = slot(cfg, b.add(slot(cfg, _EXTRA_TABLE), k), ptr)
    b.call(incref, [extra])
    b.store(extra, item_addr(tup, b.add(b.add(n_in, n_out), k)))
    k.add_incoming(b.add(k, i64(1)), blocks["ex_body"])
    b.branch(blocks["ex_head"])

    b.position_at_end(blocks["run"])
    entry_fn = b.bitcast(slot(cfg, _ENTRY, ptr), ir.FunctionType(i32, [ptr]).as_pointer())
    state = b.call(save, [])
    status = b.call(entry_fn, [tup])
    b.call(restore, [state])
    b.cbranch(b.icmp_signed("==", status, i32(0)), blocks["done"], blocks["failed"])

    # a status: Python raises its error (NULL back); a None back means "retry on the slow path"
    b.position_at_end(blocks["failed"])
    b.store(b.sext(status, i64), slot_addr(cfg, i64(_STATUS)))
    answer = b.call(call0, [slot(cfg, _ON_STATUS, ptr)])
    retry = fn.append_basic_block("retry")
    b.cbranch(b.icmp_unsigned("==", answer, ptr(None)), blocks["error_locked"], retry)
    b.position_at_end(retry)
    b.call(decref, [answer])
    b.branch(blocks["miss_locked"])

    def unlock():
        b.store_atomic(i64(0), lock, "release", 8)

    def wrap(array, dtype, fail):
        """An EagerTensor over `array` (made read-only); branches to `fail` on an error."""
        addr = b.bitcast(b.gep(array, [i64(_ARR_FLAGS)]), i32.as_pointer())
        b.store(b.and_(b.load(addr), i32(~_WRITEABLE & 0xFFFFFFFF)), addr)
        tensor = b.call(alloc, [slot(cfg, _TENSOR_TYPE, ptr), i64(0)])
        made = fn.append_basic_block("wrap_made")
        b.cbranch(b.icmp_unsigned("==", tensor, ptr(None)), fail, made)
        b.position_at_end(made)
        r1 = b.call(setattr_, [tensor, slot(cfg, _NAME_VALUE, ptr), array])
        r2 = b.call(setattr_, [tensor, slot(cfg, _NAME_DTYPE, ptr), dtype])
        good = b.icmp_signed("==", b.or_(r1, r2), i32(0))
        ok_block = fn.append_basic_block("wrap_ok")
        bad_block = fn.append_basic_block("wrap_bad")
        b.cbranch(good, ok_block, bad_block)
        b.position_at_end(bad_block)
        b.call(decref, [tensor])
        b.branch(fail)
        b.position_at_end(ok_block)
        return tensor

    fail_tup = fn.append_basic_block("fail_tup")  # unlocked, exception set: drop tup
    b.position_at_end(blocks["done"])
    unlock()
    b.cbranch(b.icmp_signed("!=", slot(cfg, _SINGLE), i64(0)), blocks["single"],
              blocks["multi_head"])

    b.position_at_end(blocks["single"])
    first = b.load(item_addr(tup, n_in))
    result = wrap(first, slot(cfg, b.add(slot(cfg, _OUT_TABLE), i64(1)), ptr), fail_tup)
    b.call(decref, [tup])
    b.ret(result)

    b.position_at_end(blocks["multi_head"])
    res = b.call(tuple_new, [n_out])
    res_ok = fn.append_basic_block("multi_res_ok")
    b.cbranch(b.icmp_unsigned("==", res, ptr(None)), fail_tup, res_ok)
    b.position_at_end(res_ok)
    loop = fn.append_basic_block("multi_loop")
    b.branch(loop)
    b.position_at_end(loop)
    m = b.phi(i64)
    m.add_incoming(i64(0), res_ok)
    b.cbranch(b.icmp_signed("<", m, n_out), blocks["multi_body"], blocks["multi_done"])
    b.position_at_end(blocks["multi_body"])
    fail_res = fn.append_basic_block("fail_res")
    array = b.load(item_addr(tup, b.add(n_in, m)))
    dtype = slot(cfg, b.add(b.add(slot(cfg, _OUT_TABLE), b.mul(m, i64(_OUT_ROW))), i64(1)), ptr)
    tensor = wrap(array, dtype, fail_res)
    b.store(tensor, item_addr(res, m))
    m.add_incoming(b.add(m, i64(1)), b.block)
    b.branch(loop)
    b.position_at_end(fail_res)
    b.call(decref, [res])
    b.branch(fail_tup)
    b.position_at_end(blocks["multi_done"])
    b.call(decref, [tup])
    b.ret(res)

    b.position_at_end(fail_tup)
    b.call(decref, [tup])
    b.ret(ptr(None))

    b.position_at_end(blocks["miss_locked"])
    unlock()
    b.call(decref, [tup])
    b.branch(blocks["miss"])

    b.position_at_end(blocks["error_locked"])
    unlock()
    drop = fn.append_basic_block("error_drop")
    b.cbranch(b.icmp_unsigned("==", tup, ptr(None)), fail_tup, drop)
    b.position_at_end(drop)
    b.call(decref, [tup])
    b.ret(ptr(None))

    b.position_at_end(blocks["miss"])
    sentinel = slot(cfg, _MISS, ptr)
    b.call(incref, [sentinel])
    b.ret(sentinel)

    # agj_trylock(word array, NULL) -> bool: the Python side of the same lock
    bool_from = declare("PyBool_FromLong", ptr, i64)
    fn = ir.Function(mod, ir.FunctionType(ptr, [ptr, ptr]), name="agj_trylock")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    word = b.bitcast(at(fn.args[0], _ARR_DATA), i64.as_pointer())
    got = b.extract_value(b.cmpxchg(word, i64(0), i64(1), "acquire", "monotonic"), 1)
    b.ret(b.call(bool_from, [b.zext(got, i64)]))
    return mod


METH_NOARGS = 0x0004


class _Setup:
    """Process-wide pieces: the trampoline's address, PyArray_Empty, the method definition."""

    def __init__(self):
        import llvmlite.binding as llvm
        from ...runtime import resident
        from .pycall import METH_O, _MethodDef
        _check_layout()
        api = ctypes.pythonapi
        for name in _PY_API:
            llvm.add_symbol(name, ctypes.cast(getattr(api, name), ctypes.c_void_p).value)
        self.empty = _array_empty_address()
        table = resident.install("native warm call", str(_trampoline_ir()),
                                 ["agj_fast", "agj_trylock"])
        # method definitions live as long as the process (builtins point at them)
        self.method = _MethodDef(b"agj_fast", table["agj_fast"], METH_O, None)
        self.trylock_method = _MethodDef(b"agj_trylock", table["agj_trylock"], METH_NOARGS,
                                         None)
        new = api.PyCFunction_NewEx
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]
        self.new = new


_setup_state = []
_setup_lock = threading.Lock()


def _setup():
    with _setup_lock:
        if not _setup_state:
            try:
                _setup_state.append(_Setup())
            except Exception:  # an unusual build: keep the Python fast path
                _setup_state.append(None)
    return _setup_state[0]


def _check_layout():
    """The offsets the machine code reads, checked on live objects (raises when one differs)."""
    read_i64 = lambda addr: ctypes.c_int64.from_address(addr).value  # noqa: E731
    read_i32 = lambda addr: ctypes.c_int32.from_address(addr).value  # noqa: E731
    t, lst = (1.0, 2.0, 3.0), [1, 2]
    a = np.zeros((2, 3), np.float32)[:, :2]
    checks = [
        read_i64(id(t) + _OB_SIZE) == 3, read_i64(id(lst) + _OB_SIZE) == 2,
        read_i64(id(t) + _TUPLE_ITEMS + 8) == id(t[1]), read_i64(id(a) + _OB_TYPE) == id(np.ndarray),
        read_i64(id(a) + _ARR_DATA) == a.ctypes.data, read_i32(id(a) + _ARR_ND) == 2,
        read_i64(read_i64(id(a) + _ARR_DIMS) + 8) == 2, read_i64(id(a) + _ARR_DESCR) == id(a.dtype),
        read_i32(id(a) + _ARR_FLAGS) & _C_CONTIGUOUS == 0,
        read_i32(id(a.base) + _ARR_FLAGS) & (_C_CONTIGUOUS | _ALIGNED | _WRITEABLE) ==
        (_C_CONTIGUOUS | _ALIGNED | _WRITEABLE)]
    if not all(checks):
        raise RuntimeError("unexpected CPython/NumPy object layout")


def _array_empty_address():
    """PyArray_Empty from NumPy's C API table, after checking the table is the one we know."""
    capsule = None
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            capsule = __import__(module, fromlist=["_ARRAY_API"])._ARRAY_API
            break
        except (ImportError, AttributeError):
            continue
    if capsule is None:
        raise RuntimeError("NumPy's C API table is not reachable")
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    table = (ctypes.c_void_p * 200).from_address(get(capsule, None))
    if table[2] != id(np.ndarray):
        raise RuntimeError("NumPy's C API table has an unknown layout")
    empty = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_int, ctypes.POINTER(ctypes.c_int64),
                              ctypes.c_void_p, ctypes.c_int)(table[184])
    descr = np.dtype(np.float32)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(descr))  # PyArray_Empty steals one
    probe = empty(2, (ctypes.c_int64 * 2)(3, 5), id(descr), 0)
    if type(probe) is not np.ndarray or probe.shape != (3, 5) or probe.dtype != descr \
            or not probe.flags.c_contiguous or not probe.flags.writeable:
        raise RuntimeError("NumPy's PyArray_Empty does not behave as expected")
    return table[184]


class ScratchLock:
    """The non-blocking lock over one executable's shared scratch memory (written flags,
    workspace, error record), taken by native warm calls and Python calls alike: `acquire()`
    -> bool, `release()`. `word` is its int64[1] (None when the native pieces are unavailable,
    and then no native call shares it)."""

    def __init__(self):
        setup = _setup()
        if setup is None:
            self.word = None
            lock = threading.Lock()
            self.acquire = lambda: lock.acquire(False)
            self.release = lock.release
            return
        self.word = word = np.zeros(1, np.int64)
        self.acquire = setup.new(ctypes.addressof(setup.trylock_method), word, None)

    def release(self):
        self.word[0] = 0


def native_caller(exe, out_dtypes, single, tensor_type, tapes, tracing, on_status, miss):
    """A builtin `call(args) -> EagerTensor | tuple | miss` for `exe` (an Executable without
    variables) and its input shapes, or None when the native warm call is unavailable.

    out_dtypes: the DType of each output; single: return the one output itself (else a tuple);
    tapes: the list of active tapes; tracing: the int64[1] tracing counter; on_status: called
    (no arguments) with the lock held after a non-zero status, which `config_status(builtin)`
    reads; it raises, or returns None to send the call to the slow path."""
    setup = _setup()
    if setup is None or exe._lock.word is None:
        return None
    ins = [(np.dtype(s.dtype.np_dtype), tuple(s.shape)) for s in exe.param_specs]
    outs = list(exe._outs)
    extras = [exe._flags, exe._ws, exe._err]
    descrs = [descr for descr, _ in ins] + [np.dtype(dt) for _, dt in outs]
    size = _HEADER + _IN_ROW * len(ins) + _OUT_ROW * len(outs) + len(extras)
    size += sum(len(s) for _, s in ins) + sum(len(s) for s, _ in outs)
    cfg = np.zeros(size, np.int64).view(_Config)
    cfg.keep = keep = [exe, descrs, list(out_dtypes), extras, tensor_type, tapes, tracing,
                       on_status, "_value", "dtype", miss]
    cfg[_ENTRY] = exe.entry_address
    cfg[_LOCK] = exe._lock.word.ctypes.data
    cfg[_TRACING] = tracing.ctypes.data
    cfg[_TAPES] = id(tapes)
    cfg[_TENSOR_TYPE] = id(tensor_type)
    cfg[_NAME_VALUE] = id(keep[8])
    cfg[_NAME_DTYPE] = id(keep[9])
    cfg[_MISS] = id(miss)
    cfg[_EMPTY] = setup.empty
    cfg[_N_IN], cfg[_N_OUT], cfg[_N_EXTRA] = len(ins), len(outs), len(extras)
    cfg[_NDARRAY] = id(np.ndarray)
    cfg[_ON_STATUS] = id(on_status)
    cfg[_SINGLE] = int(bool(single))
    cfg[_IN_TABLE] = _HEADER
    cfg[_OUT_TABLE] = _HEADER + _IN_ROW * len(ins)
    cfg[_EXTRA_TABLE] = cfg[_OUT_TABLE] + _OUT_ROW * len(outs)
    dims_at = cfg[_EXTRA_TABLE] + len(extras)
    for n, (descr, shape) in enumerate(ins):
        row = _HEADER + _IN_ROW * n
        cfg[row:row + 3] = (id(descr), len(shape), dims_at)
        cfg[dims_at:dims_at + len(shape)] = shape
        dims_at += len(shape)
    for n, ((shape, _), dtype) in enumerate(zip(outs, out_dtypes)):
        row = int(cfg[_OUT_TABLE]) + _OUT_ROW * n
        cfg[row:row + 4] = (id(descrs[len(ins) + n]), id(dtype), len(shape), dims_at)
        cfg[dims_at:dims_at + len(shape)] = shape
        dims_at += len(shape)
    for n, obj in enumerate(extras):
        cfg[int(cfg[_EXTRA_TABLE]) + n] = id(obj)
    return setup.new(ctypes.addressof(setup.method), cfg, None)


def config_status(builtin):
    """The status the last failed call stored (read by on_status)."""
    return int(builtin.__self__[_STATUS])
