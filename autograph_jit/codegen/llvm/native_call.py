"""The native warm call: one builtin function per (executable, argument shapes) that does a whole
warm `f(x)` in machine code — check the arguments and the variables' current values, allocate the
outputs and the written variables' new buffers, release the GIL around the compiled entry,
install the new buffers, wrap the results as EagerTensors.

`Function.__call__` calls it first (`native(args)`); it returns the caller's `miss` sentinel
whenever it does not apply, and the ordinary path then runs with every check and semantic of its own:
- the argument count differs, an argument is not an EagerTensor, its array is not exactly an
  ndarray of the traced dtype descriptor, rank and shape, or not C-contiguous and aligned;
- some thread is tracing (a process-wide counter: tracing/context.py) or a GradientTape is
  active (those calls must be recorded or staged, not run);
- a variable's value is not exactly the array it was compiled for (a None-shaped variable that
  changed shape);
- another call holds this executable's scratch memory (the ordinary path then waits for it, or
  uses private scratch when the call is re-entrant).
The GIL is kept around the entry for a brief executable (`is_brief`), released for one with host
callbacks, and otherwise kept while the previous call was short (`gil_mode`).
A non-zero status from the entry calls back into Python (`on_status`) with the lock still held;
it raises the error the status stands for.

Results of at most POOL_BYTES are recycled: each builtin keeps its last _POOL_DEPTH tensors per
output in a list; a call reuses one that only the list still holds (no weak reference), whose
array only that tensor holds, owns its data and still has the output's descr and shape, and
evicts one the list alone holds that fails those checks. A result the caller keeps is never
touched again.

The dispatcher (`install_dispatcher`, `agj_dispatch`) is tf.function's `__call__` as a
METH_FASTCALL | METH_KEYWORDS method descriptor: it runs the builtin found in the Function's
`_native` slot (only a builtin of `agj_fast`; anything else is ignored), and calls the Python
`Function._call` with the same arguments when there is none, a keyword is given, functions run
eagerly, or the builtin misses.

What the machine code relies on, and `_check_layout()` verifies once per process before any
builtin is made: CPython object, tuple and list headers, builtin function objects, dict version
tags; ndarray fields (data, nd, dimensions, descr, flags); NumPy's C API table (`PyArray_Empty`,
entry 184, and `PyArray_Type`, entry 2); `_slot_offset` checks each `__slots__` offset it reads.
When a check fails, or the C API is not reachable, `native_caller` returns None and calls keep
the Python fast path (tracing/warm_call.py).

Per-builtin data lives in a `_Config` array (an int64 ndarray subclass that also holds the Python
objects it points to, so they live as long as the builtin): header slots below, then the input
table (descr, rank, dims slot per input), the output table (descr, rank, dims slot, DType per
output), the variable tables (descr, rank, dims slot, Variable: every variable the graph uses,
then the written ones), the extra objects passed last (written flags, workspace, error record),
and the dims themselves. The entry's tuple is (inputs, outputs, variable values, new buffers,
extras), as lower.py documents.
"""
import ctypes
import sys
import threading
import weakref

import numpy as np
from llvmlite import ir

from ...runtime import forksafe
from ...runtime import resident
from . import lowering_cache
from .pycall import METH_O, _MethodDef

# header slots
(_ENTRY, _LOCK, _TRACING, _TAPES, _TENSOR_TYPE, _NAME_VALUE, _NAME_DTYPE, _MISS, _EMPTY, _N_IN,
 _N_OUT, _NDARRAY, _ON_STATUS, _SINGLE, _N_EXTRA, _STATUS, _IN_TABLE, _OUT_TABLE, _EXTRA_TABLE,
 _N_VARS, _VAR_TABLE, _N_WRITTEN, _WRITTEN_TABLE, _RELEASE_GIL, _VALUE_AT, _DTYPE_AT, _WEAK_AT,
 _POOL, _LAST_TICKS, _NONE, _HEADER) = range(31)
# _RELEASE_GIL: what a call does with the GIL (see gil_mode)
HOLD_GIL, RELEASE_GIL, ADAPTIVE_GIL = 0, 1, 2
# ADAPTIVE_GIL: a call keeps the GIL while the previous one ran fewer time-stamp ticks than this
# (~10-25 us at this CPU generation's 2-5 GHz)
SHORT_TICKS = 50_000
# table rows: an array's (descr, rank, dims slot) [+ DType, pooled | variable]
_IN_ROW, _OUT_ROW, _VAR_ROW = 3, 5, 4
_C_CONTIGUOUS, _OWNDATA, _ALIGNED, _WRITEABLE = 0x1, 0x4, 0x100, 0x400
# results of at most this many bytes are recycled (see native_caller)
POOL_BYTES = 4096
_POOL_DEPTH = 2

# object layout (CPython 3.11 on 64-bit, NumPy 1.x/2.x), verified by _check_layout
_OB_REFCNT, _OB_TYPE, _OB_SIZE, _TUPLE_ITEMS, _LIST_ITEMS = 0, 8, 16, 24, 24
_ARR_DATA, _ARR_ND, _ARR_DIMS, _ARR_DESCR, _ARR_FLAGS = 16, 24, 32, 56, 64
_PY_API = ("PyEval_SaveThread", "PyEval_RestoreThread", "PyTuple_New", "PyObject_GetAttr",
           "PyObject_SetAttr", "PyErr_Clear", "Py_IncRef", "Py_DecRef", "PyType_GenericAlloc",
           "PyObject_CallNoArgs", "PyBool_FromLong", "PyObject_Vectorcall", "PyDict_GetItem",
           "PyMem_Malloc", "PyMem_Free", "PyErr_NoMemory", "_Py_Dealloc")
# reference counts changed in place: CPython 3.11's plain 64-bit count (3.12 has immortal
# objects, a debug build counts references globally: those call Py_IncRef/Py_DecRef)
_INLINE_REFCOUNTS = sys.version_info[:2] == (3, 11) and not hasattr(sys, "gettotalrefcount")
# the dispatcher's process-wide words (agj_globals): the offset of Function's `_native` slot,
# PyCFunction's type, agj_fast's method definition, the Python call, the miss sentinel, the
# config dict, its "run_eagerly" key, False, the tuple type
(_G_SLOT, _G_CFUNCTION, _G_FAST_DEF, _G_SLOW, _G_MISS, _G_STATE, _G_KEY, _G_FALSE, _G_TUPLE,
 _G_STATE_VERSION, _G_SIZE) = range(11)
# a dict's version tag (changed by every change to the dict; CPython 3.11-3.12)
_DICT_VERSION = 24
_STACK_ARGS = 16  # the dispatcher's Python call passes up to this many arguments from the stack
# a builtin function object: its method definition and self
_CF_ML, _CF_SELF = 16, 24


class _Config(np.ndarray):
    """The builtin's `self`: int64 slots read by the machine code, plus `keep` (the objects whose
    addresses the slots hold)."""


