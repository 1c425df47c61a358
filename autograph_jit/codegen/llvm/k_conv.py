"""Native NHWC convolution and pooling: conv2d, its two backprop ops, max/avg pool and their grads.

Convolutions (float32/float64) are im2col + BLAS gemm (runtime/blas.py, single-threaded), image by
image; when the whole batch's columns fit SCRATCH_MAX each image gets its own scratch block and
images are split across cores (ag_parallel_for, parallel.py):
- conv2d: im2col of image n into a [OH*OW, KH*KW*C] block (taps outside the image written as
  zeros), then cols @ filter[KH*KW*C, O] straight into the output;
- backprop_filter: im2col of every image, then dF = cols^T @ dy as one product over all N*OH*OW
  rows, split by rows of dF across cores (or, past SCRATCH_MAX, dF += cols_n^T @ dy_n serially);
- backprop_input: cols = dy_n @ filter^T, then col2im adds each tap's column block back into
  the (zeroed) input gradient of image n.
Pooling is a direct loop nest with channels innermost (the loop LLVM vectorizes). Every tap
position is checked against the image before it is read or written (padding is never memory);
window geometry comes from conv_ops._geometry, the interpreter's own rule, and operand shapes are
checked at compile time (a mismatch leaves the op to the interpreter, which reports it as eager).
float16 stays on the interpreter.
"""
from llvmlite import ir

from ...ops.conv_ops import _geometry
from ...ops.opdef import InvalidArgumentError
from .emit import I1, I8, I64, PTR, Kernel, Loops, i64, reg_type, storage_type
from .k_array import NotLowerable

_BLAS = {"float32": "ag_matmul_f32", "float64": "ag_matmul_f64"}
_LIMIT = 2 ** 31  # SciPy's BLAS is LP64
SCRATCH_MAX = 64 << 20  # bytes of im2col columns for a whole batch (else one image at a time)
PARALLEL_FLOPS = 1 << 21  # multiply-adds below which threads cost more than they save
ROWS_MIN = 16  # filter-gradient rows per parallel chunk


class _Geo:
    """Window geometry of one op: sizes, strides, dilations and the padding before."""

    def __init__(self, op, x_shape, ksize, strides, padding, dilations=(1, 1)):
        self.n, self.h, self.w, self.c = (int(d) for d in x_shape)
        self.kh, self.kw = (int(d) for d in ksize)
        self.sh, self.sw = strides
        self.dh, self.dw = dilations
        try:
            (self.oh, self.ow), ((self.pt, _), (self.pl, _)) = _geometry(
                op, self.h, self.w, (self.kh, self.kw), strides, padding, dilations)
        except InvalidArgumentError as e:  # the interpreter raises it, at run time
            raise NotLowerable(str(e)) from e

    def expect(self, what, shape, want):
        """Operand shapes the kernel relies on (else the interpreter runs the op: it raises or
        broadcasts exactly as eager does, and nothing is read out of bounds)."""
        if tuple(shape) != tuple(want):
            raise NotLowerable(f"{what} of shape {tuple(shape)} where {tuple(want)} is expected")

    @property
    def p(self):
        return self.oh * self.ow


def _blas_fn(k, dt):
    from ...runtime import blas
    return blas.declare(k.fn.module, _BLAS[dt.name])


def _check_blas(dt, *dims):
    """Raise NotLowerable (before any code is emitted) unless BLAS can run this product."""
    if dt.name not in _BLAS:
        raise NotLowerable(f"{dt.name} convolution runs on the interpreter")
    if max(dims) >= _LIMIT:
        raise NotLowerable("convolution too large for 32-bit BLAS indices")
    try:
        from ...runtime import blas
        from .k_matmul import _single_threaded_blas
        blas.install()
        _single_threaded_blas()
    except Exception as e:  # SciPy missing or unusable
        raise NotLowerable(f"BLAS unavailable: {type(e).__name__}: {e}") from e


def _dense(lw, view):
    """A contiguous view of `view` (a copy into the workspace when it is strided)."""
    if view.is_contiguous:
        return view
    from .k_map import emit_copy
    dst = lw.alloc_spec(view.dtype, view.shape)
    emit_copy(lw, dst, view, annotation="contiguous copy for BLAS")
    return dst


