"""Convolution and pooling OpDefs (NHWC) and `tf.nn.conv2d`, `conv2d_transpose`, `max_pool2d`,
`avg_pool2d`: forward ops plus the backprop ops their VJPs use.

Kernels gather every window at once (im2col through `sliding_window_view`, a strided view, then
one tensordot) and scatter gradients back with a loop over the kh*kw kernel taps only, never over
pixels. Window geometry follows TF: SAME gives ceil(in / stride) outputs with the extra padding
after; VALID gives ceil((in - effective_k + 1) / stride). NCHW is handled by transposing around
the NHWC ops.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ir.types import TensorType
from ..tensor_shape import TensorShape
from . import array_ops as A
from . import type_rules as tr
from ._args import match_dtypes, static_ints, to_tensor
from .array_ops import _dims_from, _shape_tensor
from ..errors import InvalidArgumentError
from .opdef import apply, defop

# ----------------------------------------------------------------------------------------------
# window geometry (shared by type rules and kernels)
# ----------------------------------------------------------------------------------------------


def _out_size(op, size, k, stride, dilation, pad):
    """(output size, pad before, pad after) of one spatial dim; None size stays None."""
    ek = (k - 1) * dilation + 1
    if size is None:
        return None, None, None
    if pad == "VALID":
        before = after = 0
    elif pad == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + ek - size, 0)
        before, after = total // 2, total - total // 2
    else:
        before, after = pad
    out = (size + before + after - ek) // stride + 1
    if size + before + after < ek:
        raise InvalidArgumentError(
            f"Computed output size would be negative: {out} [input_size: {size}, "
            f"effective_filter_size: {ek}, stride: {stride}] [Op:{op}]. Fix: use padding='SAME' "
            "or a smaller filter.", op)
    return out, before, after


def _geometry(op, h, w, ksize, strides, padding, dilations):
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    oh, pt, pb = _out_size(op, h, ksize[0], strides[0], dilations[0], pad_h)
    ow, pl, pr = _out_size(op, w, ksize[1], strides[1], dilations[1], pad_w)
    return (oh, ow), ((pt, pb), (pl, pr))


def _pad(x, pads, value=0):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def _windows(xp, ksize, strides, dilations, out):
    """(N, OH, OW, C, kh, kw) view of every window of the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = ksize, strides, dilations, out
    v = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2))
    return v[:, 0:oh * sh:sh, 0:ow * sw:sw, :, ::dh, ::dw]


def _tap_slices(i, j, strides, dilations, out):
    """Where kernel tap (i, j) reads the padded input, over all outputs."""
    (sh, sw), (dh, dw), (oh, ow) = strides, dilations, out
    return (slice(None), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
            slice(j * dw, j * dw + (ow - 1) * sw + 1, sw), slice(None))


def _crop(xp, pads, h, w):
    (pt, _), (pl, _) = pads
    return xp[:, pt:pt + h, pl:pl + w, :]


def _rank4(op, ty, what):
    if ty.shape.rank is not None and ty.shape.rank != 4:
        raise InvalidArgumentError(f"{what} must be 4-dimensional: {ty.shape} [Op:{op}]", op)
    return ty.shape.as_tuple() if ty.shape.rank is not None else (None,) * 4


def _sizes_from(ty, what):
    dims = _dims_from(ty, what)
    return tuple(dims) if dims is not None else (None,) * 4


# ----------------------------------------------------------------------------------------------
# conv2d and its two backprop ops
# ----------------------------------------------------------------------------------------------


def _conv_check(op, x_dims, f_dims):
    c, fc = x_dims[3], f_dims[2]
    if c is not None and fc is not None and c != fc:
        raise InvalidArgumentError(
            f"input depth must be evenly divisible by filter depth: {c} vs {fc} [Op:{op}]. "
            "Fix: filters have shape [height, width, in_channels, out_channels].", op)