class _Emitter:
    """Builds `agj_fast` and `agj_trylock` (the IR of this module's docstring)."""

    def __init__(self):
        self.i8, self.i32, self.i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
        self.ptr = ir.PointerType(self.i8)
        self.mod = ir.Module(name="agj_fastcall")
        i32, i64, ptr, void = self.i32, self.i64, self.ptr, ir.VoidType()
        self.api = {name: ir.Function(self.mod, ir.FunctionType(ret, args), name=name)
                    for name, ret, args in [
                        ("PyEval_SaveThread", ptr, []), ("PyEval_RestoreThread", void, [ptr]),
                        ("PyTuple_New", ptr, [i64]), ("PyObject_GetAttr", ptr, [ptr, ptr]),
                        ("PyObject_SetAttr", i32, [ptr, ptr, ptr]), ("PyErr_Clear", void, []),
                        ("Py_IncRef", void, [ptr]), ("Py_DecRef", void, [ptr]),
                        ("PyType_GenericAlloc", ptr, [ptr, i64]),
                        ("PyObject_CallNoArgs", ptr, [ptr]), ("PyBool_FromLong", ptr, [i64]),
                        ("PyObject_Vectorcall", ptr, [ptr, ptr, i64, ptr]),
                        ("PyDict_GetItem", ptr, [ptr, ptr]), ("PyMem_Malloc", ptr, [i64]),
                        ("PyMem_Free", void, [ptr]), ("PyErr_NoMemory", ptr, []),
                        ("_Py_Dealloc", void, [ptr])]}
        self.globals = ir.GlobalVariable(self.mod, ir.ArrayType(i64, _G_SIZE), "agj_globals")
        self.globals.initializer = ir.Constant(ir.ArrayType(i64, _G_SIZE), None)

    # -- small pieces ----------------------------------------------------------------------------
    def call(self, name, *args):
        return self.b.call(self.api[name], list(args))

    def incref(self, obj):
        """Py_INCREF of a non-NULL object (inline on CPython 3.11, else Py_IncRef)."""
        if not _INLINE_REFCOUNTS:
            self.call("Py_IncRef", obj)
            return
        b = self.b
        addr = b.bitcast(obj, self.i64.as_pointer())
        b.store(b.add(b.load(addr), self.i64(1)), addr)

    def decref(self, obj):
        """Py_DECREF of a non-NULL object (inline on CPython 3.11, else Py_DecRef)."""
        if not _INLINE_REFCOUNTS:
            self.call("Py_DecRef", obj)
            return
        b = self.b
        addr = b.bitcast(obj, self.i64.as_pointer())
        count = b.sub(b.load(addr), self.i64(1))
        b.store(count, addr)
        dealloc, after = self.block("dealloc"), self.block("decrefed")
        b.cbranch(b.icmp_signed("==", count, self.i64(0)), dealloc, after)
        b.position_at_end(dealloc)
        self.call("_Py_Dealloc", obj)
        b.branch(after)
        b.position_at_end(after)

    def at(self, base, offset, ty=None):
        """load ty (default ptr) from base + offset bytes"""
        ty = ty or self.ptr
        b = self.b
        if not isinstance(offset, ir.Value):
            offset = self.i64(offset)
        return b.load(b.bitcast(b.gep(base, [offset]), ty.as_pointer()))

    def slot_addr(self, index):
        if not isinstance(index, ir.Value):
            index = self.i64(index)
        return self.b.gep(self.b.bitcast(self.cfg, self.i64.as_pointer()), [index])

    def slot(self, index, as_ptr=False):
        v = self.b.load(self.slot_addr(index))
        return self.b.inttoptr(v, self.ptr) if as_ptr else v

    def row(self, table, k, width, column, as_ptr=False):
        b = self.b
        return self.slot(b.add(b.add(self.slot(table), b.mul(k, self.i64(width))),
                               self.i64(column)), as_ptr)

    def item_addr(self, tup, index):
        b = self.b
        offset = b.add(self.i64(_TUPLE_ITEMS), b.mul(index, self.i64(8)))
        return b.bitcast(b.gep(tup, [offset]), self.ptr.as_pointer())

    def is_null(self, value):
        return self.b.icmp_unsigned("==", value, self.ptr(None))

    def block(self, name):
        return self.fn.append_basic_block(name)

    def loop(self, name, count, body):
        """for k in [0, count): body(k); body may branch away, and leaves the builder in the
        block that continues the loop."""
        b = self.b
        before = b.block
        head, work, after = self.block(name), self.block(name + "_body"), self.block(name + "_end")
        b.branch(head)
        b.position_at_end(head)
        k = b.phi(self.i64)
        k.add_incoming(self.i64(0), before)
        b.cbranch(b.icmp_signed("<", k, count), work, after)
        b.position_at_end(work)
        body(k)
        k.add_incoming(b.add(k, self.i64(1)), b.block)
        b.branch(head)
        b.position_at_end(after)

    def check_array(self, value, descr, rank, dims_slot, miss):
        """Branch to `miss` unless `value` is exactly an ndarray with this descr, rank and
        shape, C-contiguous and aligned."""
        b, i32, i64 = self.b, self.i32, self.i64
        ok = b.and_(b.icmp_unsigned("==", self.at(value, _OB_TYPE), self.slot(_NDARRAY, True)),
                    b.icmp_unsigned("==", self.at(value, _ARR_DESCR), descr))
        nd = b.sext(self.at(value, _ARR_ND, i32), i64)
        want = i32(_C_CONTIGUOUS | _ALIGNED)
        ok = b.and_(ok, b.and_(b.icmp_signed("==", nd, rank),
                               b.icmp_unsigned("==", b.and_(self.at(value, _ARR_FLAGS, i32), want),
                                               want)))
        dims = b.bitcast(self.at(value, _ARR_DIMS), i64.as_pointer())
        go = self.block("dims")
        b.cbranch(ok, go, miss)
        b.position_at_end(go)

        def same_dim(d):
            have = b.load(b.gep(dims, [d]))
            next_block = self.block("dim_ok")
            b.cbranch(b.icmp_signed("==", have, self.slot(b.add(dims_slot, d))), next_block, miss)
            b.position_at_end(next_block)
        self.loop("dim", nd, same_dim)

    def new_array(self, descr, rank, dims_slot, error):
        """PyArray_Empty(rank, dims, descr) (it steals a descr reference); `error` on NULL."""
        b, i32 = self.b, self.i32
        self.incref(descr)
        empty = b.bitcast(self.slot(_EMPTY, True),
                          ir.FunctionType(self.ptr, [i32, self.ptr, self.ptr, i32]).as_pointer())
        out = b.call(empty, [b.trunc(rank, i32), b.bitcast(self.slot_addr(dims_slot), self.ptr),
                             descr, i32(0)])
        made = self.block("made")
        b.cbranch(self.is_null(out), error, made)
        b.position_at_end(made)
        return out

    def read_only(self, array):
        b = self.b
        addr = b.bitcast(b.gep(array, [self.i64(_ARR_FLAGS)]), self.i32.as_pointer())
        b.store(b.and_(b.load(addr), self.i32(~_WRITEABLE & 0xFFFFFFFF)), addr)

    def wrap(self, array, dtype, fail):
        """An EagerTensor over `array` (made read-only); branches to `fail` on an error. The
        tensor's two slots are written directly (their offsets were checked on a live one)."""
        b = self.b
        self.read_only(array)
        tensor = self.call("PyType_GenericAlloc", self.slot(_TENSOR_TYPE, True), self.i64(0))
        made = self.block("wrap_made")
        b.cbranch(self.is_null(tensor), fail, made)
        b.position_at_end(made)
        for value, at in ((array, _VALUE_AT), (dtype, _DTYPE_AT)):
            self.incref(value)
            b.store(value, b.bitcast(b.gep(tensor, [self.slot(at)]), self.ptr.as_pointer()))
        return tensor

    def item_addr_of(self, items, index):
        """&items[index] for a PyObject ** array."""
        return self.b.gep(self.b.bitcast(items, self.ptr.as_pointer()), [index])

    def refcount(self, obj):
        return self.at(obj, _OB_REFCNT, self.i64)

    def reuse(self, entry, descr, rank, dims_slot, tup, out_item, pool_item):
        """Put the tensor at `entry` (a pool list item) to use when no earlier entry was and it
        is a recycled result: an EagerTensor only the pool holds, with no weak reference, over
        an array only it holds, owning its data, still of the output's descr, rank and shape
        (its array then goes into tuple item `out_item`, itself into `pool_item`). A tensor
        only the pool holds but unfit (weakly referenced, changed) leaves the pool (and dies)."""
        b, i64, i32 = self.b, self.i64, self.i32
        tensor = b.load(entry)
        nope, check_value, take = self.block("not_free"), self.block("check_value"), \
            self.block("take")
        evict, unclaimed, claimed = self.block("evict"), self.block("unclaimed"), \
            self.block("claimed")
        free = b.and_(b.icmp_unsigned("==", self.at(tensor, _OB_TYPE),
                                      self.slot(_TENSOR_TYPE, True)),
                      b.icmp_signed("==", self.refcount(tensor), i64(1)))
        b.cbranch(free, check_value, nope)
        b.position_at_end(check_value)
        no_weak = self.is_null(self.at(tensor, self.slot(_WEAK_AT)))
        b.cbranch(self.is_null(b.load(self.item_addr(tup, pool_item))), unclaimed, claimed)
        b.position_at_end(claimed)
        b.cbranch(no_weak, nope, evict)
        b.position_at_end(unclaimed)
        value = self.at(tensor, self.slot(_VALUE_AT))
        go = self.block("check_array")
        b.cbranch(b.and_(no_weak, b.icmp_unsigned("!=", value, self.ptr(None))), go, evict)
        b.position_at_end(go)
        go = self.block("only_ours")
        b.cbranch(b.and_(b.icmp_signed("==", self.refcount(value), i64(1)),
                         b.icmp_unsigned("==", self.at(value, _OB_TYPE),
                                         self.slot(_NDARRAY, True))), go, evict)
        b.position_at_end(go)
        go = self.block("owns_data")
        owns = b.and_(self.at(value, _ARR_FLAGS, i32), i32(_OWNDATA))
        b.cbranch(b.icmp_unsigned("!=", owns, i32(0)), go, evict)
        b.position_at_end(go)
        self.check_array(value, descr, rank, dims_slot, evict)
        b.branch(take)
        b.position_at_end(evict)
        none = self.slot(_NONE, True)
        self.incref(none)
        b.store(none, entry)
        self.decref(tensor)
        b.branch(nope)
        b.position_at_end(take)
        self.incref(value)
        b.store(value, self.item_addr(tup, out_item))
        self.incref(tensor)
        b.store(tensor, self.item_addr(tup, pool_item))
        b.branch(nope)
        b.position_at_end(nope)

    def result(self, tup, at_out, at_pool, k, pool, fail):
        """Output k as an EagerTensor (a new reference): the pooled tensor, its dtype slot set
        again, or a new one, which then enters the pool (the oldest entry leaves)."""
        b, i64 = self.b, self.i64
        array = b.load(self.item_addr(tup, b.add(at_out, k)))
        dtype = self.row(_OUT_TABLE, k, _OUT_ROW, 3, True)
        pooled = b.load(self.item_addr(tup, b.add(at_pool, k)))
        old_block, new_block, after = self.block("reused"), self.block("new"), self.block("have")
        b.cbranch(self.is_null(pooled), new_block, old_block)
        b.position_at_end(old_block)
        self.read_only(array)
        self.incref(pooled)
        self.incref(dtype)
        dtype_addr = b.bitcast(b.gep(pooled, [self.slot(_DTYPE_AT)]), self.ptr.as_pointer())
        old_dtype = b.load(dtype_addr)
        b.store(dtype, dtype_addr)
        self.call("Py_DecRef", old_dtype)  # (Py_XDECREF: a deleted slot is NULL)
        b.branch(after)
        reused_end = b.block
        b.position_at_end(new_block)
        tensor = self.wrap(array, dtype, fail)
        enter, entered = self.block("enter_pool"), self.block("entered")
        b.cbranch(b.icmp_signed("!=", self.row(_OUT_TABLE, k, _OUT_ROW, 4), i64(0)), enter,
                  entered)
        b.position_at_end(enter)
        first = b.mul(k, i64(_POOL_DEPTH))
        oldest = b.load(self.item_addr_of(pool, b.add(first, i64(_POOL_DEPTH - 1))))
        for j in range(_POOL_DEPTH - 1, 0, -1):
            b.store(b.load(self.item_addr_of(pool, b.add(first, i64(j - 1)))),
                    self.item_addr_of(pool, b.add(first, i64(j))))
        self.incref(tensor)
        b.store(tensor, self.item_addr_of(pool, first))
        self.decref(oldest)
        b.branch(entered)
        b.position_at_end(entered)
        b.branch(after)
        new_end = b.block
        b.position_at_end(after)
        out = b.phi(self.ptr)
        out.add_incoming(pooled, reused_end)
        out.add_incoming(tensor, new_end)
        return out

    # -- the warm call ---------------------------------------------------------------------------
    def emit_core(self):
        """agj_core(config, items, n): the warm call on the n argument pointers at `items`."""
        i32, i64, ptr = self.i32, self.i64, self.ptr
        self.fn = fn = ir.Function(self.mod, ir.FunctionType(ptr, [ptr, ptr, i64]),
                                   name="agj_core")
        fn.linkage = "internal"
        self_, items, nargs = fn.args
        self.core = fn
        self.b = b = ir.IRBuilder(fn.append_basic_block("entry"))
        miss, miss_locked = self.block("miss"), self.block("miss_locked")
        error_locked, fail_tup = self.block("error_locked"), self.block("fail_tup")

        self.cfg = self.at(self_, _ARR_DATA)
        n_in, n_out = self.slot(_N_IN), self.slot(_N_OUT)
        n_vars, n_written = self.slot(_N_VARS), self.slot(_N_WRITTEN)
        go = self.block("state")
        b.cbranch(b.icmp_signed("==", nargs, n_in), go, miss)
        b.position_at_end(go)
        tracing = b.load(b.bitcast(self.slot(_TRACING, True), i64.as_pointer()))
        tapes = self.at(self.slot(_TAPES, True), _OB_SIZE, i64)
        go = self.block("lock")
        b.cbranch(b.icmp_signed("==", b.or_(tracing, tapes), i64(0)), go, miss)
        b.position_at_end(go)
        lock = b.bitcast(self.slot(_LOCK, True), i64.as_pointer())
        got = b.extract_value(b.cmpxchg(lock, i64(0), i64(1), "acquire", "monotonic"), 1)
        go = self.block("alloc")
        b.cbranch(got, go, miss)
        b.position_at_end(go)
        # the entry's tuple: inputs, outputs, variable values, new buffers, extras
        at_out = n_in
        at_var = b.add(at_out, n_out)
        at_new = b.add(at_var, n_vars)
        at_extra = b.add(at_new, n_written)
        at_pool = b.add(at_extra, self.slot(_N_EXTRA))  # (past what the entry reads)
        tup = self.call("PyTuple_New", b.add(at_pool, n_out))
        go = self.block("inputs")
        b.cbranch(self.is_null(tup), error_locked, go)
        b.position_at_end(go)
        pool_size = self.at(self.slot(_POOL, True), _OB_SIZE, i64)
        go = self.block("pool_ok")
        b.cbranch(b.icmp_signed("==", pool_size, b.mul(n_out, i64(_POOL_DEPTH))), go,
                  miss_locked)
        b.position_at_end(go)

        def take(owner, into, descr, rank, dims_slot, tensor=False):
            """`owner._value` into tuple slot `into`, checked; a miss if absent or unfit. An
            EagerTensor's slot is read directly (a new reference, as GetAttr's)."""
            if tensor:
                value = b.load(b.bitcast(b.gep(owner, [self.slot(_VALUE_AT)]),
                                         ptr.as_pointer()))
                got_it = self.block("got_value")
                b.cbranch(self.is_null(value), miss_locked, got_it)
                b.position_at_end(got_it)
                self.incref(value)
            else:
                value = self.call("PyObject_GetAttr", owner, self.slot(_NAME_VALUE, True))
                got_it, none = self.block("got_value"), self.block("no_value")
                b.cbranch(self.is_null(value), none, got_it)
                b.position_at_end(none)
                self.call("PyErr_Clear")
                b.branch(miss_locked)
                b.position_at_end(got_it)
            b.store(value, self.item_addr(tup, into))  # the tuple owns it now
            self.check_array(value, descr, rank, dims_slot, miss_locked)

        def one_input(k):
            arg = b.load(b.gep(b.bitcast(items, ptr.as_pointer()), [k]))
            go = self.block("is_tensor")
            b.cbranch(b.icmp_unsigned("==", self.at(arg, _OB_TYPE), self.slot(_TENSOR_TYPE, True)),
                      go, miss_locked)
            b.position_at_end(go)
            take(arg, k, self.row(_IN_TABLE, k, _IN_ROW, 0, True),
                 self.row(_IN_TABLE, k, _IN_ROW, 1), self.row(_IN_TABLE, k, _IN_ROW, 2), True)
        self.loop("input", n_in, one_input)

        def one_variable(k):
            take(self.row(_VAR_TABLE, k, _VAR_ROW, 3, True), b.add(at_var, k),
                 self.row(_VAR_TABLE, k, _VAR_ROW, 0, True), self.row(_VAR_TABLE, k, _VAR_ROW, 1),
                 self.row(_VAR_TABLE, k, _VAR_ROW, 2))
        self.loop("variable", n_vars, one_variable)

        def fresh_arrays(name, table, width, count, first_item):
            """PyArray_Empty for each row of `table` into tuple items first_item + k."""
            def one(k):
                out = self.new_array(self.row(table, k, width, 0, True),
                                     self.row(table, k, width, 1),
                                     self.row(table, k, width, 2), error_locked)
                b.store(out, self.item_addr(tup, b.add(first_item, k)))
            self.loop(name, count, one)

        pool = self.at(self.slot(_POOL, True), _LIST_ITEMS)  # its ob_size was checked above

        def one_output(k):
            """A recycled result (its tensor into tuple item at_pool + k), else a new array."""
            descr = self.row(_OUT_TABLE, k, _OUT_ROW, 0, True)
            rank, dims = self.row(_OUT_TABLE, k, _OUT_ROW, 1), self.row(_OUT_TABLE, k, _OUT_ROW, 2)
            fresh, stored = self.block("fresh"), self.block("stored")
            go = self.block("pooled")
            b.cbranch(b.icmp_signed("!=", self.row(_OUT_TABLE, k, _OUT_ROW, 4), i64(0)), go,
                      fresh)
            b.position_at_end(go)
            for j in range(_POOL_DEPTH):
                self.reuse(self.item_addr_of(pool, b.add(b.mul(k, i64(_POOL_DEPTH)), i64(j))),
                           descr, rank, dims, tup, b.add(at_out, k), b.add(at_pool, k))
            b.cbranch(self.is_null(b.load(self.item_addr(tup, b.add(at_pool, k)))), fresh,
                      stored)
            b.position_at_end(fresh)
            out = self.new_array(descr, rank, dims, error_locked)
            b.store(out, self.item_addr(tup, b.add(at_out, k)))
            b.branch(stored)
            b.position_at_end(stored)
        self.loop("output", n_out, one_output)
        fresh_arrays("new_buffer", _WRITTEN_TABLE, _VAR_ROW, n_written, at_new)

        def one_extra(k):
            extra = self.slot(b.add(self.slot(_EXTRA_TABLE), k), True)
            self.incref(extra)
            b.store(extra, self.item_addr(tup, b.add(at_extra, k)))
        self.loop("extra", self.slot(_N_EXTRA), one_extra)

        # the written flags (extra 0) start cleared: the entry sets those it wrote
        flags = self.at(self.slot(self.slot(_EXTRA_TABLE), True), _ARR_DATA)
        self.loop("clear_flag", n_written,
                  lambda k: b.store(ir.Constant(self.i8, 0), b.gep(flags, [k])))

        entry = b.bitcast(self.slot(_ENTRY, True), ir.FunctionType(i32, [ptr]).as_pointer())
        released, held, ran = self.block("released"), self.block("held"), self.block("ran")
        mode = self.slot(_RELEASE_GIL)
        short = b.icmp_unsigned("<", self.slot(_LAST_TICKS), i64(SHORT_TICKS))
        hold = b.or_(b.icmp_signed("==", mode, i64(HOLD_GIL)),
                     b.and_(b.icmp_signed("==", mode, i64(ADAPTIVE_GIL)), short))
        clock = ir.Function(self.mod, ir.FunctionType(i64, []), name="llvm.readcyclecounter") \
            if "llvm.readcyclecounter" not in self.mod.globals \
            else self.mod.globals["llvm.readcyclecounter"]
        start = b.call(clock, [])
        b.cbranch(hold, held, released)
        b.position_at_end(released)
        # a call that writes variables counts itself while it runs without the GIL, in both
        # words of the tracing counter (changed only with the GIL held): [0] sends every other
        # native call to the ordinary path, [1] makes that path's writers wait for it
        # (variable_locks.py); it installs the new values before it lets go of the GIL again
        counter = b.bitcast(self.slot(_TRACING, True), i64.as_pointer())
        flying = b.gep(counter, [i64(1)])
        writes = b.zext(b.icmp_signed(">", n_written, i64(0)), i64)
        for word in (counter, flying):
            b.store(b.add(b.load(word), writes), word)
        state = self.call("PyEval_SaveThread")
        status_released = b.call(entry, [tup])
        self.call("PyEval_RestoreThread", state)
        for word in (counter, flying):
            b.store(b.sub(b.load(word), writes), word)
        b.branch(ran)
        b.position_at_end(held)  # a brief call: releasing the GIL would cost more
        status_held = b.call(entry, [tup])
        b.branch(ran)
        b.position_at_end(ran)
        status = b.phi(i32)
        status.add_incoming(status_released, released)
        status.add_incoming(status_held, held)
        b.store(b.sub(b.call(clock, []), start), self.slot_addr(_LAST_TICKS))
        done, failed = self.block("done"), self.block("failed")
        b.cbranch(b.icmp_signed("==", status, i32(0)), done, failed)

        # a status: Python raises its error (NULL back); anything else means "slow path"
        b.position_at_end(failed)
        b.store(b.sext(status, i64), self.slot_addr(_STATUS))
        answer = self.call("PyObject_CallNoArgs", self.slot(_ON_STATUS, True))
        retry = self.block("retry")
        b.cbranch(self.is_null(answer), error_locked, retry)
        b.position_at_end(retry)
        self.decref(answer)
        b.branch(miss_locked)

        # success: install the written variables' new buffers, then unlock and wrap
        b.position_at_end(done)

        def install(k):
            written = b.load(b.gep(flags, [k]))
            yes, after = self.block("install"), self.block("installed")
            b.cbranch(b.icmp_unsigned("!=", written, ir.Constant(self.i8, 0)), yes, after)
            b.position_at_end(yes)
            buf = b.load(self.item_addr(tup, b.add(at_new, k)))
            self.read_only(buf)
            var = self.row(_WRITTEN_TABLE, k, _VAR_ROW, 3, True)
            r = self.call("PyObject_SetAttr", var, self.slot(_NAME_VALUE, True), buf)
            b.cbranch(b.icmp_signed("==", r, i32(0)), after, error_locked)
            b.position_at_end(after)
        self.loop("install", n_written, install)
        b.store_atomic(i64(0), lock, "release", 8)
        single, multi = self.block("single"), self.block("multi")
        b.cbranch(b.icmp_signed("!=", self.slot(_SINGLE), i64(0)), single, multi)

        b.position_at_end(single)
        result = self.result(tup, at_out, at_pool, i64(0), pool, fail_tup)
        self.decref(tup)
        b.ret(result)

        b.position_at_end(multi)
        res = self.call("PyTuple_New", n_out)
        go, fail_res = self.block("multi_wrap"), self.block("fail_res")
        b.cbranch(self.is_null(res), fail_tup, go)
        b.position_at_end(go)

        def one_result(k):
            tensor = self.result(tup, at_out, at_pool, k, pool, fail_res)
            b.store(tensor, self.item_addr(res, k))
        self.loop("result", n_out, one_result)
        self.decref(tup)
        b.ret(res)
        b.position_at_end(fail_res)
        self.decref(res)
        b.branch(fail_tup)

        b.position_at_end(fail_tup)  # unlocked, an exception set: drop the tuple (or NULL)
        self.call("Py_DecRef", tup)
        b.ret(ptr(None))
        b.position_at_end(error_locked)
        b.store_atomic(i64(0), lock, "release", 8)
        b.branch(fail_tup)
        b.position_at_end(miss_locked)
        b.store_atomic(i64(0), lock, "release", 8)
        self.decref(tup)
        b.branch(miss)
        b.position_at_end(miss)
        sentinel = self.slot(_MISS, True)
        self.incref(sentinel)
        b.ret(sentinel)

    def glob(self, index, as_ptr=True):
        """Word `index` of agj_globals."""
        v = self.b.load(self.b.gep(self.globals, [self.i32(0), self.i32(index)]))
        return self.b.inttoptr(v, self.ptr) if as_ptr else v

    def emit_fast(self):
        """agj_fast(config, args) (METH_O): the warm call on a tuple of arguments."""
        ptr = self.ptr
        self.fn = fn = ir.Function(self.mod, ir.FunctionType(ptr, [ptr, ptr]), name="agj_fast")
        self_, args = fn.args
        self.b = b = ir.IRBuilder(fn.append_basic_block("entry"))
        go, miss = self.block("tuple"), self.block("miss")
        b.cbranch(b.icmp_unsigned("==", self.at(args, _OB_TYPE), self.glob(_G_TUPLE)), go, miss)
        b.position_at_end(go)
        b.ret(b.call(self.core, [self_, b.gep(args, [self.i64(_TUPLE_ITEMS)]),
                                 self.at(args, _OB_SIZE, self.i64)]))
        b.position_at_end(miss)
        sentinel = self.glob(_G_MISS)
        self.incref(sentinel)
        b.ret(sentinel)

    def emit_dispatch(self):
        """agj_dispatch(function, args, nargs, kwnames) (METH_FASTCALL | METH_KEYWORDS), the
        `__call__` of tf.function's class: the warm call of the builtin in the function's
        `_native` slot, when there is one, no keyword is given and functions do not run
        eagerly; otherwise, or when it misses, the Python call `slow(function, *args, **kw)`."""
        i64, ptr = self.i64, self.ptr
        self.fn = fn = ir.Function(self.mod, ir.FunctionType(ptr, [ptr, ptr, i64, ptr]),
                                   name="agj_dispatch")
        function, args, nargs, kwnames = fn.args
        self.b = b = ir.IRBuilder(fn.append_basic_block("entry"))
        slow = self.block("slow")

        def require(cond, name):
            go = self.block(name)
            b.cbranch(cond, go, slow)
            b.position_at_end(go)
        require(self.is_null(kwnames), "no_keywords")
        # state[key] is False: known while the config dict has the version it had when it was
        version = self.at(self.glob(_G_STATE), _DICT_VERSION, i64)
        known, look = self.block("known"), self.block("look")
        b.cbranch(b.icmp_unsigned("==", version, self.glob(_G_STATE_VERSION, False)), known,
                  look)
        b.position_at_end(look)
        eager = self.call("PyDict_GetItem", self.glob(_G_STATE), self.glob(_G_KEY))
        require(b.icmp_unsigned("==", eager, self.glob(_G_FALSE)), "compiled")
        b.store(version, b.gep(self.globals, [self.i32(0), self.i32(_G_STATE_VERSION)]))
        b.branch(known)
        b.position_at_end(known)
        native = self.at(function, self.glob(_G_SLOT, False))
        require(b.icmp_unsigned("!=", native, ptr(None)), "has_native")
        require(b.icmp_unsigned("==", self.at(native, _OB_TYPE), self.glob(_G_CFUNCTION)),
                "is_builtin")
        require(b.icmp_unsigned("==", self.at(native, _CF_ML), self.glob(_G_FAST_DEF)),
                "is_warm_call")
        self.incref(native)  # (Python code run by the call may replace the slot)
        result = b.call(self.core, [self.at(native, _CF_SELF), args, nargs])
        self.decref(native)
        done, missed = self.block("done"), self.block("missed")
        b.cbranch(b.icmp_unsigned("==", result, self.glob(_G_MISS)), missed, done)
        b.position_at_end(done)
        b.ret(result)
        b.position_at_end(missed)
        self.decref(result)
        b.branch(slow)

        b.position_at_end(slow)  # slow(function, *args, **dict(zip(kwnames, args[nargs:])))
        with_kw, count = self.block("with_keywords"), self.block("count")
        b.cbranch(self.is_null(kwnames), count, with_kw)
        b.position_at_end(with_kw)
        with_n_kw = b.add(nargs, self.at(kwnames, _OB_SIZE, i64))
        b.branch(count)
        b.position_at_end(count)
        total = b.phi(i64)
        total.add_incoming(nargs, slow)
        total.add_incoming(with_n_kw, with_kw)
        # [function, *args, *keyword values]: on the stack, or the heap for many arguments
        with self.b.goto_entry_block():
            small = b.alloca(ptr, i64(_STACK_ARGS + 1))
        heap, have = self.block("heap"), self.block("have_array")
        few = b.icmp_unsigned("<=", total, i64(_STACK_ARGS))
        b.cbranch(few, have, heap)
        b.position_at_end(heap)
        big = self.call("PyMem_Malloc", b.mul(b.add(total, i64(1)), i64(8)))
        no_memory, got_memory = self.block("no_memory"), self.block("got_memory")
        b.cbranch(self.is_null(big), no_memory, got_memory)
        b.position_at_end(no_memory)
        b.ret(self.call("PyErr_NoMemory"))
        b.position_at_end(got_memory)
        big = b.bitcast(big, ptr.as_pointer())
        b.branch(have)
        b.position_at_end(have)
        stack = b.phi(ptr.as_pointer())
        stack.add_incoming(small, count)
        stack.add_incoming(big, got_memory)
        b.store(function, stack)
        items = b.bitcast(args, ptr.as_pointer())
        self.loop("copy_arg", total, lambda k: b.store(b.load(b.gep(items, [k])),
                                                       b.gep(stack, [b.add(k, i64(1))])))
        result = self.call("PyObject_Vectorcall", self.glob(_G_SLOW), b.bitcast(stack, ptr),
                           b.add(nargs, i64(1)), kwnames)
        free, done = self.block("free"), self.block("called")
        b.cbranch(few, done, free)
        b.position_at_end(free)
        self.call("PyMem_Free", b.bitcast(stack, ptr))
        b.branch(done)
        b.position_at_end(done)
        b.ret(result)

    def emit_globals_getter(self):
        """agj_globals_at() -> the address of agj_globals (filled in by _Setup)."""
        fn = ir.Function(self.mod, ir.FunctionType(self.ptr, []), name="agj_globals_at")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        b.ret(b.bitcast(self.globals, self.ptr))

    def emit_trylock(self):
        """agj_trylock(word array, NULL) -> bool: the Python side of the same lock."""
        i64 = self.i64
        self.fn = fn = ir.Function(self.mod, ir.FunctionType(self.ptr, [self.ptr, self.ptr]),
                                   name="agj_trylock")
        self.b = b = ir.IRBuilder(fn.append_basic_block("entry"))
        word = b.bitcast(self.at(fn.args[0], _ARR_DATA), i64.as_pointer())
        got = b.extract_value(b.cmpxchg(word, i64(0), i64(1), "acquire", "monotonic"), 1)
        b.ret(self.call("PyBool_FromLong", b.zext(got, i64)))