def _gemm(k, fn, dt, ta, tb, m, n, kd, a, lda, b_, ldb, beta, c, ldc):
    ty = reg_type(dt)
    if not isinstance(beta, ir.Value):
        beta = ir.Constant(ty, beta)
    m, n, kd = (v if isinstance(v, ir.Value) else i64(v) for v in (m, n, kd))
    k.b.call(fn, [ir.Constant(I1, int(ta)), ir.Constant(I1, int(tb)), m, n, kd,
                  ir.Constant(ty, 1.0), a, i64(lda), b_, i64(ldb), beta, c, i64(ldc)])


def _at(k, ptr, dt, offset):
    """ptr + offset elements of dt."""
    return k.b.gep(ptr, [offset], source_etype=storage_type(dt))


def _taps(k, g, oh, ow, body):
    """For each kernel tap (i, j) of output (oh, ow): body(i, j, ih, iw, inside: i1)."""
    b = k.b
    ih0 = b.sub(b.mul(oh, i64(g.sh)), i64(g.pt))
    iw0 = b.sub(b.mul(ow, i64(g.sw)), i64(g.pl))

    def ti(i):
        ih = b.add(ih0, b.mul(i, i64(g.dh)))
        in_h = b.icmp_unsigned("<", ih, i64(g.h))  # negative wraps to huge: outside

        def tj(j):
            iw = b.add(iw0, b.mul(j, i64(g.dw)))
            body(i, j, ih, iw, b.and_(in_h, b.icmp_unsigned("<", iw, i64(g.w))))
        k.loops.range(g.kw, tj, name="tj")
    k.loops.range(g.kh, ti, name="ti")


def _outputs(k, g, body):
    """body(oh, ow) over every output position."""
    k.loops.range(g.oh, lambda oh: k.loops.range(g.ow, lambda ow: body(oh, ow), name="ow"),
                  name="oh")


def _pixel(k, st, n, ih, iw):
    b = k.b
    return b.add(b.add(b.mul(n, i64(st[0])), b.mul(ih, i64(st[1]))), b.mul(iw, i64(st[2])))


def _im2col(k, g, dt, x_strides, xp, colp, n):
    """colp[(oh*OW + ow), (i*KW + j)*C + c] = x[n, ih, iw, c], or 0 outside the image."""
    b = k.b
    kd = g.kh * g.kw * g.c
    zero = ir.Constant(reg_type(dt), 0)
    sc = x_strides[3]

    def at(oh, ow):
        rbase = b.mul(b.add(b.mul(oh, i64(g.ow)), ow), i64(kd))

        def tap(i, j, ih, iw, inside):
            cbase = b.add(rbase, b.mul(b.add(b.mul(i, i64(g.kw)), j), i64(g.c)))
            with b.if_else(inside) as (then, other):
                with then:
                    xb = _pixel(k, x_strides, n, ih, iw)
                    k.loops.range(g.c, lambda c: k.store(
                        k.load(xp, dt, b.add(xb, b.mul(c, i64(sc)))), colp, dt,
                        b.add(cbase, c)), name="c")
                with other:
                    k.loops.range(g.c, lambda c: k.store(zero, colp, dt, b.add(cbase, c)),
                                  name="z")
        _taps(k, g, oh, ow, tap)
    _outputs(k, g, at)


def _zero(k, ptr, dt, count, base=None):
    b = k.b
    zero = ir.Constant(reg_type(dt), 0)
    k.loops.range(count, lambda i: k.store(zero, ptr, dt, i if base is None else b.add(base, i)),
                  name="zero")


def _conv_geo(op, node, x_shape, f_shape):
    a = node.attrs
    return _Geo(op, x_shape, f_shape[:2], a["strides"], a["padding"], a["dilations"])


def _scratch(lw, dt, g, kd):
    """(scratch view, per-image) for im2col columns: one [P, K] block per image when the whole
    batch fits SCRATCH_MAX (images then run in parallel), else one block reused serially."""
    if not g.p * kd:
        return None, False
    per_image = g.n * g.p * kd * dt.size <= SCRATCH_MAX and g.n > 1
    return lw.alloc_spec(dt, ((g.n if per_image else 1) * g.p, kd)), per_image


