"""Random ops in compiled code: Philox-4x32-10 in LLVM IR, drawing exactly the interpreter's stream.

The stream state (the next unused counter of each (global seed, op seed) key) stays where eager
mode keeps it, in `runtime/rng.py`: each draw calls `agj_rng_take(seed, seed2, n_blocks)` once —
a tiny ctypes callback that reserves the counters under rng's lock — then generates every number
natively from those counters. So compiled code, eager ops and the interpreter share one sequence:
`tf.random.set_seed` restarts it for all of them, and a function called twice draws fresh numbers
in the same order as eager. Conversions follow rng.py bit for bit:

- uniform float32: 23 random bits on exponent 0 give [1, 2), minus 1 (one 32-bit word a value);
- uniform float64 / ints: 64-bit values from two words (hi, lo); floats keep the top 52 bits,
  ints are `minval + wide % (maxval - minval)`;
- normal: Box-Muller in float64 on the two float64 uniforms of one block (libm log/cos/sin, so
  within a few ULP of NumPy), then cast; truncated normal redraws values beyond 2 stddev from
  the next counters, in index order, until none is left.

- shuffle: one 64-bit key a row, a stable LSD radix sort of the keys (NumPy's stable argsort),
  then a gather of rows.
float16 draws stay on the host callback.
"""
import ctypes
import math

import numpy as np
from llvmlite import ir
import llvmlite.binding as llvm

from ...runtime import rng as _rng, cpu_engine
from .emit import F32, F64, I32, I64, Kernel, bind_tokens, i64
from .k_array import NotLowerable
from ... import dtypes

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_TAKE_NAME = "agj_rng_take"
_TINY = float(np.finfo(np.float64).tiny)
_FLOATS = ("float32", "float64")
_LIBM = ("log", "cos", "sin")


def _take(seed, seed2, n_blocks):
    return _rng.take_counters((int(seed), int(seed2)), int(n_blocks))


_TAKE_TYPE = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint64)
_take_cb = _TAKE_TYPE(_take)  # kept alive for the process: compiled code calls it


def _check_seeds(node):
    if not all(0 <= int(node.attrs[a]) < 2 ** 32 for a in ("seed", "seed2")):
        raise NotLowerable("a seed outside [0, 2**32) (the interpreter reports it)")


def _register():
    """Make `agj_rng_take` and libm's log/cos/sin resolvable by the JIT (idempotent)."""
    cpu_engine.host_info()  # loads libm into the JIT's symbol space
    llvm.add_symbol(_TAKE_NAME, ctypes.cast(_take_cb, ctypes.c_void_p).value)
    if not all(llvm.address_of_symbol(n) for n in _LIBM):
        raise NotLowerable("libm log/cos/sin not found for the JIT")


class _Gen:
    """Philox and the conversions inside one kernel; `key` is the op's (seed, seed2)."""

    def __init__(self, k, seed, seed2):
        self.k = k
        self.b = k.b
        self.seed, self.seed2 = int(seed), int(seed2)
        self.keys = []
        k0, k1 = self.seed & 0xFFFFFFFF, self.seed2 & 0xFFFFFFFF
        for _ in range(10):  # the round keys are constants
            self.keys.append((k0, k1))
            k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF

    def take(self, n_blocks):
        """First counter of `n_blocks` fresh blocks of this op's stream (an i64 value)."""
        mod = self.k.fn.module
        fn = mod.globals.get(_TAKE_NAME)
        if fn is None:
            fn = ir.Function(mod, ir.FunctionType(I64, [I64, I64, I64]), name=_TAKE_NAME)
        return self.b.call(fn, [i64(self.seed), i64(self.seed2), n_blocks])

    def block(self, counter):
        """The four 32-bit words of Philox-4x32-10 at a 64-bit counter (hi counter words 0)."""
        b = self.b
        c0 = b.trunc(counter, I32)
        c1 = b.trunc(b.lshr(counter, i64(32)), I32)
        c2 = c3 = ir.Constant(I32, 0)
        for k0, k1 in self.keys:
            p0 = b.mul(b.zext(c0, I64), i64(_M0))
            p1 = b.mul(b.zext(c2, I64), i64(_M1))
            hi0, lo0 = b.trunc(b.lshr(p0, i64(32)), I32), b.trunc(p0, I32)
            hi1, lo1 = b.trunc(b.lshr(p1, i64(32)), I32), b.trunc(p1, I32)
            c0, c1, c2, c3 = (b.xor(b.xor(hi1, c1), ir.Constant(I32, k0)), lo1,
                              b.xor(b.xor(hi0, c3), ir.Constant(I32, k1)), lo0)
        return [c0, c1, c2, c3]

    def wide(self, hi, lo):
        b = self.b
        return b.or_(b.shl(b.zext(hi, I64), i64(32)), b.zext(lo, I64))

    def uniform32(self, word):
        b = self.b
        bits = b.or_(b.lshr(word, ir.Constant(I32, 9)), ir.Constant(I32, 0x3F800000))
        return b.fsub(b.bitcast(bits, F32), ir.Constant(F32, 1.0))

    def uniform64(self, hi, lo):
        b = self.b
        mant = b.lshr(self.wide(hi, lo), i64(12))
        return b.fmul(b.uitofp(mant, F64), ir.Constant(F64, 1.0 / (1 << 52)))

    def _libm(self, name, x):
        mod = self.k.fn.module
        fn = mod.globals.get(name)
        if fn is None:
            fn = ir.Function(mod, ir.FunctionType(F64, [F64]), name=name)
        return self.b.call(fn, [x])

    def normal_pair(self, words):
        """Box-Muller on one block, as rng.standard_normal: (r cos t, r sin t) in float64."""
        b = self.b
        u1 = self.uniform64(words[0], words[1])
        u2 = self.uniform64(words[2], words[3])
        tiny = ir.Constant(F64, _TINY)
        u1 = b.select(b.fcmp_ordered("<", u1, tiny), tiny, u1)
        lg = self._libm("log", u1)
        sq = b.call(_sqrt(self.k.fn.module), [b.fmul(ir.Constant(F64, -2.0), lg)])
        theta = b.fmul(ir.Constant(F64, 2.0 * math.pi), u2)
        return b.fmul(sq, self._libm("cos", theta)), b.fmul(sq, self._libm("sin", theta))


