"""Op specs for tf.nn ops (see opspec.py), with NumPy references.

Conv and pool references are written with plain loops over output pixels and kernel taps (bounds
checks instead of padding), independent of the kernels' im2col. Each activation gets a tight
float32/float64 spec and a separate float16 spec with a half-precision tolerance.
"""
import math

import numpy as np

import autograph_jit as tf
from autograph_jit.ops import conv_ops
from autograph_jit.ops.opdef import apply
from tests.ops.opspec import Case, OpSpec, sample, unary_cases

nn = tf.nn
F32_64 = (np.float32, np.float64)
RNG = np.random.default_rng(1234)


def _r(shape, dtype=np.float64, low=-3.0, high=3.0):
    return sample(RNG, shape, dtype, low, high)


def _as(out, like):
    return np.asarray(out).astype(like.dtype)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


# ----------------------------------------------------------------------------------------------
# elementwise activations
# ----------------------------------------------------------------------------------------------

_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
SHAPES = [(), (5,), (2, 3), (0,), (2, 0, 3), (2, 3, 4)]


def _act(name, fn, ref, covers=None, low=-3.0, high=3.0, grad=True, **kwargs):
    """A f32/f64 spec (with gradients) and a float16 spec for one activation."""
    covers = covers or (name,)

    def r(x, **kw):
        return _as(ref(x.astype(np.float64), **kw), x)
    main = OpSpec(name, fn=fn, ref=r, covers=covers, grad=grad,
                  cases=unary_cases(F32_64, low, high, shapes=SHAPES, **kwargs),
                  rtol=1e-6, atol=1e-6)
    half = OpSpec(name + "/float16", fn=fn, ref=r, rtol=2e-3, atol=2e-3,
                  cases=unary_cases((np.float16,), low, high, shapes=SHAPES, **kwargs))
    return [main, half]


def _gelu(x, approximate=False):
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


ACTIVATIONS = (
    _act("relu", nn.relu, lambda x: np.maximum(x, 0))
    + [OpSpec("relu/int", fn=nn.relu, ref=lambda x: np.maximum(x, 0).astype(x.dtype),
              cases=unary_cases((np.int32, np.int64)))]
    + _act("relu6", nn.relu6, lambda x: np.clip(x, 0, 6), low=-3, high=9)
    + _act("leaky_relu", nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x))
    + _act("leaky_relu/alpha", lambda x, alpha: nn.leaky_relu(x, alpha=alpha),
           lambda x, alpha: np.where(x > 0, x, alpha * x), covers=("leaky_relu",), alpha=0.5)
    + _act("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)))
    + _act("selu", nn.selu, lambda x: _SELU_S * np.where(x > 0, x, _SELU_A * np.expm1(x)))
    + _act("softplus", nn.softplus, lambda x: np.log1p(np.exp(x)))
    + _act("softsign", nn.softsign, lambda x: x / (1 + np.abs(x)),
           covers=("abs", "add", "divide"))
    + _act("silu", nn.silu, lambda x: x * _sigmoid(x), covers=("sigmoid", "multiply"))
    + _act("silu/beta", lambda x, beta: nn.swish(x, beta=beta),
           lambda x, beta: x * _sigmoid(beta * x), covers=("sigmoid", "multiply"), beta=1.5)
    + _act("gelu", nn.gelu, _gelu, covers=("erf", "multiply", "add", "divide"))
    + _act("gelu/approximate", lambda x: nn.gelu(x, approximate=True),
           lambda x: _gelu(x, True), covers=("tanh", "pow", "multiply", "add"))
    + _act("nn.sigmoid", nn.sigmoid, _sigmoid, covers=("sigmoid",))
    + _act("nn.tanh", nn.tanh, np.tanh, covers=("tanh",))
)

# ----------------------------------------------------------------------------------------------
# softmax family and losses
# ----------------------------------------------------------------------------------------------


def _log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _axis_cases(dtypes, shapes_axes):
    return [Case((_r(s, dt),), {} if a is None else {"axis": a})
            for dt in dtypes for s, a in shapes_axes]


SOFTMAX_SHAPES = [((5,), None), ((2, 3), None), ((2, 3, 4), 1), ((2, 3), 0), ((4, 3), -2),
                  ((0, 3), None)]