def _conv_infer(in_types, strides, padding, dilations):
    x, f = in_types
    dt = tr.same_dtype("Conv2D", in_types)
    tr.check_dtype("Conv2D", x, tr.FLOATS)
    xd, fd = _rank4("Conv2D", x, "input"), _rank4("Conv2D", f, "filter")
    _conv_check("Conv2D", xd, fd)
    k = (1 if fd[0] is None else fd[0], 1 if fd[1] is None else fd[1])
    (oh, ow), _ = _geometry("Conv2D", xd[1], xd[2], k, strides, padding, dilations)
    if fd[0] is None:
        oh = None
    if fd[1] is None:
        ow = None
    return TensorType(dt, TensorShape([xd[0], oh, ow, fd[3]]))


def _conv_kernel(x, f, strides, padding, dilations):
    kh, kw = f.shape[:2]
    out, pads = _geometry("Conv2D", x.shape[1], x.shape[2], (kh, kw), strides, padding,
                          dilations)
    if 0 in out or x.shape[0] == 0:
        return np.zeros((x.shape[0],) + out + (f.shape[3],), x.dtype)
    win = _windows(_pad(x, pads), (kh, kw), strides, dilations, out)
    return np.tensordot(win, f, axes=([4, 5, 3], [0, 1, 2]))


def _backprop_input_kernel(sizes, f, dy, strides, padding, dilations):
    n, h, w, c = (int(s) for s in sizes)
    kh, kw = f.shape[:2]
    out, pads = _geometry("Conv2DBackpropInput", h, w, (kh, kw), strides, padding, dilations)
    (pt, pb), (pl, pr) = pads
    dxp = np.zeros((n, h + pt + pb, w + pl + pr, c), dy.dtype)
    if 0 not in out and n:
        cols = np.tensordot(dy, f, axes=([3], [3]))  # (N, OH, OW, kh, kw, C)
        for i in range(kh):
            for j in range(kw):
                dxp[_tap_slices(i, j, strides, dilations, out)] += cols[:, :, :, i, j, :]
    return _crop(dxp, pads, h, w)


def _backprop_filter_kernel(x, sizes, dy, strides, padding, dilations):
    kh, kw, c, o = (int(s) for s in sizes)
    out, pads = _geometry("Conv2DBackpropFilter", x.shape[1], x.shape[2], (kh, kw), strides,
                          padding, dilations)
    if 0 in out or x.shape[0] == 0:
        return np.zeros((kh, kw, c, o), x.dtype)
    win = _windows(_pad(x, pads), (kh, kw), strides, dilations, out)
    return np.tensordot(win, dy, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)


def _backprop_input_infer(in_types, strides, padding, dilations):
    sizes, f, dy = in_types
    dt = tr.same_dtype("Conv2DBackpropInput", [f, dy])
    tr.check_dtype("Conv2DBackpropInput", f, tr.FLOATS)
    _rank4("Conv2DBackpropInput", f, "filter")
    _rank4("Conv2DBackpropInput", dy, "out_backprop")
    return TensorType(dt, TensorShape(list(_sizes_from(sizes, "input_sizes"))))


def _backprop_filter_infer(in_types, strides, padding, dilations):
    x, sizes, dy = in_types
    dt = tr.same_dtype("Conv2DBackpropFilter", [x, dy])
    tr.check_dtype("Conv2DBackpropFilter", x, tr.FLOATS)
    _rank4("Conv2DBackpropFilter", x, "input")
    _rank4("Conv2DBackpropFilter", dy, "out_backprop")
    return TensorType(dt, TensorShape(list(_sizes_from(sizes, "filter_sizes"))))


def _conv_vjp(c, g):
    x, f = c.inputs
    return (apply(_conv_backprop_input, A.shape(x), f, g, **c.attrs),
            apply(_conv_backprop_filter, x, A.shape(f), g, **c.attrs))


def _backprop_input_vjp(c, h):
    _, f, dy = c.inputs  # bilinear in (f, dy): the adjoints are conv2d and backprop_filter
    return (None, apply(_conv_backprop_filter, h, A.shape(f), dy, **c.attrs),
            apply(_conv2d, h, f, **c.attrs))


def _backprop_filter_vjp(c, h):
    x, _, dy = c.inputs
    return (apply(_conv_backprop_input, A.shape(x), h, dy, **c.attrs), None,
            apply(_conv2d, x, h, **c.attrs))


