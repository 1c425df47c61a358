"""Random ops on the GPU: Philox-4x32-10, drawing exactly the stream eager mode and the CPU
backend draw (runtime/rng.py, codegen/llvm/k_random.py).

The stream state stays on the host (rng.py's next unused counter per (seed, seed2) key): a
`HostCall` step reserves a draw's counters when the plan reaches it (so draws interleave with
eager ops and other functions in program order, as on the CPU backend) and copies the first
counter (8 bytes) into a device buffer; the kernel then makes every number from its counters,
one Philox block a thread (grid-stride). The conversions are the CPU backend's (`_Gen`):

- uniform float32/float64 and integers: bit-equal to eager and the CPU backend;
- normal: Box-Muller in float64 with libdevice's log/cos/sin (within a few ULP of NumPy's libm,
  so equal within float tolerance); truncated normal redraws values beyond 2 stddev in rounds
  driven from the host (count the bad values, reserve that many counters, fix them in index
  order: one thread, as the CPU's sequential order needs);
- shuffle: one 64-bit key a row, ranked (stable: ties by index, as np.argsort(kind="stable")),
  then a gather of rows.
float16 draws run on the host, as on the CPU backend.
"""
import numpy as np
from llvmlite import ir

from ... import dtypes
from ...runtime import rng as _rng
from ..llvm import k_random as _cpu
from ..llvm.emit import F32, F64, I64, bind_tokens, i64
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import cast_value
from .k_map import emit_map, unravel
from .kernel import GpuKernel
from .plan import HostCall

_FLOATS = ("float32", "float64")


class _Gen(_cpu._Gen):
    """The CPU backend's Philox and conversions, with libdevice for log/cos/sin."""

    def _libm(self, name, x):
        mod = self.k.fn.module
        fname = f"__nv_{name}"
        fn = mod.globals.get(fname)
        if fn is None:
            fn = ir.Function(mod, ir.FunctionType(F64, [F64]), name=fname)
        return self.b.call(fn, [x])


def _blocks_for(n, per_block):
    return (n + per_block - 1) // per_block


def _finish(lw, k):
    """A kernel launched from a HostCall (not a Launch step): finished and annotated here."""
    fn = k.finish()
    if k.annotation:
        lw.annotations[fn.name] = k.annotation
    return fn.name


def _take_step(lw, node, n_blocks, valid=None):
    """A HostCall reserving `n_blocks` counters of the node's stream; returns the int64[1]
    view the kernel reads the first counter from. `valid(device, dev)`: False skips the
    reservation (the draw is about to fail, as the CPU backend takes nothing then)."""
    key = (int(node.attrs["seed"]), int(node.attrs["seed2"]))
    start = lw.alloc_spec(dtypes.int64, (1,))
    index = start.ptr.index

    def run(loaded, device, dev):
        if valid is not None and not valid(device, dev):
            return
        first = _rng.take_counters(key, int(n_blocks))
        device.copy_htod(dev[index], np.array([first], np.int64))
    lw.steps.append(HostCall(run, f"reserve {n_blocks} Philox counters of stream {key}"))
    return start


def _draw_kernel(lw, node, out, n, per, start, emit_values, extra=()):
    """One thread per Philox block: emit_values(k, gen, words, base) -> the `per` values of
    the block (register values, out's element type); the ones past `n` are not stored."""
    k = GpuKernel(lw.module, lw.fresh_name(node.op.name), 2 + len(extra),
                  lw.annotate(node, "philox"))
    gen = _Gen(k, node.attrs["seed"], node.attrs["seed2"])
    b = k.b
    first = k.load(k.ptrs[1], dtypes.int64, i64(0))

    def block(j):
        words = gen.block(b.add(first, j))
        base = b.mul(j, i64(per))
        for t, v in enumerate(emit_values(k, gen, words, base)):
            at = b.add(base, i64(t))
            with b.if_then(b.icmp_signed("<", at, i64(n))):
                k.store(v, k.ptrs[0], out.dtype, b.add(at, i64(out.offset)))
    k.grid_stride(_blocks_for(n, per), block)
    lw.launch(k, n_threads=_blocks_for(n, per), views=[out, start] + list(extra))


def _uniform_values(dt):
    def emit(k, gen, words, base):
        if dt.name == "float32":
            return [gen.uniform32(w) for w in words]
        return [gen.uniform64(words[0], words[1]), gen.uniform64(words[2], words[3])]
    return emit


def _normal_values(dt):
    def emit(k, gen, words, base):
        z = gen.normal_pair(words)
        return [k.b.fptrunc(v, F32) for v in z] if dt.name == "float32" else list(z)
    return emit