def _sqrt(mod):
    fn = mod.globals.get("llvm.sqrt.f64")
    if fn is None:
        fn = ir.Function(mod, ir.FunctionType(F64, [F64]), name="llvm.sqrt.f64")
    return fn


def _emit_blocks(k, gen, start, n, per_block, emit):
    """For each value index i < n (static): emit(words, base, count) writes values base..base+
    count-1 from the block at counter start + base // per_block."""
    b = k.b
    full, tail = divmod(n, per_block)

    def body(j):
        words = gen.block(b.add(start, j))
        emit(words, b.mul(j, i64(per_block)), per_block)
    k.loops.range(full, body, name="blk")
    if tail:
        words = gen.block(b.add(start, i64(full)))
        emit(words, i64(full * per_block), tail)


def _store(k, dt, value, index):
    b = k.b
    if dt.name == "float32" and value.type == F64:
        value = b.fptrunc(value, F32)
    k.store(value, k.ptrs[0], dt, index)


def _uniform(gen, k, dt, n, start):
    b = k.b
    if dt.name == "float32":
        def emit(words, base, count):
            for t in range(count):
                _store(k, dt, gen.uniform32(words[t]), b.add(base, i64(t)))
        _emit_blocks(k, gen, start, n, 4, emit)
    else:
        def emit(words, base, count):
            for t in range(count):
                _store(k, dt, gen.uniform64(words[2 * t], words[2 * t + 1]),
                       b.add(base, i64(t)))
        _emit_blocks(k, gen, start, n, 2, emit)


def _normal_into(gen, k, dt, n, start):
    b = k.b

    def emit(words, base, count):
        z = gen.normal_pair(words)
        for t in range(count):
            _store(k, dt, z[t], b.add(base, i64(t)))
    _emit_blocks(k, gen, start, n, 2, emit)


def _blocks_for(n, per_block):
    return (n + per_block - 1) // per_block


def _float_lowering(kind):
    def lower(lw, node):
        spec = lw.spec(node.data_outputs[0])
        dt = spec.dtype
        if dt.name not in _FLOATS:
            raise NotLowerable(f"{node.op.name} of {dt.name} runs on the interpreter")
        _check_seeds(node)
        _register()
        seed, seed2 = node.attrs["seed"], node.attrs["seed2"]
        n = int(spec.size)
        scratch = None
        if kind == "truncated" and dt.name != "float64" and n:
            scratch = lw.alloc_spec(dtypes.float64, (n,))
        out = lw.alloc_for(node.data_outputs[0])
        if n:
            k = Kernel(lw.module, lw.fresh_name(node.op.name), 2 if scratch else 1,
                       lw.annotate(node, "philox"))
            gen = _Gen(k, seed, seed2)
            if kind == "uniform":
                per = 4 if dt.name == "float32" else 2
                _uniform(gen, k, dt, n, gen.take(i64(_blocks_for(n, per))))
            elif kind == "normal":
                _normal_into(gen, k, dt, n, gen.take(i64(_blocks_for(n, 2))))
            else:
                _truncated(lw, gen, k, dt, n)
            lw.call_kernel(k, [out] + ([scratch] if scratch else []))
        lw.bind(node.data_outputs[0], out)
        bind_tokens(lw, node)
    return lower


