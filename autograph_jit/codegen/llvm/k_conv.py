"""Native NHWC convolution: conv2d and its two backprop ops (pooling: k_pool.py, whose lowerings
this module's LOWERINGS includes; window geometry and tap loops: k_window.py).

Convolutions are im2col + BLAS gemm (runtime/blas.py's serial wrappers: one BLAS thread each),
image by image; when the whole batch's columns fit SCRATCH_MAX each image gets its own scratch
block and images are split across cores (ag_parallel_for, parallel.py):
- conv2d: im2col of image n into a [OH*OW, KH*KW*C] block (taps outside the image written as
  zeros), then cols @ filter[KH*KW*C, O] straight into the output;
- backprop_filter: im2col of every image, then dF = cols^T @ dy as FILTER_GROUPS products over
  groups of images, across cores, summed in group order (fewer images: one product over all
  N*OH*OW rows, split by rows of dF; past SCRATCH_MAX, dF += cols_n^T @ dy_n serially);
- backprop_input: cols = dy_n @ filter^T, then col2im adds each tap's column block back into
  the (zeroed) input gradient of image n, tap by tap.
Operand shapes are checked at compile time (a mismatch leaves the op to the interpreter, which
reports it as eager).

float16 rounds where the eager kernels round. Their products are NumPy float16 dots, which
accumulate in float32 and round once: here the columns and operands are float32 copies, the
gemm is float32 and each result is rounded to float16 as it is stored (conv2d, backprop_filter;
backprop_input rounds each column as eager's float16 `cols` and adds it in float16, tap by tap
as eager's per-tap slice adds).
"""
from llvmlite import ir

from .emit import I1, Kernel, i64, lanes_short, reg_type, storage_type
from .k_array import NotLowerable
from .k_pool import LOWERINGS as _POOL_LOWERINGS
from .k_window import Geo, outputs, pixel, taps, taps_outermost, zero
from . import k_gemm
from .chunks import parallel_chunks
from ... import dtypes
from ...runtime import blas
from .k_map import emit_copy

# the serial wrappers: products run inside parallel chunks
_BLAS = {"float32": "ag_matmul_serial_f32", "float64": "ag_matmul_serial_f64"}
_LIMIT = 2 ** 31  # SciPy's BLAS is LP64
SCRATCH_MAX = 64 << 20  # bytes of im2col columns for a whole batch (else one image at a time)
PARALLEL_FLOPS = 1 << 21  # multiply-adds below which threads cost more than they save
ROWS_MIN = 16  # filter-gradient rows per parallel chunk
FILTER_GROUPS = 4  # image groups of the filter gradient: one product each, across cores


def compute_dtype(dt):
    """The dtype a convolution of `dt` computes in: float32 for float16, else dt itself."""
    return dtypes.float32 if dt.name == "float16" else dt


def _blas_fn(k, dt):
    return blas.declare(k.fn.module, _BLAS[compute_dtype(dt).name])


def _check_blas(dt, *dims, blas_call=False):
    """Raise NotLowerable (before any code is emitted) unless the products can run: in
    k_gemm.py (float32 on AVX-512) or BLAS, which `blas_call` says a lowering calls anyway."""
    if compute_dtype(dt).name not in _BLAS:
        raise NotLowerable(f"{dt.name} convolution runs on the interpreter")
    if max(dims) >= _LIMIT:
        raise NotLowerable("convolution too large for 32-bit BLAS indices")
    if k_gemm.available(compute_dtype(dt)) and not blas_call:
        return
    try:
        blas.check_available([_BLAS[compute_dtype(dt).name]])  # (installed at link time)
    except Exception as e:  # SciPy missing or unusable
        raise NotLowerable(f"BLAS unavailable: {type(e).__name__}: {e}") from e