def _softmax_specs(name, fn, ref):
    def r(x, axis=-1):
        return _as(ref(x, axis), x)
    return [OpSpec(name, fn=fn, ref=r, grad=True, cases=_axis_cases(F32_64, SOFTMAX_SHAPES)),
            OpSpec(name + "/float16", fn=fn, ref=r, rtol=2e-3, atol=2e-3,
                   cases=_axis_cases((np.float16,), SOFTMAX_SHAPES))]


def _one_hot(labels, depth):
    return (labels[..., None] == np.arange(depth)).astype(np.float64)


def _sparse_ref(labels, logits):
    return _as(-np.sum(_one_hot(labels, logits.shape[-1]) * _log_softmax(logits), -1), logits)


_SPARSE_CASES = [Case((RNG.integers(0, n, lab).astype(ldt), _r(lab + (n,), dt)))
                 for dt in F32_64 for ldt in (np.int32, np.int64)
                 for lab, n in [((4,), 5), ((2, 3), 4), ((1,), 1), ((0,), 3)]]
_sparse_spec = OpSpec(
    "sparse_softmax_cross_entropy_with_logits",
    fn=lambda labels, logits: nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                          logits=logits),
    ref=_sparse_ref, grad=True, grad_args=(1,), rtol=1e-5, atol=1e-6,
    covers=("sparse_softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_grad",
            "expand_dims", "multiply"),
    cases=_SPARSE_CASES,
    grad_cases=[c for c in _SPARSE_CASES if c.args[1].dtype == np.float64 and c.args[1].size])


def _distribution(shape, axis=-1):
    p = RNG.uniform(0.1, 1, shape)
    return p / p.sum(axis=axis, keepdims=True)


def _xent_ref(labels, logits, axis=-1):
    return _as(-np.sum(labels * _log_softmax(logits, axis), axis), logits)


def _sig_xent_ref(labels, logits):
    x, z = logits.astype(np.float64), labels.astype(np.float64)
    return _as(np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))), logits)


LOSSES = (
    _softmax_specs("softmax", nn.softmax, lambda x, a: np.exp(_log_softmax(x, a)))
    + _softmax_specs("log_softmax", nn.log_softmax, _log_softmax)
    + [
        _sparse_spec,
        OpSpec("softmax_cross_entropy_with_logits",
               fn=lambda labels, logits, **kw: nn.softmax_cross_entropy_with_logits(
                   labels, logits, **kw),
               ref=_xent_ref, grad=True, rtol=1e-5, atol=1e-6,
               covers=("softmax_cross_entropy_with_logits", "softmax", "log_softmax",
                       "expand_dims"),
               cases=[Case((_distribution(s, a).astype(dt), _r(s, dt)), {"axis": a})
                      for dt in F32_64 for s, a in [((5,), -1), ((3, 4), -1), ((3, 4), 0),
                                                    ((2, 3, 4), 1)]]),
        OpSpec("sigmoid_cross_entropy_with_logits",
               fn=lambda labels, logits: nn.sigmoid_cross_entropy_with_logits(
                   labels=labels, logits=logits),
               ref=_sig_xent_ref, grad=True, rtol=1e-6, atol=1e-6,
               covers=("greater_equal", "select", "negative", "subtract", "multiply", "add",
                       "log1p", "exp"),
               cases=[Case((RNG.uniform(0, 1, s).astype(dt), _r(s, dt, -6, 6)))
                      for dt in F32_64 for s in [(), (5,), (2, 3), (0, 2)]]),
        OpSpec("l2_loss", fn=nn.l2_loss, ref=lambda x: _as(np.sum(x.astype(np.float64) ** 2) / 2,
                                                           x),
               grad=True, rtol=1e-5, covers=("square", "reduce_sum", "multiply"),
               cases=unary_cases(F32_64, shapes=[(), (5,), (2, 3), (0,)])),
    ])

# ----------------------------------------------------------------------------------------------
# bias_add, moments, dropout
# ----------------------------------------------------------------------------------------------


def _bias_ref(value, bias, data_format=None):
    shape = [1] * value.ndim
    shape[1 if data_format and data_format.startswith("NC") else -1] = -1
    return value + bias.reshape(shape)