def _images(k, g, dt, kd, o, per_image, body):
    """body(n, col_ptr) for every image, across cores when each image has its own scratch."""
    def run(begin, end):
        b = k.b  # the chunk function's builder when split across cores

        def one(j):
            n = b.add(begin, j)
            col = _at(k, k.ptrs[3], dt, b.mul(n, i64(g.p * kd))) if per_image else k.ptrs[3]
            body(n, col)
        k.loops.range(b.sub(end, begin), one, name="n")
    if per_image and g.n * g.p * kd * o >= PARALLEL_FLOPS:
        _parallel(k, g.n, 1, run)
    else:
        run(i64(0), i64(g.n))


def _parallel(k, n, min_chunk, body):
    """body(begin, end) over [0, n), split across cores by ag_parallel_for (parallel.py) when
    it is available; the chunk function sees the kernel's pointers through a context array."""
    from . import parallel
    try:
        parallel.install()
    except Exception:  # no threads on this platform: stay serial
        body(i64(0), i64(n))
        return
    module = k.fn.module
    chunk = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]),
                        name=f"{k.fn.name}_chunk{len(module.globals)}")
    chunk.linkage = "internal"
    ctx, begin, end = chunk.args
    cb = ir.IRBuilder(chunk.append_basic_block("entry"))
    n_ptrs = len(k.ptrs)
    ptrs = [cb.load(cb.gep(ctx, [i64(j)], source_etype=PTR), typ=PTR) for j in range(n_ptrs)]
    saved = (k.b, k.loops, k.ptrs)
    k.b, k.loops, k.ptrs = cb, Loops(cb), ptrs
    try:
        body(begin, end)
        cb.ret_void()
    finally:
        k.b, k.loops, k.ptrs = saved
    arr = k.alloca(ir.ArrayType(PTR, n_ptrs))
    for j, p in enumerate(k.ptrs):
        k.b.store(p, k.b.gep(arr, [i64(0), i64(j)]))
    fn = module.globals.get("ag_parallel_for") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64]), name="ag_parallel_for")
    k.b.call(fn, [chunk, arr, i64(n), i64(min_chunk)])


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
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d"), 4, lw.annotate(node, "im2col+gemm"))
        if kd == 0:
            _zero(k, k.ptrs[0], dt, out.size)
        else:
            fn = _blas_fn(k, dt)

            def image(n, colp):
                _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n)
                dst = _at(k, k.ptrs[0], dt, k.b.mul(n, i64(g.p * o)))
                _gemm(k, fn, dt, False, False, g.p, o, kd, colp, kd, k.ptrs[2], o, 0.0, dst, o)
            _images(k, g, dt, kd, o, per_image, image)
        lw.call_kernel(k, [out, x, f, col if col is not None else out])
    lw.bind(node.outputs[0], out)


