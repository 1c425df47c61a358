"""TensorArrays grown in native code: the record behind a growable buffer (specialize.py).

A growable value lives in a *record*, a stack slot of the entry function:

    [data pointer, capacity, count, placeholder] : [4 x i64]     (capacity and count in rows)

`data` is heap memory (libc realloc/free, registered with llvmlite here) holding `count` rows of
the static element shape, contiguous. Versions of one TensorArray that specialize.py proved
linear share one record: a write updates it in place, growing the capacity by doubling, and a
loop passes it on untouched; a cond whose branches return different arrays gives its output a
record of its own, into which each branch moves its buffer (`move`) or copies a static array.
`placeholder` is 1 while the array is still the rank-1 placeholder of an array made without an
element shape (its rows are zeros; the first write clears it). Every index is checked against
`count` before memory is touched, with eager's messages.

Ownership: records start empty at entry; the `fail` block of the entry function frees them on
every error; on success they are freed before returning, except the ones that are results, which
are handed to the caller (pointer, capacity, count, placeholder in an int64[4] result slot;
dynamic_exe.py copies the rows into a NumPy array and frees the pointer, exactly once).
"""
import ctypes

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir

from .emit import I1, I8, I64, PTR, View, i64, storage_type
from .k_map import emit_copy, scalar_view_value

DATA, CAP, COUNT, PLACEHOLDER = range(4)
MIN_ROWS = 16
MAX_BYTES = 1 << 46  # refuse (as out of memory) before row arithmetic could overflow
_LIBC = ("realloc", "free")
_installed = []


def install_libc():
    """Register the libc functions grown arrays use with llvmlite (once per process)."""
    if _installed:
        return
    libc = ctypes.CDLL(None)
    for name in _LIBC:
        llvm.add_symbol(name, ctypes.cast(getattr(libc, name), ctypes.c_void_p).value)
    _installed.append(libc)


class GrowRows:
    """What a growable value's rows are (its `elem` shape and `dtype`): both backends' arrays."""
    __slots__ = ()

    @property
    def row_elems(self):
        return int(np.prod(self.elem, dtype=np.int64))

    @property
    def row_bytes(self):
        return self.row_elems * self.dtype.size


class GrowView(GrowRows):
    """A growable value in the entry function: its record and element type."""
    __slots__ = ("rec", "dtype", "elem")

    def __init__(self, rec, dtype, elem):
        self.rec = rec
        self.dtype = dtype
        self.elem = tuple(elem)


def _field(b, rec, k):
    return b.gep(rec, [i64(k)], source_etype=I64, inbounds=True)


def _get(b, gv, k):
    v = b.load(_field(b, gv.rec, k), typ=I64)
    return b.inttoptr(v, PTR) if k == DATA else v


def _set(b, gv, k, value):
    if k == DATA:
        value = b.ptrtoint(value, I64)
    b.store(value, _field(b, gv.rec, k))


def _libc(lw, name, ret, args):
    fn = lw.module.globals.get(name)
    if fn is None:
        fn = ir.Function(lw.module, ir.FunctionType(ret, args), name=name)
    return fn


def _reserve_fn(lw):
    """i1 agj_ta_reserve(ptr rec, i64 rows, i64 row_bytes): capacity >= rows (false: no memory)."""
    fn = lw.module.globals.get("agj_ta_reserve")
    if fn is not None:
        return fn
    install_libc()
    realloc = _libc(lw, "realloc", PTR, [PTR, I64])
    fn = ir.Function(lw.module, ir.FunctionType(I1, [PTR, I64, I64]), name="agj_ta_reserve")
    fn.linkage = "internal"
    rec, rows, row_bytes = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    cap = b.load(_field(b, rec, CAP), typ=I64)
    with b.if_then(b.icmp_signed("<=", rows, cap), likely=True):
        b.ret(ir.Constant(I1, 1))
    limit = b.udiv(i64(MAX_BYTES), b.select(b.icmp_signed(">", row_bytes, i64(0)), row_bytes,
                                            i64(1)))
    with b.if_then(b.icmp_signed(">", rows, limit), likely=False):
        b.ret(ir.Constant(I1, 0))
    twice = b.mul(cap, i64(2))
    new = b.select(b.icmp_signed(">", twice, rows), twice, rows)
    new = b.select(b.icmp_signed(">", new, i64(MIN_ROWS)), new, i64(MIN_ROWS))
    new = b.select(b.icmp_signed(">", new, limit), rows, new)
    nbytes = b.mul(new, row_bytes)
    with b.if_then(b.icmp_signed(">", nbytes, i64(0)), likely=True):
        old = b.inttoptr(b.load(_field(b, rec, DATA), typ=I64), PTR)
        p = b.call(realloc, [old, nbytes])
        with b.if_then(b.icmp_unsigned("==", b.ptrtoint(p, I64), i64(0)), likely=False):
            b.ret(ir.Constant(I1, 0))  # the old block is still owned by the record
        b.store(b.ptrtoint(p, I64), _field(b, rec, DATA))
    b.store(new, _field(b, rec, CAP))
    b.ret(ir.Constant(I1, 1))
    return fn