def _trampoline_ir():
    e = _Emitter()
    e.emit_core()
    e.emit_fast()
    e.emit_dispatch()
    e.emit_globals_getter()
    e.emit_trylock()
    return e.mod


METH_NOARGS, METH_FASTCALL, METH_KEYWORDS = 0x0004, 0x0080, 0x0002


class _Setup:
    """Process-wide pieces: the trampoline's address, PyArray_Empty, the method definition."""

    def __init__(self):
        import llvmlite.binding as llvm
        _check_layout()
        api = ctypes.pythonapi
        for name in _PY_API:
            llvm.add_symbol(name, ctypes.cast(getattr(api, name), ctypes.c_void_p).value)
        self.empty = _array_empty_address()
        # (the IR text is kept in the disk cache under the compiler's source stamp: building it
        # with llvmlite.ir costs tens of ms, every process)
        table = resident.install("native warm call", lambda: str(_trampoline_ir()),
                                 ["agj_fast", "agj_trylock", "agj_dispatch", "agj_globals_at"],
                                 stamp=lowering_cache.source_digest())
        # method definitions live as long as the process (builtins point at them)
        self.method = _MethodDef(b"agj_fast", table["agj_fast"], METH_O, None)
        self.dispatch_method = _MethodDef(b"__call__", table["agj_dispatch"],
                                          METH_FASTCALL | METH_KEYWORDS, None)
        at = ctypes.CFUNCTYPE(ctypes.c_void_p)(table["agj_globals_at"])()
        self.globals = (ctypes.c_int64 * _G_SIZE).from_address(at)
        self.keep = []  # the objects whose addresses the globals hold
        self.set_global(_G_CFUNCTION, type(len))
        self.set_global(_G_TUPLE, tuple)
        self.set_global(_G_FALSE, False)
        self.globals[_G_FAST_DEF] = ctypes.addressof(self.method)
        self.trylock_method = _MethodDef(b"agj_trylock", table["agj_trylock"], METH_NOARGS,
                                         None)
        new = api.PyCFunction_NewEx
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]
        self.new = new

    def set_global(self, index, obj):
        self.keep.append(obj)
        self.globals[index] = id(obj)

    def use_miss(self, miss):
        """The miss sentinel (one per process: the first caller's)."""
        if not self.globals[_G_MISS]:
            self.set_global(_G_MISS, miss)
        if self.globals[_G_MISS] != id(miss):
            raise RuntimeError("the native warm call has another miss sentinel")