def lower_backprop_filter(lw, node):
    """dF[K, O] = sum over images of cols_n^T @ dy_n. With per-image scratch: im2col of every
    image (in parallel), then one product over all N*P rows, split by rows of dF across cores."""
    xv, _, dyv = node.data_inputs
    x, dy = lw.view(xv), lw.view(dyv)
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    g = _conv_geo("Conv2DBackpropFilter", node, x.shape, out_spec.shape)
    o = out_spec.shape[3]
    g.expect("filter_sizes", out_spec.shape, (g.kh, g.kw, g.c, o))
    g.expect("out_backprop", dy.shape, (g.n, g.oh, g.ow, o))
    kd = g.kh * g.kw * g.c
    _check_blas(dt, g.n * g.p, kd, o)
    dy = _dense(lw, dy)
    col, per_image = _scratch(lw, dt, g, kd)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d_backprop_filter"), 4,
                   lw.annotate(node, "im2col+gemm"))
        if g.p == 0 or g.n == 0:
            _zero(k, k.ptrs[0], dt, out.size)
        elif per_image:
            fn = _blas_fn(k, dt)
            _images(k, g, dt, kd, o, True,
                    lambda n, colp: _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n))

            def rows(begin, end):
                b = k.b
                _gemm(k, fn, dt, True, False, b.sub(end, begin), o, g.n * g.p,
                      _at(k, k.ptrs[3], dt, begin), kd, k.ptrs[2], o, 0.0,
                      _at(k, k.ptrs[0], dt, b.mul(begin, i64(o))), o)
            if kd >= 2 * ROWS_MIN and g.n * g.p * kd * o >= PARALLEL_FLOPS:
                _parallel(k, kd, ROWS_MIN, rows)
            else:
                rows(i64(0), i64(kd))
        else:
            fn = _blas_fn(k, dt)
            ty = reg_type(dt)

            def image(n, colp):
                b = k.b
                _im2col(k, g, dt, x.strides, k.ptrs[1], colp, n)
                beta = b.select(b.icmp_signed("==", n, i64(0)), ir.Constant(ty, 0.0),
                                ir.Constant(ty, 1.0))
                src = _at(k, k.ptrs[2], dt, b.mul(n, i64(g.p * o)))
                _gemm(k, fn, dt, True, False, kd, o, g.p, colp, kd, src, o, beta, k.ptrs[0], o)
            _images(k, g, dt, kd, o, False, image)
        lw.call_kernel(k, [out, x, dy, col if col is not None else out])
    lw.bind(node.outputs[0], out)


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
    _check_blas(dt, g.p, kd, o)
    f, dy = _dense(lw, f), _dense(lw, dy)
    col, per_image = _scratch(lw, dt, g, kd)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("conv2d_backprop_input"), 4,
                   lw.annotate(node, "gemm+col2im"))
        if g.p and kd and o:
            fn = _blas_fn(k, dt)
            st = out.strides

            def image(n, colp):
                b = k.b
                _zero(k, k.ptrs[0], dt, g.h * g.w * g.c, b.mul(n, i64(g.h * g.w * g.c)))
                src = _at(k, k.ptrs[2], dt, b.mul(n, i64(g.p * o)))
                _gemm(k, fn, dt, False, True, g.p, kd, o, src, o, k.ptrs[1], o, 0.0, colp, kd)

                def at(oh, ow):
                    rbase = b.mul(b.add(b.mul(oh, i64(g.ow)), ow), i64(kd))

                    def tap(i, j, ih, iw, inside):
                        with b.if_then(inside):
                            cbase = b.add(rbase, b.mul(b.add(b.mul(i, i64(g.kw)), j), i64(g.c)))
                            xb = _pixel(k, st, n, ih, iw)

                            def add(c):
                                lin = b.add(xb, c)
                                v = k.load(colp, dt, b.add(cbase, c))
                                k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                            k.loops.range(g.c, add, name="c")
                    _taps(k, g, oh, ow, tap)
                _outputs(k, g, at)
            _images(k, g, dt, kd, o, per_image, image)
        else:
            _zero(k, k.ptrs[0], dt, out.size)
        lw.call_kernel(k, [out, f, dy, col if col is not None else out])
    lw.bind(node.outputs[0], out)


# ----------------------------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------------------------

def _pool_geo(op, node, x_shape):
    a = node.attrs
    return _Geo(op, x_shape, a["ksize"], a["strides"], a["padding"])


def _lowest(dt):
    if dt.is_floating:
        return float("-inf")
    if dt.is_unsigned:
        return 0
    return -(1 << (dt.size * 8 - 1))


def _greater(k, dt, a, b_):
    """a > b in dt's order (floats: ordered, so NaN is never greater)."""
    b = k.b
    if dt.is_floating:
        return b.fcmp_ordered(">", a, b_)
    return (b.icmp_unsigned if dt.is_unsigned else b.icmp_signed)(">", a, b_)


def _is_nan(k, dt, v):
    return k.b.fcmp_unordered("uno", v, v) if dt.is_floating else ir.Constant(I1, 0)


def _window_count(k, g, oh, ow):
    """How many taps of window (oh, ow) lie inside the image (an i64)."""
    b = k.b

    def span(o, s, pad, size, kk):
        lo = b.sub(b.mul(o, i64(s)), i64(pad))
        hi = b.add(lo, i64(kk))
        lo = b.select(b.icmp_signed("<", lo, i64(0)), i64(0), lo)
        return b.sub(b.select(b.icmp_signed(">", hi, i64(size)), i64(size), hi), lo)
    return b.mul(span(oh, g.sh, g.pt, g.h, g.kh), span(ow, g.sw, g.pl, g.w, g.kw))


