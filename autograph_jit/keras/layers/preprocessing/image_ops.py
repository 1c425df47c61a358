"""The image computations of the image preprocessing layers, composed of existing ops (so they
trace, compile natively and differentiate with respect to the images):

* `resize(images, height, width, interpolation)`: TF's `tf.image.resize` without antialias —
  half-pixel centers; bilinear is two separable linear interpolations (gathers along H then W),
  nearest takes `min(floor((o + 0.5) * in / out), in - 1)`; 'bicubic', 'lanczos3',
  'lanczos5' and 'area' are TF's kernels of those names, and `antialias=True` TF's
  ScaleAndTranslate kernels (resize_kernels.py).
* `affine_transform(images, transforms, interpolation, fill_mode, fill_value)`: TF's
  `ImageProjectiveTransformV3`: output pixel (x, y) reads the input at
  `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`, `k = c0 x + c1 y + 1`, with the
  out-of-range coordinate mapped by `fill_mode` ('reflect', 'wrap', 'nearest', 'constant')
  and bilinear (4 neighbours, a neighbour outside the image reads `fill_value`) or nearest
  (round half away from zero) sampling.

Images are NHWC with static height and width; `transforms` is a (batch, 8) float tensor.
"""
import numpy as np

from ....errors import InvalidArgumentError
from ....ops import array_ops as A
from ....ops import gather_ops as G
from ....ops import math_ops as M
from .resize_kernels import METHODS as _KERNEL_METHODS
from .resize_kernels import ANTIALIAS_KERNELS, resize_2d

INTERPOLATIONS = ("bilinear", "nearest") + _KERNEL_METHODS

__all__ = ["resize", "affine_transform", "crop_box_for_aspect", "static_hw", "INTERPOLATIONS"]


def static_hw(images, who):
    """The static (height, width) of NHWC `images`; a clear error when unknown."""
    shape = images.shape
    if shape.rank != 4:
        raise ValueError(f"{who}: expected images of rank 3 (unbatched) or 4 (batched); "
                         f"received shape {shape}")
    h, w = shape[1], shape[2]
    if h is None or w is None:
        raise ValueError(f"{who}: the image height and width must be known; received shape "
                         f"{shape}. Fix: give the model an Input(shape=(height, width, "
                         f"channels))")
    return int(h), int(w)


def _axis_weights(in_size, out_size, interpolation):
    """(lower index, upper index, weight of upper) per output position (TF's half-pixel
    centers), as NumPy arrays."""
    scale = in_size / out_size
    o = np.arange(out_size, dtype=np.float64)
    if interpolation == "nearest":
        idx = np.minimum(np.floor((o + 0.5) * scale), in_size - 1).astype(np.int64)
        return idx, idx, np.zeros(out_size)
    c = ((o + 0.5) * scale - 0.5).astype(np.float32).astype(np.float64)
    f = np.floor(c)
    lower = np.maximum(f, 0).astype(np.int64)
    upper = np.minimum(np.ceil(c), in_size - 1).astype(np.int64)
    return lower, upper, (c - f)


def _resize_axis(x, axis, out_size, interpolation):
    in_size = x.shape[axis]
    if in_size == out_size:
        return x
    lower, upper, t = _axis_weights(in_size, out_size, interpolation)
    lo = G.gather(x, A.constant(lower), axis=axis)
    if interpolation == "nearest":
        return lo
    hi = G.gather(x, A.constant(upper), axis=axis)
    shape = [1] * x.shape.rank
    shape[axis] = out_size
    t = A.constant(t.astype(x.dtype.np_dtype).reshape(shape))
    return M.add(lo, M.multiply(M.subtract(hi, lo), t))


def resize(images, height, width, interpolation="bilinear", antialias=False):
    """Resize NHWC float `images` to (height, width) as `tf.image.resize` (`antialias`: its
    ScaleAndTranslate kernels for bilinear, bicubic and lanczos; ignored by nearest, area)."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{INTERPOLATIONS}. Received: interpolation={interpolation}")
    h, w = static_hw(images, "resize")
    if interpolation in _KERNEL_METHODS or (antialias and interpolation in ANTIALIAS_KERNELS):
        if (h, w) == (height, width):
            return images
        return resize_2d(images, 1, 2, height, width, interpolation, antialias)
    return _resize_axis(_resize_axis(images, 1, height, interpolation), 2, width, interpolation)


def crop_box_for_aspect(in_h, in_w, height, width):
    """Keras's centered crop box (h_start, w_start, crop_h, crop_w) with the target aspect."""
    crop_h = max(min(in_h, int(float(in_w * height) / width)), 1)
    crop_w = max(min(in_w, int(float(in_h * width) / height)), 1)
    return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2), crop_h, crop_w


# -- the projective transform ------------------------------------------------------------------

def _trunc(x):
    return M.multiply(M.sign(x), M.floor(M.abs(x)))