_setup_state = []
_setup_lock = forksafe.Lock()
# The setup costs ~110 ms of CPU when nothing is cached (its IR built with llvmlite.ir, then
# LLVM), and a first call does not need it: the backend's prewarm thread makes it once a call
# has asked for it (`allow_background`: tracing/warm_call.py, after a first call), not beside
# the first compile, and a second call waits for it (`wait_for_background`: a loop of calls
# on the Python path would hold the GIL, and the thread, which takes the GIL back after each
# call into LLVM, would wait a switch interval each time).
_background = []              # the threads that will make it (codegen.prewarm's), if any
_background_go = threading.Event()


def _setup():
    with _setup_lock:
        if not _setup_state:
            try:
                _setup_state.append(_Setup())
            except Exception:  # an unusual build: keep the Python fast path
                _setup_state.append(None)
    return _setup_state[0]


def prepare():
    """Do the one-time setup now."""
    _setup()


def make_in_background(thread):
    """`thread` will call `prepare_in_background()`: until it has, `setup_pending()` is True."""
    _background.append(thread)


def allow_background():
    """Let the background thread make the setup now (a call asked for the native warm call,
    or someone waits for the thread)."""
    _background_go.set()


def background_allowed():
    """Whether `allow_background()` was called."""
    return _background_go.is_set()