_conv2d = defop("conv2d", _conv_infer, _conv_kernel, vjp=_conv_vjp)
_conv_backprop_input = defop("conv2d_backprop_input", _backprop_input_infer,
                             _backprop_input_kernel, vjp=_backprop_input_vjp,
                             doc="Gradient of conv2d w.r.t. its input (= conv2d_transpose).")
_conv_backprop_filter = defop("conv2d_backprop_filter", _backprop_filter_infer,
                              _backprop_filter_kernel, vjp=_backprop_filter_vjp,
                              doc="Gradient of conv2d w.r.t. its filters.")

# ----------------------------------------------------------------------------------------------
# argument parsing (TF's int-or-list conventions)
# ----------------------------------------------------------------------------------------------


def _spatial(value, what, data_format, op):
    """An int, or a list of 1, 2 or 4 ints (4: batch and channel entries must be 1) -> (h, w)."""
    v = static_ints(value, what)
    if v is None:
        raise TypeError(f"{op}: {what} must be known when the function is traced")
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) == 2:
        return v
    if len(v) == 4:
        nc = (v[0], v[1]) if data_format.startswith("NC") else (v[0], v[3])
        hw = (v[2], v[3]) if data_format.startswith("NC") else (v[1], v[2])
        if nc != (1, 1):
            raise InvalidArgumentError(
                f"{op}: {what} in the batch and depth dimensions must be 1, got {list(v)} "
                f"[Op:{op}]", op)
        return hw
    raise ValueError(f"{op}: {what} should be of length 1, 2 or 4, got {len(v)}")


def _padding(padding, data_format, op):
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise ValueError(f"{op}: padding must be 'SAME', 'VALID' or a list of pairs, got "
                             f"{padding!r}")
        return p
    pairs = [tuple(int(a) for a in pair) for pair in padding]
    if len(pairs) == 4:
        spatial = pairs[2:4] if data_format.startswith("NC") else pairs[1:3]
        other = pairs[:2] if data_format.startswith("NC") else [pairs[0], pairs[3]]
        if any(p != (0, 0) for p in other):
            raise ValueError(f"{op}: explicit padding for the batch and channel dimensions "
                             f"must be zero, got {padding}")
        pairs = spatial
    if len(pairs) != 2 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{op}: explicit padding must be 4 pairs of non-negative ints, got "
                         f"{padding}")
    return tuple(pairs)


def _check_format(data_format, op):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{op}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")


def _nhwc(x, data_format):
    return A.transpose(x, [0, 2, 3, 1]) if data_format == "NCHW" else x


def _from_nhwc(y, data_format):
    return A.transpose(y, [0, 3, 1, 2]) if data_format == "NCHW" else y


# ----------------------------------------------------------------------------------------------
# public conv functions
# ----------------------------------------------------------------------------------------------


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,  # noqa: A002
           name=None):
    """Computes a 2-D convolution given 4-D `input` (NHWC) and `filters` (HWIO).

    Args:
      strides: int or list; padding: "SAME" or "VALID" (or explicit pads); dilations.

    >>> tf.nn.conv2d(tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 2]), 1, "VALID").shape
    TensorShape([1, 2, 2, 2])
    """
    data_format = data_format or "NHWC"
    _check_format(data_format, "Conv2D")
    x, f = match_dtypes(input, filters)
    attrs = dict(strides=_spatial(strides, "strides", data_format, "Conv2D"),
                 padding=_padding(padding, data_format, "Conv2D"),
                 dilations=_spatial(1 if dilations is None else dilations, "dilations",
                                    data_format, "Conv2D"))
    return _from_nhwc(apply(_conv2d, _nhwc(x, data_format), f, **attrs), data_format)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",  # noqa: A002
                     data_format="NHWC", dilations=None, name=None):
    """The gradient of conv2d w.r.t. its input; filters are [h, w, out_channels, in_channels].

    >>> x = tf.ones([1, 2, 2, 1])
    >>> filters = tf.ones([3, 3, 1, 1])
    >>> y = tf.nn.conv2d_transpose(x, filters, output_shape=[1, 4, 4, 1], strides=2, padding='SAME')
    >>> y.shape
    TensorShape([1, 4, 4, 1])
    """
    data_format = data_format or "NHWC"
    _check_format(data_format, "Conv2DBackpropInput")
    x, f = match_dtypes(input, filters)
    if data_format == "NCHW":
        dims = static_ints(output_shape, "output_shape")
        if dims is None:
            raise TypeError("conv2d_transpose: with NCHW, output_shape must be known when the "
                            "function is traced")
        output_shape = [dims[0], dims[2], dims[3], dims[1]]
    sizes = _shape_tensor(output_shape, "output_shape")
    attrs = dict(strides=_spatial(strides, "strides", data_format, "Conv2DBackpropInput"),
                 padding=_padding(padding, data_format, "Conv2DBackpropInput"),
                 dilations=_spatial(1 if dilations is None else dilations, "dilations",
                                    data_format, "Conv2DBackpropInput"))
    y = apply(_conv_backprop_input, sizes, f, _nhwc(x, data_format), **attrs)
    return _from_nhwc(y, data_format)


