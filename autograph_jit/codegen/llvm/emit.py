"""LLVM IR building blocks for the CPU backend: element types, strided views, counted loops, and
kernel functions.

- `View`: a tensor in memory as the generated code sees it: a base pointer, an element offset,
  element strides and a shape (ints; the leading entry may be a symbolic `Dim`, symdim.py, whose
  size the kernel reads at run time: `Kernel.dim`). Reshape/transpose/slice/broadcast results are views of their
  input (no copy); every kernel reads through strides.
- `Kernel`: one internal LLVM function `i32 k(ptr noalias out..., ptr noalias in..., ptr err)`;
  noalias lets LLVM vectorize without run-time alias checks, and a kernel called once is inlined
  into the entry function. It returns 0, or an error code after filling `err` (bounds, division
  by zero), which the entry function propagates.
"""
import contextlib

import numpy as np
from llvmlite import ir

from .symdim import SYMBOLIC_SLOT, Dim, SymbolicUnsupported, numel

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()
# values of this many bytes or fewer live in registers (allocas), not in the workspace
SMALL_BYTES = 64
F32 = ir.FloatType()
F64 = ir.DoubleType()
F16 = ir.HalfType()

_LL = {"float16": F16, "float32": F32, "float64": F64, "int8": I8, "int16": ir.IntType(16),
       "int32": I32, "int64": I64, "uint8": I8, "bool": I8}


def storage_type(dtype):
    """The in-memory LLVM type of a dtype (bool is one byte, as in NumPy)."""
    return _LL[dtype.name]


def reg_type(dtype):
    """The in-register type (bool is i1)."""
    return I1 if dtype.name == "bool" else _LL[dtype.name]


def i64(v):
    return ir.Constant(I64, int(v))


def i32(v):
    return ir.Constant(I32, int(v))


def contiguous_strides(shape):
    strides, acc = [], 1
    for k in range(len(shape) - 1, -1, -1):
        strides.append(acc)
        if k:  # (the outermost dim, maybe symbolic, never scales a stride)
            acc *= max(int(shape[k]), 1)
    return tuple(reversed(strides))


def _dim(d):
    return d if isinstance(d, Dim) else int(d)


class View:
    """A strided tensor: `ptr` (an LLVM pointer in the entry function, or None for a compile-time
    constant held in `const`), element `offset`, element `strides`, static `shape`."""
    __slots__ = ("ptr", "dtype", "shape", "strides", "offset", "root")

    def __init__(self, ptr, dtype, shape, strides=None, offset=0, root=None):
        self.ptr = ptr
        self.dtype = dtype
        self.shape = tuple(_dim(d) for d in shape)
        self.strides = tuple(strides) if strides is not None else contiguous_strides(self.shape)
        self.offset = int(offset)
        self.root = root if root is not None else id(self)  # the storage it lives in

    @property
    def size(self):
        """Elements: an int, or a Dim for a symbolic shape."""
        return numel(self.shape)

    @property
    def is_contiguous(self):
        return self.strides == contiguous_strides(self.shape) or (
            not isinstance(self.size, Dim) and self.size <= 1)

    def with_layout(self, shape, strides, offset):
        return View(self.ptr, self.dtype, shape, strides, offset, self.root)

    def broadcast_strides(self, out_shape):
        """Element strides indexing this view by an index of the broadcast `out_shape`."""
        lead = len(out_shape) - len(self.shape)
        out = [0] * lead
        for d, s in zip(self.shape, self.strides):
            out.append(0 if d == 1 else s)
        return tuple(out)


def collapse(shape, stride_lists):
    """Merge adjacent dimensions that are contiguous for every operand (fewer, longer loops)."""
    dims = [(_dim(d), [s[i] for s in stride_lists]) for i, d in enumerate(shape) if d != 1]
    if not dims:
        return (), [() for _ in stride_lists]
    merged = [dims[0]]
    for d, ss in dims[1:]:
        pd, pss = merged[-1]
        if all(ps == s * d for ps, s in zip(pss, ss)):
            merged[-1] = (pd * d, ss)
        else:
            merged.append((d, ss))
    out_shape = tuple(d for d, _ in merged)
    out_strides = [tuple(ss[k] for _, ss in merged) for k in range(len(stride_lists))]
    return out_shape, out_strides