def wait_for_background():
    """Let the background threads make the setup and wait until they end (the setup is their
    last piece); returns the setup (None: unavailable)."""
    _background_go.set()
    for t in list(_background):
        if t is not threading.current_thread():
            t.join()
    return _setup()


def prepare_in_background(skip):
    """In the background thread: wait until `allow_background()`, then make the setup unless
    `skip()` (the interpreter is ending) says not to."""
    _background_go.wait()
    if not skip():
        _setup()


def setup_pending():
    """Whether the setup is not made yet and a background thread is still going to make it:
    callers that should not wait for it take the Python path meanwhile."""
    return not _setup_state and any(t.is_alive() for t in _background)


def setup_if_made():
    """The setup when it is made (None when it failed or is unavailable); else, when a
    background thread is making it, False without waiting; else made now."""
    if setup_pending():
        return False
    return _setup()


def _check_layout():
    """The offsets the machine code reads, checked on live objects (raises when one differs)."""
    read_i64 = lambda addr: ctypes.c_int64.from_address(addr).value
    read_i32 = lambda addr: ctypes.c_int32.from_address(addr).value
    t, lst = (1.0, 2.0, 3.0), [1, 2]
    a = np.zeros((2, 3), np.float32)[:, :2]
    checks = [
        read_i64(id(t) + _OB_SIZE) == 3, read_i64(id(lst) + _OB_SIZE) == 2,
        read_i64(id(t) + _TUPLE_ITEMS + 8) == id(t[1]), read_i64(id(a) + _OB_TYPE) == id(np.ndarray),
        read_i64(id(a) + _ARR_DATA) == a.ctypes.data, read_i32(id(a) + _ARR_ND) == 2,
        read_i64(read_i64(id(a) + _ARR_DIMS) + 8) == 2, read_i64(id(a) + _ARR_DESCR) == id(a.dtype),
        read_i32(id(a) + _ARR_FLAGS) & _C_CONTIGUOUS == 0,
        read_i32(id(a.base) + _ARR_FLAGS) & (_C_CONTIGUOUS | _ALIGNED | _WRITEABLE) ==
        (_C_CONTIGUOUS | _ALIGNED | _WRITEABLE),
        read_i32(id(a.base) + _ARR_FLAGS) & _OWNDATA == _OWNDATA,
        read_i32(id(a) + _ARR_FLAGS) & _OWNDATA == 0,
        read_i64(read_i64(id(lst) + _LIST_ITEMS) + 8) == id(lst[1]),
        read_i64(id(lst) + _OB_REFCNT) == sys.getrefcount(lst) - 1,
        read_i64(id(len) + _CF_SELF) == id(len.__self__), _dict_version_changes()]
    if not all(checks):
        raise RuntimeError("unexpected CPython/NumPy object layout")