def _reserve(lw, node, gv, rows):
    ok = lw.b.call(_reserve_fn(lw), [gv.rec, rows, i64(gv.row_bytes)])
    code = lw.errors.code("TensorArray.write: cannot grow the array to {1} elements: out of "
                          "memory", lw.where(node))
    lw.fail_if(lw.b.not_(ok), code, [rows])


def _zero_rows(lw, gv, start, stop):
    """Rows [start, stop) of gv's data = 0."""
    if not gv.row_bytes:
        return
    b = lw.b
    memset = lw.module.declare_intrinsic("llvm.memset", [PTR, I64])
    data = _get(b, gv, DATA)
    at = b.gep(data, [b.mul(start, i64(gv.row_bytes))], source_etype=I8)
    b.call(memset, [at, ir.Constant(I8, 0), b.mul(b.sub(stop, start), i64(gv.row_bytes)),
                    ir.Constant(I1, 0)])


def _row(lw, gv, index):
    data = _get(lw.b, gv, DATA)
    ptr = lw.b.gep(data, [lw.b.mul(index, i64(gv.row_elems))],
                   source_etype=storage_type(gv.dtype))
    return View(ptr, gv.dtype, gv.elem)


def _copy(lw, dst, src, annotation):
    """dst[...] = src; one element is a load and a store in the entry function."""
    if not dst.size:
        return
    if dst.size == 1:
        ty = storage_type(dst.dtype)
        v = lw.b.load(lw.view_ptr(src), typ=ty)
        lw.b.store(v, lw.b.bitcast(lw.view_ptr(dst), ty.as_pointer()))
        return
    emit_copy(lw, dst, src, annotation=annotation)


def _index(lw, view):
    v = scalar_view_value(lw, view)
    return lw.b.sext(v, I64) if v.type != I64 else v


def new_record(lw, dtype, elem):
    """A fresh, empty record (a stack slot zeroed at entry, freed on every exit)."""
    install_libc()
    rec = lw.ab.alloca(I64, size=4)
    for k in range(4):
        lw.ab.store(i64(0), lw.ab.gep(rec, [i64(k)], source_etype=I64))
    lw.records.append(rec)
    return GrowView(rec, dtype, elem)


def create(lw, node, init, elem, placeholder):
    """A record holding the static array `init` (rows of `elem`, or the rank-1 placeholder).
    Lowered inside a loop, the record is refilled each time (its memory is reused)."""
    gv = new_record(lw, init.dtype, elem)
    fill(lw, node, gv, init, placeholder)
    return gv


def fill(lw, node, gv, init, placeholder):
    """gv's rows = the static array `init` (the placeholder: that many zero rows)."""
    n0 = init.shape[0]
    _reserve(lw, node, gv, i64(n0))
    if placeholder:
        if n0:
            _zero_rows(lw, gv, i64(0), i64(n0))
    elif init.size:
        _copy(lw, View(_get(lw.b, gv, DATA), gv.dtype, (n0, *gv.elem)), init, "TensorArray rows")
    _set(lw.b, gv, COUNT, i64(n0))
    _set(lw.b, gv, PLACEHOLDER, i64(int(placeholder)))