def _moments_ref(which):
    def ref(x, axes, keepdims=False):
        x64 = x.astype(np.float64)
        out = x64.mean(axis=tuple(axes), keepdims=keepdims) if which == 0 else x64.var(
            axis=tuple(axes), keepdims=keepdims)
        return _as(out, x)
    return ref


_MOMENT_CASES = [Case((_r(s, dt),), {"axes": a, **kw}) for dt in F32_64
                 for s, a, kw in [((5,), [0], {}), ((2, 3, 4), [0, 1], {}),
                                  ((2, 3), [1], {"keepdims": True}), ((4, 3), [0], {})]]


def _dropout_is_scaled_or_zero(x, rate):
    y = nn.dropout(x, rate, seed=7)
    return tf.logical_or(tf.equal(y, 0), tf.equal(y, x * (1 / (1 - rate))))


MISC = [
    OpSpec("bias_add", fn=lambda v, b, **kw: nn.bias_add(v, b, **kw), ref=_bias_ref, grad=True,
           covers=("bias_add", "reduce_sum"),
           cases=[Case((_r(v, dt), _r(b, dt)), kw) for dt in (np.float16,) + F32_64
                  for v, b, kw in [((2, 3), (3,), {}), ((2, 3, 4, 5), (5,), {}),
                                   ((2, 3, 4), (3,), {"data_format": "NCHW"}),
                                   ((2, 4, 3), (3,), {"data_format": "NHWC"}),
                                   ((0, 3), (3,), {})]]
           + [Case((_r((2, 3), np.int32), _r((3,), np.int32)))]),
    OpSpec("moments/mean", fn=lambda x, **kw: nn.moments(x, **kw)[0], ref=_moments_ref(0),
           grad=True, rtol=1e-5, covers=("reduce_mean", "squeeze"), cases=_MOMENT_CASES),
    OpSpec("moments/variance", fn=lambda x, **kw: nn.moments(x, **kw)[1], ref=_moments_ref(1),
           grad=True, rtol=1e-5,
           covers=("reduce_mean", "subtract", "multiply", "stop_gradient", "squeeze"),
           cases=_MOMENT_CASES),
    OpSpec("dropout/rate0", fn=lambda x: nn.dropout(x, 0.0), ref=lambda x: x, grad=True,
           covers=(), cases=unary_cases(F32_64, shapes=[(5,), (2, 3)])),
    OpSpec("dropout/values", fn=_dropout_is_scaled_or_zero,
           ref=lambda x, rate: np.ones(x.shape, bool),
           covers=("random_uniform", "greater_equal"),
           cases=[Case((_r(s, dt, 0.5, 3),), {"rate": r}) for dt in F32_64
                  for s, r in [((20,), 0.5), ((3, 4), 0.25), ((0,), 0.5)]]),
]

# ----------------------------------------------------------------------------------------------
# conv2d and pooling: loop references
# ----------------------------------------------------------------------------------------------


def _geom(size, k, s, d, pad):
    """(output size, padding before) of one spatial dim, TF's rules."""
    ek = (k - 1) * d + 1
    if pad == "VALID":
        before = after = 0
    elif pad == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + ek - size, 0)
        before, after = total // 2, total - total // 2
    else:
        before, after = pad
    return (size + before + after - ek) // s + 1, before


def _pair(v, data_format="NHWC"):
    """TF's int-or-list spatial argument (1, 2 or 4 entries) as (h, w)."""
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 4:
        return v[2:4] if data_format == "NCHW" else v[1:3]
    return v * 2 if len(v) == 1 else v


def _taps(x_hw, f_hw, strides, padding, dilations):
    """Yield (oy, ox, i, j, iy, ix) for every output pixel and kernel tap that reads the input."""
    (h, w), (kh, kw) = x_hw, f_hw
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilations)
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    oh, pt = _geom(h, kh, sh, dh, pad_h)
    ow, pl = _geom(w, kw, sw, dw, pad_w)
    for oy in range(oh):
        for ox in range(ow):
            for i in range(kh):
                for j in range(kw):
                    iy, ix = oy * sh - pt + i * dh, ox * sw - pl + j * dw
                    if 0 <= iy < h and 0 <= ix < w:
                        yield oy, ox, i, j, iy, ix
    return oh, ow