def _truncated(lw, gen, k, dt, n):
    """Normals in float64 (the output, or scratch for float32), then redraw |z| > 2 in rounds."""
    b = k.b
    f64 = dtypes.float64
    buf = k.ptrs[1] if dt.name != "float64" else k.ptrs[0]
    k64 = _PtrKernel(k, buf)
    _normal_into(gen, k64, f64, n, gen.take(i64(_blocks_for(n, 2))))
    two = ir.Constant(F64, 2.0)
    count = k.alloca(I64)
    j = k.alloca(I64)
    head = b.append_basic_block("trunc.head")
    redraw = b.append_basic_block("trunc.redraw")
    done = b.append_basic_block("trunc.done")
    b.branch(head)
    b.position_at_end(head)
    b.store(i64(0), count)

    def bad_at(i):
        return b.fcmp_ordered(">", b.call(_fabs(k.fn.module), [k.load(buf, f64, i)]), two)

    def cnt(i):
        b.store(b.add(b.load(count), b.zext(bad_at(i), I64)), count)
    k.loops.range(n, cnt, name="cnt")
    total = b.load(count)
    b.cbranch(b.icmp_signed("==", total, i64(0)), done, redraw)
    b.position_at_end(redraw)
    start = gen.take(b.udiv(b.add(total, i64(1)), i64(2)))
    b.store(i64(0), j)

    def fix(i):  # the j-th value still beyond 2 takes the j-th fresh normal, as out[bad] = new
        with b.if_then(bad_at(i)):
            jj = b.load(j)
            words = gen.block(b.add(start, b.udiv(jj, i64(2))))
            z0, z1 = gen.normal_pair(words)
            z = b.select(b.icmp_unsigned("==", b.urem(jj, i64(2)), i64(0)), z0, z1)
            k.store(z, buf, f64, i)
            b.store(b.add(jj, i64(1)), j)
    k.loops.range(n, fix, name="fix")
    b.branch(head)
    b.position_at_end(done)
    if dt.name != "float64":
        def cast(i):
            k.store(b.fptrunc(k.load(buf, f64, i), F32), k.ptrs[0], dt, i)
        k.loops.range(n, cast, name="cast")


class _PtrKernel:
    """The kernel with ptrs[0] replaced (to generate into a scratch buffer)."""

    def __init__(self, k, ptr):
        self._k = k
        self.ptrs = [ptr] + k.ptrs[1:]

    def __getattr__(self, item):
        return getattr(self._k, item)


def _fabs(mod):
    fn = mod.globals.get("llvm.fabs.f64")
    if fn is None:
        fn = ir.Function(mod, ir.FunctionType(F64, [F64]), name="llvm.fabs.f64")
    return fn


_RANGE_MSG = "Need minval < maxval, got {1} >= {2}"


def lower_uniform_int(lw, node):
    """Integers in [minval, maxval): 64-bit draws reduced modulo the span, as rng.uniform_int."""
    spec = lw.spec(node.data_outputs[0])
    dt = spec.dtype
    if not dt.is_integer:
        raise NotLowerable(f"random_uniform_int of {dt.name}")
    _check_seeds(node)
    _register()
    _, lo_v, hi_v = node.data_inputs
    lo, hi = lw.view(lo_v), lw.view(hi_v)
    n = int(spec.size)
    out = lw.alloc_for(node.data_outputs[0])
    k = Kernel(lw.module, lw.fresh_name(node.op.name), 3, lw.annotate(node, "philox"))
    b = k.b

    def wide_of(view, ptr):
        v = k.load(ptr, view.dtype, i64(0))
        if v.type.width < 64:
            v = b.zext(v, I64) if view.dtype.is_unsigned else b.sext(v, I64)
        return v
    lo64, hi64 = wide_of(lo, k.ptrs[1]), wide_of(hi, k.ptrs[2])
    cmp = b.icmp_unsigned if dt.is_unsigned else b.icmp_signed
    bad = cmp("<=", hi64, lo64)
    code = lw.errors.code(_RANGE_MSG, lw.where(node))
    k.fail(bad, code, [lo64, hi64])
    if n:
        gen = _Gen(k, node.attrs["seed"], node.attrs["seed2"])
        span = b.sub(hi64, lo64)
        start = gen.take(i64(_blocks_for(n, 2)))

        def emit(words, base, count):
            for t in range(count):
                v = b.add(lo64, b.urem(gen.wide(words[2 * t], words[2 * t + 1]), span))
                if dt.size < 8:
                    v = b.trunc(v, ir.IntType(dt.size * 8))
                k.store(v, k.ptrs[0], dt, b.add(base, i64(t)))
        _emit_blocks(k, gen, start, n, 2, emit)
    lw.call_kernel(k, [out, lo, hi])
    lw.bind(node.data_outputs[0], out)
    bind_tokens(lw, node)