# ----------------------------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------------------------

_ONE = (1, 1)


def _pool_infer(op, allowed):
    def infer(in_types, ksize, strides, padding):
        x = in_types[0]
        tr.check_dtype(op, x, allowed)
        xd = _rank4(op, x, "input")
        (oh, ow), _ = _geometry(op, xd[1], xd[2], ksize, strides, padding, _ONE)
        return TensorType(x.dtype, TensorShape([xd[0], oh, ow, xd[3]]))
    return infer


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _pool_windows(x, ksize, strides, padding, fill):
    out, pads = _geometry("pool", x.shape[1], x.shape[2], ksize, strides, padding, _ONE)
    return _windows(_pad(x, pads, fill), ksize, strides, _ONE, out), out, pads


def _empty(x, out):
    return 0 in out or 0 in x.shape


def _max_pool_kernel(x, ksize, strides, padding):
    out, _ = _geometry("MaxPool", x.shape[1], x.shape[2], ksize, strides, padding, _ONE)
    if _empty(x, out):
        return np.zeros((x.shape[0],) + out + (x.shape[3],), x.dtype)
    win, _, _ = _pool_windows(x, ksize, strides, padding, _lowest(x.dtype))
    return win.max(axis=(4, 5))


def _avg_counts(h, w, ksize, strides, padding, dtype):
    """How many real (unpadded) elements each output window covers: SAME divides by these."""
    ones = np.ones((1, h, w, 1), dtype)
    win, _, _ = _pool_windows(ones, ksize, strides, padding, 0)
    return win.sum(axis=(4, 5))


def _avg_pool_kernel(x, ksize, strides, padding):
    out, _ = _geometry("AvgPool", x.shape[1], x.shape[2], ksize, strides, padding, _ONE)
    if _empty(x, out):
        return np.zeros((x.shape[0],) + out + (x.shape[3],), x.dtype)
    win, _, _ = _pool_windows(x, ksize, strides, padding, 0)
    counts = _avg_counts(x.shape[1], x.shape[2], ksize, strides, padding, x.dtype)
    return win.sum(axis=(4, 5)) / counts


def _max_pool_grad_kernel(x, g, ksize, strides, padding):
    out, pads = _geometry("MaxPoolGrad", x.shape[1], x.shape[2], ksize, strides, padding, _ONE)
    (pt, pb), (pl, pr) = pads
    dxp = np.zeros((x.shape[0], x.shape[1] + pt + pb, x.shape[2] + pl + pr, x.shape[3]),
                   g.dtype)
    if _empty(x, out):
        return _crop(dxp, pads, x.shape[1], x.shape[2])
    win, _, _ = _pool_windows(x, ksize, strides, padding, _lowest(x.dtype))
    kh, kw = ksize
    # the first maximum in row-major window order takes the gradient, as TF
    arg = win.reshape(win.shape[:4] + (kh * kw,)).argmax(axis=-1)
    zero = np.zeros((), g.dtype)
    for t in range(kh * kw):
        i, j = divmod(t, kw)
        dxp[_tap_slices(i, j, strides, _ONE, out)] += np.where(arg == t, g, zero)
    return _crop(dxp, pads, x.shape[1], x.shape[2])