def _dense(lw, view):
    """A contiguous view of `view` in its compute dtype (a workspace copy when it is strided or
    float16)."""
    cdt = compute_dtype(view.dtype)
    if view.is_contiguous and cdt == view.dtype:
        return view
    if cdt == view.dtype:
        dst = lw.alloc_spec(view.dtype, view.shape)
        emit_copy(lw, dst, view, annotation="contiguous copy for BLAS")
        return dst
    dst = lw.alloc_spec(cdt, view.shape)
    k = Kernel(lw.module, lw.fresh_name("widen"), 2, f"{view.dtype.name} to {cdt.name} for BLAS")
    ty = reg_type(cdt)
    k.loops.nest(view.shape, lambda idx: k.store(
        k.b.fpext(k.load(k.ptrs[1], view.dtype, k.linear(0, view.strides, idx)), ty),
        k.ptrs[0], cdt, k.linear(0, dst.strides, idx)), name="w")
    lw.call_kernel(k, [dst, view])
    return dst


def _round_block(k, src, dst, dt, base, count):
    """dst[base + i] = src[base + i] rounded from float32 to dt (float16), for i < count."""
    b = k.b
    cdt = compute_dtype(dt)
    ty = reg_type(dt)
    base = base if isinstance(base, ir.Value) else i64(base)

    def one(i):
        lin = b.add(base, i)
        k.store(b.fptrunc(k.load(src, cdt, lin), ty), dst, dt, lin)
    k.loops.range(count, one, name="round")


def _gemm(k, dt, ta, tb, m, n, kd, a, lda, b_, ldb, beta, c, ldc):
    """C = beta * C + op(A) @ op(B) in dt's compute dtype: k_gemm.py's kernel where it runs it
    (beta 0, B not transposed), else BLAS."""
    cdt = compute_dtype(dt)
    if not tb and not isinstance(beta, ir.Value) and beta == 0.0 and k_gemm.available(cdt):
        k_gemm.call(k.b, k.fn.module, ta, m, n, kd, a, lda, b_, ldb, c, ldc)
        return
    ty = reg_type(cdt)
    if not isinstance(beta, ir.Value):
        beta = ir.Constant(ty, beta)
    m, n, kd = (v if isinstance(v, ir.Value) else i64(v) for v in (m, n, kd))
    k.b.call(_blas_fn(k, dt), [ir.Constant(I1, int(ta)), ir.Constant(I1, int(tb)), m, n, kd,
                               ir.Constant(ty, 1.0), a, i64(lda), b_, i64(ldb), beta, c,
                               i64(ldc)])


def _at(k, ptr, dt, offset):
    """ptr + offset elements of dt."""
    return k.b.gep(ptr, [offset], source_etype=storage_type(dt))


def _im2col(k, g, dt, x_strides, xp, colp, n):
    """colp[(oh*OW + ow), (i*KW + j)*C + c] = x[n, ih, iw, c], or 0 outside the image; the
    columns are in dt's compute dtype (float16 widened to float32, exactly)."""
    b = k.b
    kd = g.kh * g.kw * g.c
    cdt = compute_dtype(dt)
    pad = ir.Constant(reg_type(cdt), 0)
    sc = x_strides[3]

    def widen(v):
        return v if cdt == dt else b.fpext(v, reg_type(cdt))

    def at(oh, ow):
        rbase = b.mul(b.add(b.mul(oh, i64(g.ow)), ow), i64(kd))

        def tap(i, j, ih, iw, inside):
            cbase = b.add(rbase, b.mul(b.add(b.mul(i, i64(g.kw)), j), i64(g.c)))
            with b.if_else(inside) as (then, other):
                with then:
                    xb = pixel(k, x_strides, n, ih, iw)
                    k.loops.range(g.c, lambda c: k.store(
                        widen(k.load(xp, dt, b.add(xb, b.mul(c, i64(sc))))), colp, cdt,
                        b.add(cbase, c)), name="c", short=lanes_short(g.c))
                with other:
                    k.loops.range(g.c, lambda c: k.store(pad, colp, cdt, b.add(cbase, c)),
                                  name="z", short=lanes_short(g.c))
        taps(k, g, oh, ow, tap)
    outputs(k, g, at)