def _out_hw(x_hw, f_hw, strides, padding, dilations):
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilations)
    return (_geom(x_hw[0], f_hw[0], sh, dh, pad_h)[0], _geom(x_hw[1], f_hw[1], sw, dw, pad_w)[0])


def _explicit(padding):
    return padding if isinstance(padding, str) else (tuple(padding[1]), tuple(padding[2]))


def conv2d_ref(x, f, strides, padding, data_format="NHWC", dilations=1):
    if data_format == "NCHW":
        x = x.transpose(0, 2, 3, 1)
    pad = _explicit(padding)
    strides, dilations = _pair(strides, data_format), _pair(dilations, data_format)
    x64, f64 = x.astype(np.float64), f.astype(np.float64)
    oh, ow = _out_hw(x.shape[1:3], f.shape[:2], strides, pad, dilations)
    out = np.zeros((x.shape[0], oh, ow, f.shape[3]))
    for oy, ox, i, j, iy, ix in _taps(x.shape[1:3], f.shape[:2], strides, pad, dilations):
        out[:, oy, ox, :] += x64[:, iy, ix, :] @ f64[i, j]
    if data_format == "NCHW":
        out = out.transpose(0, 3, 1, 2)
    return _as(out, x)


def conv2d_transpose_ref(dy, f, output_shape, strides, padding, dilations=1):
    dx = np.zeros(output_shape)
    for oy, ox, i, j, iy, ix in _taps(output_shape[1:3], f.shape[:2], strides, padding,
                                      dilations):
        dx[:, iy, ix, :] += dy[:, oy, ox, :].astype(np.float64) @ f[i, j].T.astype(np.float64)
    return _as(dx, dy)


def conv2d_backprop_filter_ref(x, dy, filter_sizes, strides, padding, dilations=1):
    df = np.zeros(filter_sizes)
    for oy, ox, i, j, iy, ix in _taps(x.shape[1:3], filter_sizes[:2], strides, padding,
                                      dilations):
        df[i, j] += x[:, iy, ix, :].T.astype(np.float64) @ dy[:, oy, ox, :].astype(np.float64)
    return _as(df, x)


def _pool_taps(x, ksize, strides, padding):
    oh, ow = _out_hw(x.shape[1:3], _pair(ksize), strides, padding, 1)
    groups = {}
    for oy, ox, i, j, iy, ix in _taps(x.shape[1:3], _pair(ksize), strides, padding, 1):
        groups.setdefault((oy, ox), []).append((iy, ix))
    return (oh, ow), groups


def max_pool_ref(x, ksize, strides, padding, data_format="NHWC"):
    ksize, strides = _pair(ksize, data_format), _pair(strides, data_format)
    if data_format == "NCHW":
        x = x.transpose(0, 2, 3, 1)
    (oh, ow), groups = _pool_taps(x, ksize, strides, padding)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    for (oy, ox), pos in groups.items():
        out[:, oy, ox, :] = np.max(np.stack([x[:, iy, ix, :] for iy, ix in pos]), axis=0)
    return out.transpose(0, 3, 1, 2) if data_format == "NCHW" else out


def avg_pool_ref(x, ksize, strides, padding, data_format="NHWC"):
    ksize, strides = _pair(ksize, data_format), _pair(strides, data_format)
    if data_format == "NCHW":
        x = x.transpose(0, 2, 3, 1)
    (oh, ow), groups = _pool_taps(x, ksize, strides, padding)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for (oy, ox), pos in groups.items():
        out[:, oy, ox, :] = np.mean(np.stack([x[:, iy, ix, :] for iy, ix in pos]), axis=0)
    out = _as(out, x)
    return out.transpose(0, 3, 1, 2) if data_format == "NCHW" else out


def max_pool_grad_ref(x, g, ksize, strides, padding):
    dx = np.zeros(x.shape)
    _, groups = _pool_taps(x, ksize, strides, padding)
    for (oy, ox), pos in groups.items():
        vals = np.stack([x[:, iy, ix, :] for iy, ix in pos])  # first max wins ties
        first = vals.argmax(axis=0)
        for n in range(x.shape[0]):
            for c in range(x.shape[3]):
                iy, ix = pos[first[n, c]]
                dx[n, iy, ix, c] += g[n, oy, ox, c]
    return _as(dx, g)