def _avg_pool_grad_kernel(sizes, g, ksize, strides, padding):
    n, h, w, c = (int(s) for s in sizes)
    out, pads = _geometry("AvgPoolGrad", h, w, ksize, strides, padding, _ONE)
    (pt, pb), (pl, pr) = pads
    dxp = np.zeros((n, h + pt + pb, w + pl + pr, c), g.dtype)
    if 0 not in out and n and c:
        share = g / _avg_counts(h, w, ksize, strides, padding, g.dtype)
        for i in range(ksize[0]):
            for j in range(ksize[1]):
                dxp[_tap_slices(i, j, strides, _ONE, out)] += share
    return _crop(dxp, pads, h, w)


def _max_pool_grad_infer(in_types, ksize, strides, padding):
    x, g = in_types
    tr.same_dtype("MaxPoolGrad", in_types)
    return x


def _avg_pool_grad_infer(in_types, ksize, strides, padding):
    sizes, g = in_types
    return TensorType(g.dtype, TensorShape(list(_sizes_from(sizes, "orig_input_shape"))))


_max_pool = defop("max_pool2d", _pool_infer("MaxPool", tr.NUMERIC), _max_pool_kernel,
                  vjp=lambda c, g: apply(_max_pool_grad, c.inputs[0], g, **c.attrs))
_avg_pool = defop("avg_pool2d", _pool_infer("AvgPool", tr.FLOATS), _avg_pool_kernel,
                  vjp=lambda c, g: apply(_avg_pool_grad, A.shape(c.inputs[0]), g, **c.attrs))
# the gradient w.r.t. g routes h at each window's argmax; not implemented (no second order)
_max_pool_grad = defop("max_pool_grad", _max_pool_grad_infer, _max_pool_grad_kernel,
                       doc="Gradient of max_pool2d: to each window's first max.")
_avg_pool_grad = defop("avg_pool_grad", _avg_pool_grad_infer, _avg_pool_grad_kernel,
                       vjp=lambda c, h: (None, apply(_avg_pool, h, **c.attrs)),
                       doc="Gradient of avg_pool2d: each output spread over its valid inputs.")


def _pool(op, name, input, ksize, strides, padding, data_format):  # noqa: A002
    data_format = data_format or "NHWC"
    _check_format(data_format, name)
    x = to_tensor(input)
    if not isinstance(padding, str):
        raise ValueError(f"{name}: padding must be 'SAME' or 'VALID', got {padding!r}")
    attrs = dict(ksize=_spatial(ksize, "ksize", data_format, name),
                 strides=_spatial(strides, "strides", data_format, name),
                 padding=_padding(padding, data_format, name))
    return _from_nhwc(apply(op, _nhwc(x, data_format), **attrs), data_format)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Performs max pooling on a 4-D NHWC input.

    >>> tf.nn.max_pool2d(tf.ones([1, 4, 4, 1]), 2, 2, "VALID").shape
    TensorShape([1, 2, 2, 1])
    """
    return _pool(_max_pool, "MaxPool", input, ksize, strides, padding, data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Performs average pooling on a 4-D NHWC input.

    >>> tf.nn.avg_pool2d(tf.ones([1, 4, 4, 1]), 2, 2, "VALID").shape
    TensorShape([1, 2, 2, 1])
    """
    return _pool(_avg_pool, "AvgPool", input, ksize, strides, padding, data_format)


def _rank_of(input, name):  # noqa: A002
    rank = to_tensor(input).shape.rank
    if rank is not None and rank != 4:
        raise ValueError(f"tf.nn.{name}: only 4-D (NHWC / NCHW) inputs are supported here, got "
                         f"rank {rank}; use {name}2d on a 4-D tensor")


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Performs max pooling (`tf.nn.max_pool`; 4-D NHWC input here, as max_pool2d).

    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.nn.max_pool(x, ksize=2, strides=2, padding='VALID').numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    _rank_of(input, "max_pool")
    return max_pool2d(input, ksize, strides, padding, data_format or "NHWC")


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Performs average pooling (`tf.nn.avg_pool`; 4-D NHWC input here, as avg_pool2d).

    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.nn.avg_pool(x, ksize=2, strides=2, padding='VALID').numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    _rank_of(input, "avg_pool")
    return avg_pool2d(input, ksize, strides, padding, data_format or "NHWC")