def _conv_geo(op, node, x_shape, f_shape):
    a = node.attrs
    return Geo(op, x_shape, f_shape[:2], a["strides"], a["padding"], a["dilations"])


def _scratch(lw, dt, g, kd):
    """(scratch view, per-image) for im2col columns: one [P, K] block per image when the whole
    batch fits SCRATCH_MAX (images then run in parallel), else one block reused serially."""
    if not g.p * kd:
        return None, False
    per_image = _per_image(dt, g, kd)
    return lw.alloc_spec(compute_dtype(dt), ((g.n if per_image else 1) * g.p, kd)), per_image


def _per_image(dt, g, kd):
    return g.n * g.p * kd * compute_dtype(dt).size <= SCRATCH_MAX and g.n > 1


def _images(k, g, dt, kd, o, per_image, body):
    """body(n, col_ptr) for every image, across cores when each image has its own scratch."""
    def run(begin, end):
        b = k.b  # the chunk function's builder when split across cores

        def one(j):
            n = b.add(begin, j)
            col = (_at(k, k.ptrs[3], compute_dtype(dt), b.mul(n, i64(g.p * kd))) if per_image
                   else k.ptrs[3])
            body(n, col)
        k.loops.range(b.sub(end, begin), one, name="n")
    if per_image and g.n * g.p * kd * o >= PARALLEL_FLOPS:
        parallel_chunks(k, g.n, 1, run)
    else:
        run(i64(0), i64(g.n))


def lower_conv2d(lw, node):
    xv, fv = node.data_inputs
    x, f = lw.view(xv), lw.view(fv)
    dt = x.dtype
    g = _conv_geo("Conv2D", node, x.shape, f.shape)
    o = f.shape[3]
    g.expect("filter", f.shape, (g.kh, g.kw, g.c, o))
    kd = g.kh * g.kw * g.c
    _check_blas(dt, g.p, kd, o)
    f = _dense(lw, f)
    col, per_image = _scratch(lw, dt, g, kd)
    out = lw.alloc_for(node.outputs[0])
    cdt = compute_dtype(dt)
    # float16: the float32 products land here, then round into out image by image
    wide = lw.alloc_spec(cdt, out.shape) if cdt != dt and out.size and kd else None
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d"), 5, lw.annotate(node, "im2col+gemm"))
        if kd == 0:
            zero(k, k.ptrs[0], dt, out.size)
        else:

            def image(n, colp):
                _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n)
                base = k.b.mul(n, i64(g.p * o))
                dst = _at(k, k.ptrs[4] if wide else k.ptrs[0], cdt, base)
                _gemm(k, dt, False, False, g.p, o, kd, colp, kd, k.ptrs[2], o, 0.0, dst, o)
                if wide:
                    _round_block(k, k.ptrs[4], k.ptrs[0], dt, base, g.p * o)
            _images(k, g, dt, kd, o, per_image, image)
        lw.call_kernel(k, [out, x, f, col if col is not None else out, wide or out])
    lw.bind(node.outputs[0], out)