def lower_shuffle(lw, node):
    """x[permutation] along axis 0, the permutation being the stable argsort of one 64-bit random
    key per row (as rng.permutation): an LSD radix sort, 8 passes of 8 bits (stable, so equal
    keys keep index order exactly as NumPy's stable argsort), then a gather of rows."""
    _check_seeds(node)
    x = lw.view(node.data_inputs[0])
    if not x.shape:
        raise NotLowerable("random_shuffle of a scalar is a copy")
    _register()
    n = x.shape[0]
    keys = lw.alloc_spec(dtypes.int64, (2, max(n, 1)))
    idx = lw.alloc_spec(dtypes.int64, (2, max(n, 1)))
    counts = lw.alloc_spec(dtypes.int64, (256,))
    out = lw.alloc_for(node.data_outputs[0])
    k = Kernel(lw.module, lw.fresh_name("random_shuffle"), 5, lw.annotate(node, "philox+radix"))
    b = k.b
    i64t = dtypes.int64
    kp, ip, cp = k.ptrs[2], k.ptrs[3], k.ptrs[4]
    if n:
        gen = _Gen(k, node.attrs["seed"], node.attrs["seed2"])
        start = gen.take(i64(_blocks_for(n, 2)))

        def emit(words, base, count):
            for t in range(count):
                at = b.add(base, i64(t))
                k.store(gen.wide(words[2 * t], words[2 * t + 1]), kp, i64t, at)
                k.store(at, ip, i64t, at)
        _emit_blocks(k, gen, start, n, 2, emit)
        for p in range(8):
            src, dst = (p % 2) * n, (1 - p % 2) * n
            _radix_pass(k, kp, ip, cp, src, dst, n, 8 * p)
        rest = x.shape[1:]
        ost = out.strides

        def row(i):
            j = k.load(ip, i64t, i)
            k.loops.nest(rest, lambda r: k.store(
                k.load(k.ptrs[1], x.dtype, k.linear(0, x.strides, [j] + r)), k.ptrs[0], x.dtype,
                k.linear(0, ost, [i] + r)), name="e")
        k.loops.range(n, row, name="row")
    lw.call_kernel(k, [out, x, keys, idx, counts])
    lw.bind(node.data_outputs[0], out)
    bind_tokens(lw, node)


def _radix_pass(k, kp, ip, cp, src, dst, n, shift):
    """One stable counting-sort pass on byte `shift // 8` of the keys: src half -> dst half."""
    b = k.b
    t = dtypes.int64

    def digit(i):
        key = k.load(kp, t, b.add(i64(src), i))
        return key, b.and_(b.lshr(key, i64(shift)), i64(255))
    k.loops.range(256, lambda d: k.store(i64(0), cp, t, d), name="zc")

    def hist(i):
        _, d = digit(i)
        k.store(b.add(k.load(cp, t, d), i64(1)), cp, t, d)
    k.loops.range(n, hist, name="h")
    total = k.alloca(I64)
    b.store(i64(0), total)

    def prefix(d):
        c = k.load(cp, t, d)
        k.store(b.load(total), cp, t, d)
        b.store(b.add(b.load(total), c), total)
    k.loops.range(256, prefix, name="ps")

    def scatter(i):
        key, d = digit(i)
        pos = k.load(cp, t, d)
        k.store(b.add(pos, i64(1)), cp, t, d)
        k.store(key, kp, t, b.add(i64(dst), pos))
        k.store(k.load(ip, t, b.add(i64(src), i)), ip, t, b.add(i64(dst), pos))
    k.loops.range(n, scatter, name="sc")


LOWERINGS = {
    "random_uniform": _float_lowering("uniform"),
    "random_normal": _float_lowering("normal"),
    "truncated_normal": _float_lowering("truncated"),
    "random_uniform_int": lower_uniform_int,
    "random_shuffle": lower_shuffle,
}

__all__ = ["LOWERINGS"]