def move(lw, dst, src):
    """dst takes src's buffer over (dst's old one is freed; src is left empty): a branch's
    array becomes the cond's output without copying rows."""
    b = lw.b
    b.call(_libc(lw, "free", ir.VoidType(), [PTR]), [_get(b, dst, DATA)])
    for k in (DATA, CAP, COUNT, PLACEHOLDER):
        b.store(b.load(_field(b, src.rec, k), typ=I64), _field(b, dst.rec, k))
    for k in (DATA, CAP, COUNT):
        b.store(i64(0), _field(b, src.rec, k))


def lower_write(lw, node, buf, iv, val, dynamic):
    """tensor_array_write into a record (grown when dynamic), in place; returns the record."""
    b = lw.b
    where = lw.where(node)
    i = _index(lw, iv)
    lw.fail_if(b.icmp_signed("<", i, i64(0)),
               lw.errors.code("TensorArray.write: index {1} is negative", where), [i])
    count = _get(b, buf, COUNT)
    past = b.icmp_signed(">=", i, count)
    if not dynamic:
        lw.fail_if(past, lw.errors.code(
            "TensorArray.write: tried to write to index {1} but the array is not resizeable and "
            "its size is {2}. Fix: tf.TensorArray(..., dynamic_size=True).", where), [i, count])
    else:
        with b.if_then(past, likely=False):
            rows = b.add(i, i64(1))
            _reserve(lw, node, buf, rows)
            _zero_rows(lw, buf, count, i)
            _set(b, buf, COUNT, rows)
    _set(b, buf, PLACEHOLDER, i64(0))
    _copy(lw, _row(lw, buf, i), val, lw.annotate(node))
    return buf


def lower_read(lw, node, buf, iv, out, placeholder):
    """out = row i of a record (placeholder: the array may still lack an element shape)."""
    b = lw.b
    i = _index(lw, iv)
    count = _get(b, buf, COUNT)
    code = lw.errors.code("TensorArray.read: index {1} is out of range for a TensorArray of "
                          "size {2}", lw.where(node))
    lw.fail_if(b.icmp_unsigned(">=", i, count), code, [i, count])
    if placeholder:  # eagerly such a read returns a scalar 0 of the rank-1 placeholder
        code = lw.errors.code("TensorArray.read: element {1} was never written and the array "
                              "has no element shape yet. Fix: tf.TensorArray(..., "
                              "element_shape=...), or write before reading", lw.where(node))
        lw.fail_if(b.icmp_signed("!=", _get(b, buf, PLACEHOLDER), i64(0)), code, [i])
    _copy(lw, out, _row(lw, buf, i), lw.annotate(node))


def lower_shape(lw, buf, out, placeholder):
    """shape (count, *elem) or size count * prod(elem) of a record, into `out` (placeholder:
    the record may still be the rank-1 placeholder, whose size is count; specialize.py lets
    only the row count of its shape be used)."""
    b = lw.b
    count = _get(b, buf, COUNT)
    ty = storage_type(out.dtype)
    base = lw.view_ptr(out)
    if not out.shape:  # size
        n = b.mul(count, i64(buf.row_elems))
        if placeholder:
            still = b.icmp_signed("!=", _get(b, buf, PLACEHOLDER), i64(0))
            n = b.select(still, count, n)
        b.store(b.trunc(n, ty) if ty != I64 else n, b.bitcast(base, ty.as_pointer()))
        return
    vals = [count] + [i64(d) for d in buf.elem]
    for k, v in enumerate(vals):
        at = b.bitcast(b.gep(base, [i64(k)], source_etype=ty), ty.as_pointer())
        b.store(b.trunc(v, ty) if ty != I64 else v, at)


def hand_over(lw, slots):
    """Results: (int64[4] slot pointer, record) pairs get data, capacity, count, placeholder;
    the caller owns those buffers afterwards (the records forget them)."""
    b = lw.b
    for ptr, gv in slots:
        for k in range(4):
            v = b.load(_field(b, gv.rec, k), typ=I64)
            b.store(v, b.gep(ptr, [i64(k)], source_etype=I64))
    for _, gv in slots:
        b.store(i64(0), _field(b, gv.rec, DATA))


def free_records(lw, b):
    free = _libc(lw, "free", ir.VoidType(), [PTR])
    for rec in lw.records:
        b.call(free, [b.inttoptr(b.load(_field(b, rec, DATA), typ=I64), PTR)])


__all__ = ["GrowView", "create", "fill", "move", "lower_write", "lower_read", "lower_shape",
           "hand_over", "free_records", "install_libc"]