def lower_backprop_filter(lw, node):
    """dF[K, O] = sum over images of cols_n^T @ dy_n. With per-image scratch: im2col of every
    image (in parallel), then the images in FILTER_GROUPS groups, one product per group across
    cores into a block of its own, and the blocks summed in group order (so the result does not
    depend on the number of threads); a batch of fewer images is one product over all N*P rows,
    split by rows of dF across cores."""
    xv, _, dyv = node.data_inputs
    x, dy = lw.view(xv), lw.view(dyv)
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    g = _conv_geo("Conv2DBackpropFilter", node, x.shape, out_spec.shape)
    o = out_spec.shape[3]
    g.expect("filter_sizes", out_spec.shape, (g.kh, g.kw, g.c, o))
    g.expect("out_backprop", dy.shape, (g.n, g.oh, g.ow, o))
    kd = g.kh * g.kw * g.c
    # (one image at a time, dF accumulates with a run-time beta: BLAS)
    _check_blas(dt, g.n * g.p, kd, o, blas_call=not _per_image(dt, g, kd))
    dy = _dense(lw, dy)
    col, per_image = _scratch(lw, dt, g, kd)
    out = lw.alloc_for(node.outputs[0])
    cdt = compute_dtype(dt)
    # float16: dF accumulates in float32 here and is rounded into out once
    wide = lw.alloc_spec(cdt, out.shape) if cdt != dt and out.size and g.p and g.n else None
    grouped = per_image and g.n >= FILTER_GROUPS and g.n * g.p * kd * o >= PARALLEL_FLOPS
    blocks = lw.alloc_spec(cdt, (FILTER_GROUPS * kd, o)) if grouped and out.size else None
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d_backprop_filter"), 6,
                   lw.annotate(node, "im2col+gemm"))
        acc = k.ptrs[4] if wide else k.ptrs[0]
        if g.p == 0 or g.n == 0:
            zero(k, k.ptrs[0], dt, out.size)
        elif grouped:
            _images(k, g, dt, kd, o, True,
                    lambda n, colp: _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n))
            _filter_groups(k, g, dt, kd, o)
            _sum_blocks(k, cdt, kd * o, acc)
            if wide:
                _round_block(k, acc, k.ptrs[0], dt, 0, out.size)
        elif per_image:
            _images(k, g, dt, kd, o, True,
                    lambda n, colp: _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n))

            def rows(begin, end):
                b = k.b
                acc = k.ptrs[4] if wide else k.ptrs[0]  # the chunk function's own pointers
                _gemm(k, dt, True, False, b.sub(end, begin), o, g.n * g.p,
                      _at(k, k.ptrs[3], cdt, begin), kd, k.ptrs[2], o, 0.0,
                      _at(k, acc, cdt, b.mul(begin, i64(o))), o)
                if wide:
                    _round_block(k, acc, k.ptrs[0], dt, b.mul(begin, i64(o)),
                                 b.mul(b.sub(end, begin), i64(o)))
            if kd >= 2 * ROWS_MIN and g.n * g.p * kd * o >= PARALLEL_FLOPS:
                parallel_chunks(k, kd, ROWS_MIN, rows)
            else:
                rows(i64(0), i64(kd))
        else:
            ty = reg_type(cdt)

            def image(n, colp):
                b = k.b
                _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n)
                beta = b.select(b.icmp_signed("==", n, i64(0)), ir.Constant(ty, 0.0),
                                ir.Constant(ty, 1.0))
                src = _at(k, k.ptrs[2], cdt, b.mul(n, i64(g.p * o)))
                _gemm(k, dt, True, False, kd, o, g.p, colp, kd, src, o, beta, acc, o)
            _images(k, g, dt, kd, o, False, image)
            if wide:
                _round_block(k, acc, k.ptrs[0], dt, 0, out.size)
        lw.call_kernel(k, [out, x, dy, col if col is not None else out, wide or out,
                           blocks or out])
    lw.bind(node.outputs[0], out)


def _filter_groups(k, g, dt, kd, o):
    """blocks[grp] = cols^T @ dy over group grp's images (images grp*N//G up to (grp+1)*N//G),
    groups across cores."""
    cdt = compute_dtype(dt)

    def groups(begin, end):
        b = k.b  # the chunk function's builder

        def one(j):
            grp = b.add(begin, j)
            first = b.udiv(b.mul(grp, i64(g.n)), i64(FILTER_GROUPS))
            last = b.udiv(b.mul(b.add(grp, i64(1)), i64(g.n)), i64(FILTER_GROUPS))
            row = b.mul(first, i64(g.p))
            _gemm(k, dt, True, False, kd, o, b.mul(b.sub(last, first), i64(g.p)),
                  _at(k, k.ptrs[3], cdt, b.mul(row, i64(kd))), kd,
                  _at(k, k.ptrs[2], cdt, b.mul(row, i64(o))), o, 0.0,
                  _at(k, k.ptrs[5], cdt, b.mul(grp, i64(kd * o))), o)
        k.loops.range(b.sub(end, begin), one, name="grp")
    parallel_chunks(k, FILTER_GROUPS, 1, groups)