def _float_lowering(kind):
    def lower(lw, node):
        spec = lw.spec(node.data_outputs[0])
        dt = spec.dtype
        if dt.name not in _FLOATS:
            raise NotLowerable(f"{node.op.name} of {dt.name} runs on the host")
        _cpu._check_seeds(node)
        n = int(spec.size)
        out = lw.alloc_for(node.data_outputs[0])
        if n:
            if kind == "uniform":
                per = 4 if dt.name == "float32" else 2
                start = _take_step(lw, node, _blocks_for(n, per))
                _draw_kernel(lw, node, out, n, per, start, _uniform_values(dt))
            elif kind == "normal":
                start = _take_step(lw, node, _blocks_for(n, 2))
                _draw_kernel(lw, node, out, n, 2, start, _normal_values(dt))
            else:
                _truncated(lw, node, out, n)
        lw.bind(node.data_outputs[0], out)
        bind_tokens(lw, node)
    return lower


def _truncated(lw, node, out, n):
    """Normals in float64 (out, or scratch for float32), then host-driven redraw rounds."""
    f64 = dtypes.float64
    buf = out if out.dtype.name == "float64" else lw.alloc_spec(f64, (n,))
    start = _take_step(lw, node, _blocks_for(n, 2))
    _draw_kernel(lw, node, buf, n, 2, start, _normal_values(f64))
    count = lw.alloc_spec(dtypes.int64, (1,))
    redraw = lw.alloc_spec(dtypes.int64, (1,))
    two = ir.Constant(F64, 2.0)

    def bad_at(k, i):
        v = k.load(k.ptrs[0], f64, _at(k, i, buf.offset))
        return k.b.fcmp_ordered(">", k.b.call(_cpu._fabs(k.fn.module), [v]), two)

    kc = GpuKernel(lw.module, lw.fresh_name("trunc_count"), 2, lw.annotate(node, "count"))
    total = kc.alloca(I64)
    kc.b.store(i64(0), total)
    kc.loops.range(n, lambda i: kc.b.store(
        kc.b.add(kc.b.load(total, typ=I64), kc.b.zext(bad_at(kc, i), I64)), total), name="c")
    kc.store(kc.b.load(total, typ=I64), kc.ptrs[1], dtypes.int64, i64(0))
    count_name = _finish(lw, kc)

    kf = GpuKernel(lw.module, lw.fresh_name("trunc_fix"), 2, lw.annotate(node, "redraw"))
    gen = _Gen(kf, node.attrs["seed"], node.attrs["seed2"])
    b = kf.b
    first = kf.load(kf.ptrs[1], dtypes.int64, i64(0))
    j = kf.alloca(I64)
    b.store(i64(0), j)

    def fix(i):  # the j-th value still beyond 2 takes the j-th fresh normal
        with b.if_then(bad_at(kf, i)):
            jj = b.load(j, typ=I64)
            z0, z1 = gen.normal_pair(gen.block(b.add(first, b.udiv(jj, i64(2)))))
            z = b.select(b.icmp_unsigned("==", b.urem(jj, i64(2)), i64(0)), z0, z1)
            kf.store(z, kf.ptrs[0], f64, _at(kf, i, buf.offset))
            b.store(b.add(jj, i64(1)), j)
    kf.loops.range(n, fix, name="f")
    fix_name = _finish(lw, kf)
    key = (int(node.attrs["seed"]), int(node.attrs["seed2"]))
    bufs = (buf.ptr.index, count.ptr.index, redraw.ptr.index, lw.err.index)

    def rounds(loaded, device, dev):
        b_i, c_i, r_i, e_i = bufs
        one = dict(grid=(1, 1, 1), block=(1, 1, 1))
        while True:
            loaded.launch(count_name, args=[dev[b_i], dev[c_i], dev[e_i]], **one)
            device.synchronize()
            bad = int(device.to_host(dev[c_i], (1,), np.int64)[0])
            if not bad:
                return
            first_counter = _rng.take_counters(key, (bad + 1) // 2)
            device.copy_htod(dev[r_i], np.array([first_counter], np.int64))
            loaded.launch(fix_name, args=[dev[b_i], dev[r_i], dev[e_i]], **one)
    lw.steps.append(HostCall(rounds, "truncated normal: redraw rounds"))
    if buf is not out:
        emit_map(lw, "cast", [out], [buf],
                 lambda s, vals: [cast_value(s, vals[0], f64, out.dtype)], lw.annotate(node))


def _at(k, i, offset):
    """Element index i of a view at element `offset` (an i64 value)."""
    return k.b.add(i, i64(offset)) if offset else i


def lower_uniform_int(lw, node):
    """Integers in [minval, maxval): 64-bit draws reduced modulo the span, as rng.uniform_int."""
    spec = lw.spec(node.data_outputs[0])
    dt = spec.dtype
    if not dt.is_integer:
        raise NotLowerable(f"random_uniform_int of {dt.name}")
    _cpu._check_seeds(node)
    _, lo_v, hi_v = node.data_inputs
    lo, hi = lw.view(lo_v), lw.view(hi_v)
    n = int(spec.size)
    out = lw.alloc_for(node.data_outputs[0])
    lw.bind(node.data_outputs[0], out)
    bind_tokens(lw, node)
    known = [lw.spec(v).value for v in (lo_v, hi_v)]
    if all(v is not None for v in known) and int(np.asarray(known[1])) <= int(
            np.asarray(known[0])):
        raise NotLowerable("random_uniform_int with minval >= maxval (eager's error)")
    valid = None
    if any(v is None for v in known):
        def valid(device, dev):
            device.synchronize()
            a = device.to_host(dev[lo.ptr.index], (lo.offset + 1,), lo.dtype.np_dtype)
            z = device.to_host(dev[hi.ptr.index], (hi.offset + 1,), hi.dtype.np_dtype)
            return int(z[hi.offset]) > int(a[lo.offset])
    start = _take_step(lw, node, _blocks_for(n, 2), valid) if n else \
        lw.alloc_spec(dtypes.int64, (1,))
    code = lw.errors.code(_cpu._RANGE_MSG, lw.where(node))
    k = GpuKernel(lw.module, lw.fresh_name(node.op.name), 4, lw.annotate(node, "philox"))
    b = k.b

    def wide_of(view, ptr):
        v = k.load(ptr, view.dtype, i64(view.offset))
        if v.type.width < 64:
            v = b.zext(v, I64) if view.dtype.is_unsigned else b.sext(v, I64)
        return v
    lo64, hi64 = wide_of(lo, k.ptrs[2]), wide_of(hi, k.ptrs[3])
    cmp = b.icmp_unsigned if dt.is_unsigned else b.icmp_signed
    k.fail(cmp("<=", hi64, lo64), code, [lo64, hi64])
    gen = _Gen(k, node.attrs["seed"], node.attrs["seed2"])
    first = k.load(k.ptrs[1], dtypes.int64, i64(0))
    span = b.sub(hi64, lo64)

    def block(j):
        words = gen.block(b.add(first, j))
        for t in range(2):
            at = b.add(b.mul(j, i64(2)), i64(t))
            v = b.add(lo64, b.urem(gen.wide(words[2 * t], words[2 * t + 1]), span))
            if dt.size < 8:
                v = b.trunc(v, ir.IntType(dt.size * 8))
            with b.if_then(b.icmp_signed("<", at, i64(n))):
                k.store(v, k.ptrs[0], dt, at)
    k.grid_stride(_blocks_for(n, 2), block)
    lw.launch(k, n_threads=max(_blocks_for(n, 2), 1), views=[out, start, lo, hi])


def lower_shuffle(lw, node):
    """x[permutation] along axis 0, the permutation the stable argsort of one 64-bit random key
    a row (as rng.permutation)."""
    _cpu._check_seeds(node)
    x = lw.view(node.data_inputs[0])
    if not x.shape:
        raise NotLowerable("random_shuffle of a scalar is a copy")
    n = x.shape[0]
    out = lw.alloc_for(node.data_outputs[0])
    lw.bind(node.data_outputs[0], out)
    bind_tokens(lw, node)
    if not n:
        return
    i64t = dtypes.int64
    keys = lw.alloc_spec(i64t, (n,))
    perm = lw.alloc_spec(i64t, (n,))
    start = _take_step(lw, node, _blocks_for(n, 2))
    _draw_kernel(lw, node, keys, n, 2, start,
                 lambda k, gen, w, base: [gen.wide(w[0], w[1]), gen.wide(w[2], w[3])])

    kr = GpuKernel(lw.module, lw.fresh_name("shuffle_rank"), 2, lw.annotate(node, "rank"))
    b = kr.b

    def rank(i):
        key = kr.load(kr.ptrs[1], i64t, i)
        r = kr.alloca(I64)
        b.store(i64(0), r)

        def count(j):
            kj = kr.load(kr.ptrs[1], i64t, j)
            ahead = b.or_(b.icmp_unsigned("<", kj, key),
                          b.and_(b.icmp_unsigned("==", kj, key), b.icmp_signed("<", j, i)))
            b.store(b.add(b.load(r, typ=I64), b.zext(ahead, I64)), r)
        kr.loops.range(n, count, name="j")
        kr.store(i, kr.ptrs[0], i64t, b.load(r, typ=I64))
    kr.grid_stride(n, rank)
    lw.launch(kr, n_threads=n, views=[perm, keys])

    if not out.size:
        return
    kg = GpuKernel(lw.module, lw.fresh_name("shuffle_rows"), 3, lw.annotate(node, "gather"))
    b = kg.b

    def move(i):
        idx = unravel(b, i, list(out.shape))
        src = kg.load(kg.ptrs[2], i64t, idx[0])
        v = kg.load(kg.ptrs[1], x.dtype, kg.linear(x.offset, x.strides, [src] + idx[1:]))
        kg.store(v, kg.ptrs[0], out.dtype, kg.linear(out.offset, out.strides, idx))
    kg.grid_stride(out.size, move)
    lw.launch(kg, n_threads=out.size, views=[out, x, perm])


LOWERINGS = {
    "random_uniform": _float_lowering("uniform"),
    "random_normal": _float_lowering("normal"),
    "truncated_normal": _float_lowering("truncated"),
    "random_uniform_int": lower_uniform_int,
    "random_shuffle": lower_shuffle,
}

__all__ = ["LOWERINGS"]