def lower_max_pool(lw, node):
    xv = node.data_inputs[0]
    x = lw.view(xv)
    dt = x.dtype
    if dt.name == "bool":
        raise NotLowerable("bool max_pool2d runs on the interpreter")
    g = _pool_geo("MaxPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool2d"), 2, lw.annotate(node))
        b = k.b
        st, ost = x.strides, out.strides
        low = ir.Constant(reg_type(dt), _lowest(dt))

        def image(n):
            def at(oh, ow):
                ob = _pixel(k, ost, n, oh, ow)
                k.loops.range(g.c, lambda c: k.store(low, k.ptrs[0], dt, b.add(ob, c)),
                              name="init")

                def tap(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = _pixel(k, st, n, ih, iw)

                        def mx(c):
                            lin = b.add(ob, c)
                            cur = k.load(k.ptrs[0], dt, lin)
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            if dt.is_floating:  # NaN propagates, as NumPy's max
                                take = b.or_(_greater(k, dt, v, cur), _is_nan(k, dt, v))
                            else:
                                take = _greater(k, dt, v, cur)
                            k.store(b.select(take, v, cur), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, mx, name="c")
                _taps(k, g, oh, ow, tap)
            _outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


def _float_pool(dt, op):
    if dt.name not in _BLAS:
        raise NotLowerable(f"{dt.name} {op} runs on the interpreter")


def lower_avg_pool(lw, node):
    x = lw.view(node.data_inputs[0])
    dt = x.dtype
    _float_pool(dt, "avg_pool2d")
    g = _pool_geo("AvgPool", node, x.shape)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("avg_pool2d"), 2, lw.annotate(node))
        b = k.b
        st, ost = x.strides, out.strides
        ty = reg_type(dt)

        def image(n):
            def at(oh, ow):
                ob = _pixel(k, ost, n, oh, ow)
                _zero(k, k.ptrs[0], dt, g.c, ob)

                def tap(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = _pixel(k, st, n, ih, iw)

                        def acc(c):
                            lin = b.add(ob, c)
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, acc, name="c")
                _taps(k, g, oh, ow, tap)
                count = b.sitofp(_window_count(k, g, oh, ow), ty)

                def div(c):
                    lin = b.add(ob, c)
                    k.store(b.fdiv(k.load(k.ptrs[0], dt, lin), count), k.ptrs[0], dt, lin)
                k.loops.range(g.c, div, name="d")
            _outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x])
    lw.bind(node.outputs[0], out)


def lower_avg_pool_grad(lw, node):
    gv = node.data_inputs[1]
    gr = lw.view(gv)
    out_spec = lw.spec(node.outputs[0])
    dt = out_spec.dtype
    _float_pool(dt, "avg_pool_grad")
    g = _pool_geo("AvgPoolGrad", node, out_spec.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("avg_pool_grad"), 2, lw.annotate(node))
        b = k.b
        gst, ost = gr.strides, out.strides
        ty = reg_type(dt)
        _zero(k, k.ptrs[0], dt, out.size)

        def image(n):
            def at(oh, ow):
                gb = _pixel(k, gst, n, oh, ow)
                count = b.sitofp(_window_count(k, g, oh, ow), ty)

                def tap(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = _pixel(k, ost, n, ih, iw)

                        def add(c):
                            lin = b.add(xb, c)
                            v = b.fdiv(k.load(k.ptrs[1], dt, b.add(gb, b.mul(c, i64(gst[3])))),
                                       count)
                            k.store(b.fadd(k.load(k.ptrs[0], dt, lin), v), k.ptrs[0], dt, lin)
                        k.loops.range(g.c, add, name="c")
                _taps(k, g, oh, ow, tap)
            _outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, gr])
    lw.bind(node.outputs[0], out)