def _dict_version_changes():
    """Whether a dict's version tag (at _DICT_VERSION) changes with every change to it."""
    d = {"k": False}
    seen = [ctypes.c_uint64.from_address(id(d) + _DICT_VERSION).value]
    for change in (lambda: d.__setitem__("k", True), lambda: d.__setitem__("k", False),
                   lambda: d.update(j=1), lambda: d.pop("j")):
        change()
        seen.append(ctypes.c_uint64.from_address(id(d) + _DICT_VERSION).value)
    return len(set(seen)) == len(seen) and 0 not in seen


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


_scratch_words = weakref.WeakValueDictionary()   # id -> live int64[1] words of ScratchLocks


@forksafe.in_child
def _unlock_scratch():
    """A forked child: calls that were running in other threads never finish there."""
    for word in list(_scratch_words.values()):
        word[0] = 0


class ScratchLock:
    """The non-blocking lock over one executable's shared scratch memory (written flags,
    workspace, error record), taken by native warm calls and Python calls alike: `acquire()`
    -> bool, `release()`. `word` is its int64[1], which native calls take too; None while the
    lock is a Python lock (the native pieces are unavailable, or not made yet: `upgrade()`
    switches to the word once they are). A forked child finds it free (runtime/forksafe.py)."""

    def __init__(self):
        self.word = None
        setup = setup_if_made()   # (never waits for the background thread making it)
        if setup:
            self._use_word(setup)
            return
        self._python = lock = forksafe.Lock()
        self.acquire = lambda: lock.acquire(False)
        self.release = lock.release

    def _use_word(self, setup):
        word = np.zeros(1, np.int64)
        _scratch_words[id(word)] = word
        self.release = self._release_word
        self.acquire = setup.new(ctypes.addressof(setup.trylock_method), word, None)
        self.word = word

    def _release_word(self):
        self.word[0] = 0

    def upgrade(self):
        """Switch a Python lock to the native word (so native warm calls can share it): True
        when the lock uses the word now; False while the native pieces are not made (or
        unavailable), or while a call holds the lock (ask again later).

        The Python lock is taken (never waiting) and kept for good: a call that read the old
        `acquire` just before the switch fails to take it and retries or uses private scratch,
        as it does for any busy executable, and no call can be inside it."""
        if self.word is not None:
            return True
        setup = setup_if_made()
        if not setup or not self._python.acquire(False):
            return False
        self._use_word(setup)
        return True