SHORT_TRIP = 16
"""A counted loop of at most this many iterations, known when the kernel is built, is not
vectorized (its back edge carries `llvm.loop.vectorize.enable false`): a vector body, a
remainder loop and their checks for ~2 vectors of work cost LLVM more to optimize and emit than
they save at run time (the 10-class softmax cross-entropy kernels of a training step: ~55 -> ~25
ms of compile CPU). A sum over such a loop then adds in index order."""


class LoopID(ir.values.MDValue):
    """A distinct, self-referencing loop-ID node `!n = distinct !{!n, props...}` (LLVM reads
    llvm.loop properties only from such a node; llvmlite's add_metadata cannot make one).
    One per loop: LLVM writes its own marks (llvm.loop.isvectorized) into the node."""

    def descr(self, buf):
        ops = ", ".join([self.get_reference()] + [o.get_reference() for o in self.operands])
        buf += (f"distinct !{{{ops}}}", "\n")


def loop_id(module, name, value):
    """A new loop-ID node with the one property `!{!"name", value}` (an ir.Constant)."""
    prop = module.add_metadata([ir.MetaDataString(module, name), value])
    return LoopID(module, [prop], name=str(len(module.metadata)))


def lanes_short(n):
    """The `short` for Loops.range over `n` independent lanes (channels, columns): a known n
    that is a whole number of 8-wide vectors vectorizes (no remainder loop, so little compile
    cost: a 16-channel conv's copies and scatters), any other as SHORT_TRIP says."""
    return 7 if isinstance(n, int) and n % 8 == 0 else SHORT_TRIP


class Loops:
    """Counted loops on an IRBuilder: bottom-tested, so LLVM sees rotated loops it vectorizes
    (all but the short ones: SHORT_TRIP)."""

    def __init__(self, builder, dim=None):
        self.b = builder
        self.dim = dim  # Dim -> i64 value (Kernel.dim); None where no symbolic dim may appear

    def range(self, n, body, name="i", short=SHORT_TRIP):
        """for i in range(n): body(i). `n` is an int, a Dim, or an i64 value; a known `n` of at
        most `short` iterations is not vectorized (SHORT_TRIP)."""
        b = self.b
        if isinstance(n, Dim):
            if self.dim is None:
                raise SymbolicUnsupported("a symbolic loop bound in an outlined function")
            n = self.dim(n)
        if isinstance(n, (int, np.integer)):
            n = int(n)
            if n <= 0:
                return
            count = i64(n)
        else:
            count = n
        pre = b.block
        loop = b.append_basic_block(name + ".body")
        done = b.append_basic_block(name + ".done")
        if isinstance(n, int):
            b.branch(loop)
        else:
            b.cbranch(b.icmp_signed(">", count, i64(0)), loop, done)
        b.position_at_end(loop)
        i = b.phi(I64, name=name)
        i.add_incoming(i64(0), pre)
        body(i)
        nxt = b.add(i, i64(1), name=name + ".next", flags=["nuw", "nsw"])
        i.add_incoming(nxt, b.block)
        back = b.cbranch(b.icmp_signed("<", nxt, count), loop, done)
        if isinstance(n, int) and n <= short:
            back.set_metadata("llvm.loop", loop_id(b.module, "llvm.loop.vectorize.enable",
                                                   ir.Constant(I1, 0)))
        b.position_at_end(done)

    def nest(self, shape, body, name="d", short=None):
        """Loops over every index of `shape` (row-major); body(list of i64 indices). `short`:
        the innermost loop's (range's), when not SHORT_TRIP."""
        idx = []

        def level(k):
            if k == len(shape):
                body(list(idx))
                return

            def inner(i):
                idx.append(i)
                level(k + 1)
                idx.pop()
            innermost = k == len(shape) - 1 and short is not None
            self.range(_dim(shape[k]), inner, name=f"{name}{k}",
                       short=short if innermost else SHORT_TRIP)
        level(0)


def bind_tokens(lw, node):
    """Bind `node`'s effect-token outputs (ordering only: no data, no buffer) to None in the
    lowerer's views, as both backends' lowerings of effectful ops do after their data outputs."""
    for v in node.outputs:
        if v.is_token:
            lw.views[v.id] = None