def avg_pool_grad_ref(g, sizes, ksize, strides, padding):
    dx = np.zeros(sizes)
    _, groups = _pool_taps(np.zeros(sizes), ksize, strides, padding)
    for (oy, ox), pos in groups.items():
        for iy, ix in pos:
            dx[:, iy, ix, :] += g[:, oy, ox, :] / len(pos)
    return _as(dx, g)


CONV_GEOMETRIES = [  # (input shape, filter shape, kwargs)
    ((1, 5, 5, 2), (3, 3, 2, 3), dict(strides=1, padding="SAME")),
    ((2, 5, 6, 2), (3, 2, 2, 2), dict(strides=2, padding="SAME")),
    ((1, 7, 5, 1), (3, 3, 1, 2), dict(strides=[2, 1], padding="VALID")),
    ((2, 6, 6, 3), (2, 2, 3, 2), dict(strides=[1, 2, 2, 1], padding="VALID")),
    ((1, 6, 6, 2), (2, 2, 2, 1), dict(strides=1, padding="SAME", dilations=2)),
    ((1, 4, 5, 2), (3, 3, 2, 2), dict(strides=2,
                                      padding=[[0, 0], [1, 2], [0, 1], [0, 0]])),
    ((1, 4, 4, 1), (1, 1, 1, 1), dict(strides=3, padding="VALID")),
]


def _conv_cases(dtypes):
    return [Case((_r(xs, dt), _r(fs, dt)), dict(kw)) for dt in dtypes
            for xs, fs, kw in CONV_GEOMETRIES]


def _raw_attrs(strides, padding, dilations=1):
    return dict(strides=_pair(strides), dilations=_pair(dilations),
                padding=conv_ops._padding(padding, "NHWC", "test"))


def _backprop_filter(x, dy, filter_sizes, **kw):
    return apply(conv_ops._conv_backprop_filter, x, tf.constant(filter_sizes, tf.int32), dy,
                 **_raw_attrs(**kw))


def _grad_cases(dtypes, out_of):
    """(x-like, output-gradient-like) pairs for the backprop ops, from CONV_GEOMETRIES."""
    cases = []
    for dt in dtypes:
        for xs, fs, kw in CONV_GEOMETRIES:
            kw = dict(kw)
            pad = _explicit(kw["padding"])
            kw["strides"] = _pair(kw["strides"])
            oh, ow = _out_hw(xs[1:3], fs[:2], kw["strides"], pad, kw.get("dilations", 1))
            kw["padding"] = pad
            cases.append(out_of(dt, xs, fs, (xs[0], oh, ow, fs[3]), kw))
    return cases