def install_dispatcher(cls, slot, slow, miss, state, key):
    """Make `cls.__call__` the native dispatcher (agj_dispatch); True when done, False when the
    native pieces are unavailable (`cls.__call__` then stays as it is).

    cls: a class whose instances hold their warm call (a builtin from `native_caller`, or
    anything else, which the dispatcher ignores) in the `__slots__` entry `slot`; slow: the
    Python call, `slow(instance, *args, **kwargs)`, for every call the warm call does not
    finish; state, key: `state[key] is False` lets the warm call run (the config dict and its
    "run_eagerly" key: functions run eagerly take the Python call)."""
    setup = _setup()
    if setup is None:
        return False
    with _setup_lock:
        if getattr(cls, "__call__", None).__class__.__name__ == "method_descriptor":
            return True
        try:
            offset = _slot_offset(cls, slot)
        except Exception:
            return False
        setup.use_miss(miss)
        setup.globals[_G_SLOT] = offset
        setup.set_global(_G_SLOW, slow)
        setup.set_global(_G_STATE, state)
        setup.set_global(_G_KEY, key)
        make = ctypes.pythonapi.PyDescr_NewMethod
        make.restype, make.argtypes = ctypes.py_object, [ctypes.py_object, ctypes.c_void_p]
        cls.__call__ = make(cls, ctypes.addressof(setup.dispatch_method))
    return True