def _sum_blocks(k, cdt, size, acc):
    """acc[e] = blocks[0][e] + blocks[1][e] + ..., added in group order."""
    b = k.b

    def one(e):
        total = k.load(k.ptrs[5], cdt, e)
        for grp in range(1, FILTER_GROUPS):
            total = b.fadd(total, k.load(k.ptrs[5], cdt, b.add(e, i64(grp * size))))
        k.store(total, acc, cdt, e)
    k.loops.range(size, one, name="sum")


def lower_backprop_input(lw, node):
    _, fv, dyv = node.data_inputs
    f, dy = lw.view(fv), lw.view(dyv)
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    g = _conv_geo("Conv2DBackpropInput", node, out_spec.shape, f.shape)
    o = f.shape[3]
    g.expect("filter", f.shape, (g.kh, g.kw, g.c, o))
    g.expect("out_backprop", dy.shape, (g.n, g.oh, g.ow, o))
    kd = g.kh * g.kw * g.c
    cdt = compute_dtype(dt)
    # cols = dy_n @ filter^T: k_gemm.py's kernel takes B untransposed, so the filter is
    # transposed once per call into a [O, KD] block (small: KD * O elements)
    own = k_gemm.available(cdt)
    _check_blas(dt, g.p, kd, o, blas_call=not own)
    f, dy = _dense(lw, f), _dense(lw, dy)
    col, per_image = _scratch(lw, dt, g, kd)
    out = lw.alloc_for(node.outputs[0])
    ft = lw.alloc_spec(cdt, (o, kd)) if own and out.size and g.p and kd and o else None
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d_backprop_input"), 5,
                   lw.annotate(node, "gemm+col2im"))
        if g.p and kd and o:
            st = out.strides
            if ft is not None:
                k.loops.range(kd, lambda r: k.loops.range(o, lambda c: k.store(
                    k.load(k.ptrs[1], cdt, k.b.add(k.b.mul(r, i64(o)), c)), k.ptrs[4], cdt,
                    k.b.add(k.b.mul(c, i64(kd)), r)), name="tc"), name="tr")

            def image(n, colp):
                b = k.b
                zero(k, k.ptrs[0], dt, g.h * g.w * g.c, b.mul(n, i64(g.h * g.w * g.c)))
                src = _at(k, k.ptrs[2], cdt, b.mul(n, i64(g.p * o)))
                if ft is not None:
                    _gemm(k, dt, False, False, g.p, kd, o, src, o, k.ptrs[4], kd, 0.0, colp, kd)
                else:
                    _gemm(k, dt, False, True, g.p, kd, o, src, o, k.ptrs[1], o, 0.0, colp, kd)

                def tap(oh, ow, i, j, ih, iw, inside):
                    with b.if_then(inside):
                        rbase = b.mul(b.add(b.mul(oh, i64(g.ow)), ow), i64(kd))
                        cbase = b.add(rbase, b.mul(b.add(b.mul(i, i64(g.kw)), j), i64(g.c)))
                        xb = pixel(k, st, n, ih, iw)

                        def add(c):
                            lin = b.add(xb, c)
                            v = k.load(colp, cdt, b.add(cbase, c))
                            if cdt != dt:  # eager's float16 `cols`, added in float16
                                v = b.fptrunc(v, reg_type(dt))
                            k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, add, name="c", short=lanes_short(g.c))
                taps_outermost(k, g, tap)
            _images(k, g, dt, kd, o, per_image, image)
        else:
            zero(k, k.ptrs[0], dt, out.size)
        lw.call_kernel(k, [out, f, dy, col if col is not None else out, ft or out])
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "conv2d": lower_conv2d,
    "conv2d_backprop_filter": lower_backprop_filter,
    "conv2d_backprop_input": lower_backprop_input,
    **_POOL_LOWERINGS,
}

__all__ = ["LOWERINGS"]