def _pool_cases(dtypes):
    geos = [((1, 5, 5, 2), dict(ksize=3, strides=2, padding="SAME")),
            ((2, 5, 4, 1), dict(ksize=2, strides=2, padding="SAME")),
            ((1, 7, 6, 2), dict(ksize=[3, 2], strides=[2, 1], padding="VALID")),
            ((1, 4, 4, 3), dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")),
            ((2, 3, 3, 1), dict(ksize=2, strides=1, padding="SAME")),
            ((1, 3, 4, 5), dict(ksize=2, strides=1, padding="SAME", data_format="NCHW"))]
    return [Case((_r(s, dt),), dict(kw)) for dt in dtypes for s, kw in geos]


def _pool_grad_cases(dtypes):
    out = []
    for c in _pool_cases(dtypes):
        x, kw = c.args[0], dict(c.kwargs)
        if kw.pop("data_format", None):
            continue
        kw["ksize"], kw["strides"] = _pair(kw["ksize"]), _pair(kw["strides"])
        oh, ow = _out_hw(x.shape[1:3], kw["ksize"], kw["strides"], kw["padding"], 1)
        out.append((x, _r((x.shape[0], oh, ow, x.shape[3]), x.dtype), kw))
    return out


CONV = [
    OpSpec("conv2d", fn=lambda x, f, **kw: nn.conv2d(x, f, **kw), ref=conv2d_ref, grad=True,
           covers=("conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "shape"),
           cases=_conv_cases(F32_64) + [
               Case((_r((2, 3, 5, 4)), _r((3, 3, 3, 2))),
                    dict(strides=[1, 1, 2, 1], padding="SAME", data_format="NCHW")),
               Case((_r((0, 4, 4, 2)), _r((3, 3, 2, 2))), dict(strides=1, padding="SAME"))],
           rtol=1e-5, atol=1e-5),
    OpSpec("conv2d/float16", fn=lambda x, f, **kw: nn.conv2d(x, f, **kw), ref=conv2d_ref,
           cases=_conv_cases((np.float16,))[:3], rtol=1e-2, atol=2e-2),
    OpSpec("conv2d_transpose",
           fn=lambda dy, f, **kw: nn.conv2d_transpose(dy, f, **kw), ref=conv2d_transpose_ref,
           grad=True, rtol=1e-5, atol=1e-5,
           covers=("conv2d_backprop_input", "conv2d_backprop_filter", "conv2d", "shape"),
           cases=_grad_cases(F32_64, lambda dt, xs, fs, ys, kw: Case(
               (_r(ys, dt), _r(fs, dt)), dict(output_shape=list(xs), **kw)))),
    OpSpec("conv2d_backprop_filter", fn=_backprop_filter, ref=conv2d_backprop_filter_ref,
           grad=True, rtol=1e-5, atol=1e-5,
           covers=("conv2d_backprop_filter", "conv2d_backprop_input", "conv2d", "shape"),
           cases=_grad_cases(F32_64, lambda dt, xs, fs, ys, kw: Case(
               (_r(xs, dt), _r(ys, dt)), dict(filter_sizes=list(fs), **kw)))),
    OpSpec("max_pool2d", fn=lambda x, **kw: nn.max_pool2d(x, **kw), ref=max_pool_ref,
           grad=True, covers=("max_pool2d", "max_pool_grad", "transpose"),
           cases=_pool_cases((np.float16,) + F32_64)
           + [Case((_r((1, 5, 5, 2), np.int32),), dict(ksize=2, strides=2, padding="SAME"))]),
    OpSpec("max_pool", fn=lambda x, **kw: nn.max_pool(x, **kw), ref=max_pool_ref,
           cases=_pool_cases((np.float32,))[:2]),
    OpSpec("avg_pool2d", fn=lambda x, **kw: nn.avg_pool2d(x, **kw), ref=avg_pool_ref,
           grad=True, covers=("avg_pool2d", "avg_pool_grad", "shape", "transpose"),
           cases=_pool_cases(F32_64), rtol=1e-5),
    OpSpec("avg_pool2d/float16", fn=lambda x, **kw: nn.avg_pool2d(x, **kw), ref=avg_pool_ref,
           cases=_pool_cases((np.float16,)), rtol=2e-3, atol=2e-3),
    OpSpec("avg_pool", fn=lambda x, **kw: nn.avg_pool(x, **kw), ref=avg_pool_ref,
           cases=_pool_cases((np.float32,))[:2], rtol=1e-5),
    OpSpec("max_pool_grad",
           fn=lambda x, g, **kw: apply(conv_ops._max_pool_grad, x, g, **kw),
           ref=max_pool_grad_ref, covers=("max_pool_grad",),
           cases=[Case((x, g), kw) for x, g, kw in _pool_grad_cases(F32_64)]
           + [Case((np.ones((1, 3, 3, 1)), np.arange(4.0).reshape(1, 2, 2, 1)),
                   dict(ksize=(2, 2), strides=(1, 1), padding="VALID"))]),
    OpSpec("avg_pool_grad",
           fn=lambda g, sizes, **kw: apply(conv_ops._avg_pool_grad,
                                           tf.constant(sizes, tf.int32), g, **kw),
           ref=avg_pool_grad_ref, covers=("avg_pool_grad", "avg_pool2d"), grad=True,
           grad_args=(0,), rtol=1e-5,
           cases=[Case((g, list(x.shape)), kw) for x, g, kw in _pool_grad_cases(F32_64)]),
]

SPECS = ACTIVATIONS + LOSSES + MISC + CONV