def _slot_offset(cls, name):
    """The byte offset of `cls`'s `__slots__` entry `name` in its instances (from the member
    descriptor), checked on a live instance."""
    member = cls.__dict__[name]
    if type(member).__name__ != "member_descriptor":
        raise RuntimeError(f"{cls.__name__}.{name} is not a slot")
    # PyMemberDescrObject: PyDescr_COMMON (40 bytes), then PyMemberDef *; its offset at 16
    definition = ctypes.c_void_p.from_address(id(member) + 40).value
    offset = ctypes.c_int64.from_address(definition + 16).value
    probe, marker = cls.__new__(cls), object()
    member.__set__(probe, marker)
    if not 16 <= offset < type(probe).__basicsize__ or \
            ctypes.c_void_p.from_address(id(probe) + offset).value != id(marker):
        raise RuntimeError(f"cannot locate the slot {cls.__name__}.{name}")
    return offset


def native_caller(exe, out_dtypes, single, tensor_type, tapes, tracing, on_status, miss):
    """A builtin `call(args) -> EagerTensor | tuple | miss` for `exe` (an Executable) and its
    input and variable shapes, or None when the native warm call is unavailable.

    out_dtypes: the DType of each output; single: return the one output itself (else a tuple);
    tapes: the list of active tapes; tracing: the int64[1] tracing counter; on_status: called
    (no arguments) with the lock held after a non-zero status, which `config_status(builtin)`
    reads; it raises, or returns None to send the call to the slow path.
    None too for an executable that writes variables and has host callbacks (Python runs inside
    it, with the GIL let go): it runs on the ordinary path, which holds every variable write
    lock (variable_locks.py)."""
    if exe.written and exe.host_nodes:
        return None
    setup = _setup()
    if setup is None or not exe._lock.upgrade():
        return None
    setup.use_miss(miss)
    value_at, dtype_at = _slot_offset(tensor_type, "_value"), _slot_offset(tensor_type, "dtype")
    if not 0 < tensor_type.__weakrefoffset__ < tensor_type.__basicsize__:
        return None
    ins = [(np.dtype(s.dtype.np_dtype), tuple(s.shape)) for s in exe.param_specs]
    outs = [(np.dtype(dt), tuple(shape)) for shape, dt in exe._outs]
    shapes = {id(v): tuple(shape) for v, shape in zip(exe.variables, exe._var_shapes)}
    variables = [(np.dtype(v.dtype.np_dtype), shapes[id(v)], v) for v in exe.variables]
    written = [(np.dtype(v.dtype.np_dtype), shapes[id(v)], v) for v in exe.written]
    extras = [exe._flags, exe._ws, exe._err]
    arrays = ins + outs + [(d, s) for d, s, _ in variables + written]
    size = (_HEADER + _IN_ROW * len(ins) + _OUT_ROW * len(outs)
            + _VAR_ROW * (len(variables) + len(written)) + len(extras)
            + sum(len(shape) for _, shape in arrays))
    cfg = np.zeros(size, np.int64).view(_Config)
    names = ("_value", "dtype")
    pool = [None] * (_POOL_DEPTH * len(outs))  # recycled results, newest first per output
    cfg.keep = [exe, arrays, list(out_dtypes), variables, written, extras, tensor_type, tapes,
                tracing, on_status, names, miss, pool]
    header = {_ENTRY: exe.entry_address, _LOCK: exe._lock.word.ctypes.data,
              _TRACING: tracing.ctypes.data, _TAPES: id(tapes), _TENSOR_TYPE: id(tensor_type),
              _NAME_VALUE: id(names[0]), _NAME_DTYPE: id(names[1]), _MISS: id(miss),
              _EMPTY: setup.empty, _NDARRAY: id(np.ndarray), _ON_STATUS: id(on_status),
              _SINGLE: int(bool(single)), _N_IN: len(ins), _N_OUT: len(outs),
              _N_VARS: len(variables), _N_WRITTEN: len(written), _N_EXTRA: len(extras),
              _RELEASE_GIL: gil_mode(exe), _LAST_TICKS: SHORT_TICKS, _VALUE_AT: value_at, _DTYPE_AT: dtype_at,
              _WEAK_AT: tensor_type.__weakrefoffset__, _POOL: id(pool), _NONE: id(None)}
    at = _HEADER
    tables = [(_IN_TABLE, _IN_ROW, [(d, s, ()) for d, s in ins]),
              (_OUT_TABLE, _OUT_ROW, [(d, s, (id(t), int(_poolable(d, s))))
                                      for (d, s), t in zip(outs, out_dtypes)]),
              (_VAR_TABLE, _VAR_ROW, [(d, s, (id(v),)) for d, s, v in variables]),
              (_WRITTEN_TABLE, _VAR_ROW, [(d, s, (id(v),)) for d, s, v in written])]
    for key, width, rows in tables:
        header[key] = at
        at += width * len(rows)
    header[_EXTRA_TABLE] = at
    for n, obj in enumerate(extras):
        cfg[at + n] = id(obj)
    dims_at = at + len(extras)
    for key, width, rows in tables:
        for n, (descr, shape, rest) in enumerate(rows):
            row = header[key] + width * n
            cfg[row:row + width] = (id(descr), len(shape), dims_at) + rest
            cfg[dims_at:dims_at + len(shape)] = shape
            dims_at += len(shape)
    for key, value in header.items():
        cfg[key] = value
    return setup.new(ctypes.addressof(setup.method), cfg, None)


def _poolable(descr, shape):
    """Whether results of this dtype and shape are recycled: small ones (allocating them costs
    more than computing them), of a plain numeric dtype."""
    return descr.kind in "biufc" and \
        int(np.prod(shape, dtype=np.int64)) * descr.itemsize <= POOL_BYTES


BRIEF_ELEMENTS = 1 << 15


def is_brief(exe):
    """Whether `exe` surely runs for only microseconds: no loop, no host callback, and at most
    BRIEF_ELEMENTS elements in all its values together. Such a call keeps the GIL (releasing
    and taking it back costs more than the kernel, ~0.15 us); any other call releases it, so
    other Python threads run meanwhile."""
    if exe.host_nodes or any(node.op.name == "while_loop" for node in exe.graph.walk()):
        return False
    total = 0
    for spec in exe.specs.values():
        shape = getattr(spec, "shape", None)
        if shape is not None:
            total += int(np.prod(shape, dtype=np.int64))
    return total <= BRIEF_ELEMENTS


def gil_mode(exe):
    """HOLD_GIL for a brief executable (`is_brief`); RELEASE_GIL when it has host callbacks
    (Python runs in them); else ADAPTIVE_GIL: the first call releases the GIL, later ones keep
    it while the previous call took under SHORT_TICKS time-stamp ticks (a short loop, such as
    Collatz(27)'s 111 steps, costs less than releasing and retaking it), so a long call always
    lets other Python threads run, a short one at most for those microseconds."""
    if is_brief(exe):
        return HOLD_GIL
    return RELEASE_GIL if exe.host_nodes else ADAPTIVE_GIL


def config_status(builtin):
    """The status the last failed call stored (read by on_status)."""
    return int(builtin.__self__[_STATUS])