def _map_coordinate(c, size, fill_mode):
    """TF's MapCoordinate for one axis: the input coordinate read for `c` (a float tensor)."""
    last = float(size - 1)
    if fill_mode == "constant":
        return c
    if size <= 1 and fill_mode in ("reflect", "wrap"):
        return A.zeros_like(c)
    if fill_mode == "reflect":
        sz2 = 2.0 * size
        # below 0
        low = M.where(M.less(c, -sz2), M.add(M.multiply(_trunc(M.divide(M.negative(c), sz2)),
                                                        sz2), c), c)
        low = M.where(M.less(low, -float(size)), M.add(low, sz2), M.subtract(-1.0, low))
        # above size - 1
        high = M.subtract(c, M.multiply(_trunc(M.divide(c, sz2)), sz2))
        high = M.where(M.greater_equal(high, float(size)), M.subtract(sz2 - 1.0, high), high)
        c = M.where(M.less(c, 0.0), low, M.where(M.greater(c, last), high, c))
    elif fill_mode == "wrap":
        low = M.add(c, M.multiply(M.add(_trunc(M.divide(M.negative(c), last)), 1.0),
                                  float(size)))
        high = M.subtract(c, M.multiply(_trunc(M.divide(c, last)), float(size)))
        c = M.where(M.less(c, 0.0), low, M.where(M.greater(c, last), high, c))
    elif fill_mode != "nearest":
        raise ValueError(f"Unknown `fill_mode` {fill_mode}. Expected of one of "
                         f"['reflect', 'wrap', 'constant', 'nearest']")
    return M.clip_by_value(c, 0.0, last)


def _read(flat, yy, xx, h, w, fill_value):
    """flat[b, yy * w + xx, :] for float index grids (b, H, W); `fill_value` outside."""
    valid = M.logical_and(
        M.logical_and(M.greater_equal(yy, 0.0), M.less_equal(yy, float(h - 1))),
        M.logical_and(M.greater_equal(xx, 0.0), M.less_equal(xx, float(w - 1))))
    yi = M.cast(M.clip_by_value(yy, 0.0, float(h - 1)), "int32")
    xi = M.cast(M.clip_by_value(xx, 0.0, float(w - 1)), "int32")
    idx = M.add(M.multiply(yi, w), xi)                       # (b, H, W)
    out_h, out_w = idx.shape[1], idx.shape[2]
    idx = A.reshape(idx, [-1, out_h * out_w])
    values = G.gather(flat, idx, axis=1, batch_dims=1)      # (b, H*W, C)
    values = A.reshape(values, [-1, out_h, out_w, flat.shape[-1]])
    fill = M.cast(fill_value, flat.dtype)
    return M.where(A.expand_dims(valid, -1), values, M.add(A.zeros_like(values), fill))


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect",
                     fill_value=0.0):
    """TF's ImageProjectiveTransformV3 on NHWC float images (see the module docstring)."""
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"Unknown `interpolation` {interpolation}. Expected of one of "
                         f"['nearest', 'bilinear']")
    h, w = static_hw(images, "affine_transform")
    c = images.shape[-1]
    if c is None:
        raise InvalidArgumentError("affine_transform: the channel count must be known")
    dtype = images.dtype
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    x = A.constant(xs[None])
    y = A.constant(ys[None])
    t = M.cast(transforms, "float32")

    def coef(i):
        return A.reshape(t[:, i], [-1, 1, 1])
    k = M.add(M.add(M.multiply(coef(6), x), M.multiply(coef(7), y)), 1.0)
    xin = M.divide(M.add(M.add(M.multiply(coef(0), x), M.multiply(coef(1), y)), coef(2)), k)
    yin = M.divide(M.add(M.add(M.multiply(coef(3), x), M.multiply(coef(4), y)), coef(5)), k)
    xin = _map_coordinate(xin, w, fill_mode)
    yin = _map_coordinate(yin, h, fill_mode)
    flat = A.reshape(images, [-1, h * w, c])
    if interpolation == "nearest":
        def rnd(v):
            return M.multiply(M.sign(v), M.floor(M.add(M.abs(v), 0.5)))
        return _read(flat, rnd(yin), rnd(xin), h, w, fill_value)
    x0, y0 = M.floor(xin), M.floor(yin)
    x1, y1 = M.add(x0, 1.0), M.add(y0, 1.0)

    def weight(v):
        return A.expand_dims(M.cast(v, dtype), -1)
    top = M.add(M.multiply(weight(M.subtract(x1, xin)), _read(flat, y0, x0, h, w, fill_value)),
                M.multiply(weight(M.subtract(xin, x0)), _read(flat, y0, x1, h, w, fill_value)))
    bottom = M.add(
        M.multiply(weight(M.subtract(x1, xin)), _read(flat, y1, x0, h, w, fill_value)),
        M.multiply(weight(M.subtract(xin, x0)), _read(flat, y1, x1, h, w, fill_value)))
    return M.add(M.multiply(weight(M.subtract(y1, yin)), top),
                 M.multiply(weight(M.subtract(yin, y0)), bottom))