def lower_max_pool_grad(lw, node):
    """Each window's gradient goes to its first maximum in row-major tap order (NaN counts as
    the maximum, as NumPy's argmax); a first maximum on padding is dropped, as the interpreter's
    crop. Two passes a window, channels innermost: the max of every channel, then each tap adds
    g (or 0, as the interpreter's where) where it is the first tap equal to that max."""
    from ... import dtypes
    xv, gv = node.data_inputs
    x, gr = lw.view(xv), lw.view(gv)
    dt = x.dtype
    _float_pool(dt, "max_pool_grad")
    g = _pool_geo("MaxPoolGrad", node, x.shape)
    g.expect("grad", gr.shape, (g.n, g.oh, g.ow, g.c))
    row_max = lw.alloc_spec(dt, (max(g.c, 1),))
    done = lw.alloc_spec(dtypes.uint8, (max(g.c, 1),))
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        k = Kernel(lw.module, lw.fresh_name("max_pool_grad"), 5, lw.annotate(node))
        b = k.b
        st, gst, ost = x.strides, gr.strides, out.strides
        ty = reg_type(dt)
        low = ir.Constant(ty, _lowest(dt))
        zero = ir.Constant(ty, 0.0)
        mx, dn = k.ptrs[3], k.ptrs[4]
        u8 = dtypes.uint8
        _zero(k, k.ptrs[0], dt, out.size)

        def first_max(v, m):
            return b.or_(b.fcmp_ordered("==", v, m), b.and_(_is_nan(k, dt, v), _is_nan(k, dt, m)))

        def image(n):
            def at(oh, ow):
                gb = _pixel(k, gst, n, oh, ow)

                def init(c):
                    k.store(low, mx, dt, c)
                    k.store(ir.Constant(I8, 0), dn, u8, c)
                k.loops.range(g.c, init, name="init")

                def window_max(i, j, ih, iw, inside):
                    with b.if_then(inside):
                        xb = _pixel(k, st, n, ih, iw)

                        def upd(c):
                            v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                            cur = k.load(mx, dt, c)
                            take = b.or_(_greater(k, dt, v, cur), _is_nan(k, dt, v))
                            k.store(b.select(take, v, cur), mx, dt, c)
                        k.loops.range(g.c, upd, name="m")
                _taps(k, g, oh, ow, window_max)

                def route(i, j, ih, iw, inside):
                    with b.if_else(inside) as (then, other):
                        with then:
                            xb = _pixel(k, st, n, ih, iw)
                            ob = _pixel(k, ost, n, ih, iw)

                            def add(c):
                                v = k.load(k.ptrs[1], dt, b.add(xb, b.mul(c, i64(st[3]))))
                                was = k.load(dn, u8, c)
                                hit = b.and_(b.icmp_unsigned("==", was, ir.Constant(I8, 0)),
                                             first_max(v, k.load(mx, dt, c)))
                                gval = k.load(k.ptrs[2], dt, b.add(gb, b.mul(c, i64(gst[3]))))
                                lin = b.add(ob, c)
                                share = b.select(hit, gval, zero)
                                k.store(b.fadd(k.load(k.ptrs[0], dt, lin), share), k.ptrs[0], dt,
                                        lin)
                                k.store(b.or_(was, b.zext(hit, I8)), dn, u8, c)
                            k.loops.range(g.c, add, name="r")
                        with other:  # a padded tap holds the lowest value: it may be the max
                            def pad(c):
                                hit = b.fcmp_ordered("==", low, k.load(mx, dt, c))
                                k.store(b.or_(k.load(dn, u8, c), b.zext(hit, I8)), dn, u8, c)
                            k.loops.range(g.c, pad, name="p")
                _taps(k, g, oh, ow, route)
            _outputs(k, g, at)
        k.loops.range(g.n, image, name="n")
        lw.call_kernel(k, [out, x, gr, row_max, done])
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "conv2d": lower_conv2d,
    "conv2d_backprop_filter": lower_backprop_filter,
    "conv2d_backprop_input": lower_backprop_input,
    "max_pool2d": lower_max_pool,
    "avg_pool2d": lower_avg_pool,
    "max_pool_grad": lower_max_pool_grad,
    "avg_pool_grad": lower_avg_pool_grad,
}

__all__ = ["LOWERINGS"]