def store_error(b, err, code, values=(), first_wins=False):
    """Write an error record: `code` into err[0], then `values` (integers or floats, as int64)
    into err[1..]. The CPU's Kernel.fail and the GPU's GpuKernel.fail write it before leaving
    the kernel. `first_wins` (the GPU: many threads, and later launches of a host-driven loop):
    err[0] is set by a compare-and-swap from 0, and only its winner writes the values, so the
    first error of a call is the one reported, as the CPU backend stops at its first.

    Example:
        with b.if_then(bad, likely=False):
            store_error(b, k.err, code, [label, i64(n)]); b.ret(i32(code))
    """
    head = b.gep(err, [i64(0)], source_etype=I64)
    if first_wins:
        won = b.extract_value(b.cmpxchg(head, i64(0), i64(code), "monotonic", "monotonic"), 1)
    else:
        b.store(i64(code), head)
        won = None
    with (b.if_then(won) if won is not None else contextlib.nullcontext()):
        for k, v in enumerate(values):
            if v.type != I64:
                v = b.sext(v, I64) if isinstance(v.type, ir.IntType) else b.fptosi(v, I64)
            b.store(v, b.gep(err, [i64(k + 1)], source_etype=I64))


class Kernel:
    """An internal function over pointer arguments; `ptrs[i]` is argument i inside it, then
    `n_ints` i64 arguments (`ints`: sizes a kernel shared by several nodes takes per call,
    k_map.py), then the error record."""

    def __init__(self, module, name, n_ptrs, annotation="", n_ints=0):
        fnty = ir.FunctionType(I32, [PTR] * n_ptrs + [I64] * n_ints + [PTR])
        self.fn = ir.Function(module, fnty, name=name)
        self.fn.linkage = "internal"
        for a in self.fn.args[:n_ptrs]:
            a.add_attribute("noalias")
        self.ptrs = list(self.fn.args[:n_ptrs])
        self.ints = list(self.fn.args[n_ptrs:n_ptrs + n_ints])
        self.err = self.fn.args[-1]
        entry = self.fn.append_basic_block("entry")
        start = self.fn.append_basic_block("start")
        self._ab = ir.IRBuilder(entry)
        self._ab.position_before(self._ab.branch(start))  # stack slots go before this branch
        self.b = ir.IRBuilder(start)
        self.loops = Loops(self.b, self.dim)
        self.annotation = annotation
        self._n = None

    def dim(self, d):
        """An i64 value for an int or a Dim (n read from err[SYMBOLIC_SLOT] at entry)."""
        if not isinstance(d, Dim):
            return i64(d)
        if self._n is None:
            self._n = self._ab.load(self._ab.gep(self.err, [i64(SYMBOLIC_SLOT)],
                                                 source_etype=I64), typ=I64)
        return self._n if d.coef == 1 else self._ab.mul(self._n, i64(d.coef), flags=["nsw"])

    def alloca(self, ty):
        """A stack slot in the entry block (never inside a loop)."""
        return self._ab.alloca(ty)

    def finish(self):
        if not self.b.block.is_terminated:
            self.b.ret(i32(0))
        return self.fn

    # -- memory --------------------------------------------------------------------------------
    def addr(self, ptr, dtype, linear):
        return self.b.gep(ptr, [linear], source_etype=storage_type(dtype), inbounds=True)

    def linear(self, offset, strides, idx):
        b = self.b
        acc = i64(offset)
        for s, i in zip(strides, idx):
            if s == 0:
                continue
            term = i if s == 1 else b.mul(i, i64(s), flags=["nsw"])
            acc = term if (isinstance(acc, ir.Constant) and acc.constant == 0) else \
                b.add(acc, term, flags=["nsw"])
        return acc

    def load(self, ptr, dtype, linear):
        v = self.b.load(self.addr(ptr, dtype, linear), typ=storage_type(dtype))
        if dtype.name == "bool":
            return self.b.icmp_unsigned("!=", v, ir.Constant(I8, 0))
        return v

    def store(self, value, ptr, dtype, linear):
        if dtype.name == "bool":
            value = self.b.zext(value, I8)
        self.b.store(value, self.addr(ptr, dtype, linear))

    def fail(self, cond, code, values=()):
        """If `cond` (i1): write code and values into err[0..] and return code."""
        b = self.b
        with b.if_then(cond, likely=False):
            store_error(b, self.err, code, values)
            b.ret(i32(code))
