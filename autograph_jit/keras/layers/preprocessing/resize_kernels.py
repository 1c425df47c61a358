"""The resize kernels beyond nearest / bilinear, as TensorFlow's `tf.image.resize(...,
antialias=False)` computes them, one axis at a time:

* 'bicubic': TF's ResizeBicubic with half-pixel centers — Keys' cubic (a = -0.5), sample
  `(o + 0.5) * in / out - 0.5`, the 4 taps' weights read from TF's 1024-entry table, taps
  outside the image get weight 0 and the others are renormalized.
* 'lanczos3' / 'lanczos5': TF's ScaleAndTranslate without antialias — sample
  `(o + 0.5) * in / out`, taps `ceil(s - r - 0.5) .. floor(s + r - 0.5)` clamped to the image,
  weights `r sin(pi x) sin(pi x / r) / (pi x)^2` renormalized to sum 1.
* 'area': TF's ResizeArea — output cell `[o, o + 1) * in / out` averages the input cells it
  covers, weighted by the overlap.
* `antialias=True` ('bilinear', 'bicubic', 'lanczos3', 'lanczos5'): TF's ScaleAndTranslate
  with the triangle / Keys cubic / Lanczos kernel, stretched by the downscaling factor (so
  each output averages every input it covers); nearest and area ignore it, as in TF.

Each axis is a weighted sum of `taps` gathers along the axis (`apply_taps`), with the weights
computed once in float32 NumPy exactly as TF's kernels compute them; being made of gathers,
multiplies and adds it traces, compiles and differentiates with respect to the images."""
import numpy as np

from ....ops import array_ops as A
from ....ops import gather_ops as G
from ....ops import math_ops as M

__all__ = ["METHODS", "ANTIALIAS_KERNELS", "axis_taps", "apply_taps", "resize_axis",
           "resize_2d"]

METHODS = ("bicubic", "lanczos3", "lanczos5", "area")

_F = np.float32
_TABLE_SIZE = 1024


def _keys_table():
    """TF's InitCoeffsTable(a=-0.5): (kTableSize + 1) pairs, computed in double, stored float."""
    a = -0.5
    table = np.empty((_TABLE_SIZE + 1) * 2, _F)
    for i in range(_TABLE_SIZE + 1):
        x = float(_F(i * 1.0 / _TABLE_SIZE))
        table[i * 2] = ((a + 2) * x - (a + 3)) * x * x + 1
        x = float(_F(x + 1.0))
        table[i * 2 + 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return table


_KEYS = None


def _bicubic_taps(n_in, n_out):
    global _KEYS
    if _KEYS is None:
        _KEYS = _keys_table()
    scale = _F(n_in) / _F(n_out)
    loc = (np.arange(n_out, dtype=_F) + _F(0.5)) * scale - _F(0.5)
    base = np.floor(loc).astype(np.int64)
    offset = np.rint((loc - base.astype(_F)) * _F(_TABLE_SIZE)).astype(np.int64)
    raw = np.stack([base - 1, base, base + 1, base + 2], axis=1)
    idx = np.clip(raw, 0, n_in - 1)
    w = np.stack([_KEYS[offset * 2 + 1], _KEYS[offset * 2],
                  _KEYS[(_TABLE_SIZE - offset) * 2], _KEYS[(_TABLE_SIZE - offset) * 2 + 1]],
                 axis=1).astype(_F)
    w = np.where(idx == raw, w, _F(0))
    total = ((w[:, 0] + w[:, 1]) + w[:, 2]) + w[:, 3]
    ok = np.abs(total) >= _F(1000.0) * np.finfo(_F).tiny
    w = np.where(ok[:, None], w * (_F(1) / np.where(ok, total, _F(1)))[:, None], w)
    return idx, w.astype(_F)


def _lanczos(radius):
    """TF's LanczosKernelFunc in float32."""
    pi = _F(3.14159265359)

    def kernel(x):
        x = np.abs(x).astype(_F)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (_F(radius) * np.sin(pi * x) * np.sin(pi * x / _F(radius)) /
                 (pi * pi * x * x)).astype(_F)
        return np.where(x > radius, _F(0), np.where(x <= _F(1e-3), _F(1), v)).astype(_F)
    return kernel


def _triangle(x):
    """TF's TriangleKernelFunc (radius 1)."""
    x = np.abs(x).astype(_F)
    return np.where(x < _F(1), _F(1) - x, _F(0)).astype(_F)


def _keys_cubic(x):
    """TF's KeysCubicKernelFunc (radius 2)."""
    x = np.abs(x).astype(_F)
    far = ((_F(-0.5) * x + _F(2.5)) * x - _F(4.0)) * x + _F(2.0)
    near = ((_F(1.5) * x - _F(2.5)) * x) * x + _F(1.0)
    return np.where(x >= _F(2), _F(0), np.where(x >= _F(1), far, near)).astype(_F)


# ScaleAndTranslate kernels: name -> (kernel, radius)
_SCALE_KERNELS = {"lanczos3": (_lanczos(3), 3), "lanczos5": (_lanczos(5), 5),
                  "triangle": (_triangle, 1), "keyscubic": (_keys_cubic, 2)}


def _scale_translate_taps(n_in, n_out, kernel_name, antialias=False):
    """TF's ScaleAndTranslate spans (zero translation): with `antialias` the kernel widens by
    the downscaling factor."""
    kernel, radius = _SCALE_KERNELS[kernel_name]
    scale = _F(n_out) / _F(n_in)
    inv_scale = _F(1.0 / float(scale))
    kernel_scale = max(inv_scale, _F(1)) if antialias else _F(1)
    inv_kernel_scale = _F(1.0 / float(kernel_scale))
    reach = _F(_F(radius) * kernel_scale)
    span = min(2 * int(np.ceil(reach)) + 1, n_in)
    idx = np.zeros((n_out, span), np.int64)
    w = np.zeros((n_out, span), _F)
    for o in range(n_out):
        sample = _F(_F(o) + _F(0.5)) * inv_scale + _F(-0.0)
        if sample < 0 or sample > n_in:
            continue
        start = int(np.ceil(_F(sample - reach - _F(0.5))))
        end = int(np.floor(_F(sample + reach - _F(0.5))))
        start = min(max(start, 0), n_in - 1)
        end = min(max(end, 0), n_in - 1) + 1
        src = np.arange(start, end)
        weights = kernel(np.abs((src.astype(_F) + _F(0.5) - sample) * inv_kernel_scale))
        total = _F(0)
        for v in weights:
            total = _F(total + v)
        if abs(total) >= _F(1000.0) * np.finfo(_F).tiny:
            weights = (weights * _F(_F(1) / total)).astype(_F)
        idx[o, :len(src)] = src
        idx[o, len(src):] = src[-1]
        w[o, :len(src)] = weights
    return idx, w


def _area_taps(n_in, n_out):
    """TF's ResizeArea weights along one axis, not yet divided by the scale (TF divides the
    2-D sum once by height_scale * width_scale)."""
    scale = _F(n_in) / _F(n_out)
    rows = []
    for o in range(n_out):
        lo = _F(_F(o) * scale)
        hi = _F(_F(o + 1) * scale)
        taps = []
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            if i < lo:
                weight = scale if i + 1 > hi else _F(_F(i + 1) - lo)
            else:
                weight = _F(hi - _F(i)) if i + 1 > hi else _F(1)
            taps.append((min(max(i, 0), n_in - 1), _F(weight)))
        rows.append(taps)
    k = max(len(t) for t in rows)
    idx = np.zeros((n_out, k), np.int64)
    w = np.zeros((n_out, k), _F)
    for o, taps in enumerate(rows):
        for j, (i, weight) in enumerate(taps):
            idx[o, j], w[o, j] = i, weight
        idx[o, len(taps):] = taps[-1][0]
    return idx, w, scale


# antialias=True: tf.image.resize's ScaleAndTranslate kernel for each method
ANTIALIAS_KERNELS = {"bilinear": "triangle", "bicubic": "keyscubic", "lanczos3": "lanczos3",
                     "lanczos5": "lanczos5"}


def axis_taps(method, n_in, n_out, antialias=False):
    """(indices (n_out, k), float32 weights (n_out, k), extra divisor or None) resizing one axis
    of `n_in` samples to `n_out` with `method` (one of METHODS; with `antialias`, also
    'bilinear': the kernels of ANTIALIAS_KERNELS widened when downscaling, as TF)."""
    if antialias and method in ANTIALIAS_KERNELS:
        return _scale_translate_taps(n_in, n_out, ANTIALIAS_KERNELS[method], True) + (None,)
    if method == "bicubic":
        return _bicubic_taps(n_in, n_out) + (None,)
    if method in ("lanczos3", "lanczos5"):
        return _scale_translate_taps(n_in, n_out, method) + (None,)
    if method == "area":
        return _area_taps(n_in, n_out)
    raise ValueError(f"resize: unknown method {method!r}; expected one of {list(METHODS)}")


def apply_taps(x, axis, idx, w):
    """sum_k w[:, k] * gather(x, idx[:, k], axis): the weighted taps along `axis`."""
    shape = [1] * x.shape.rank
    shape[axis] = idx.shape[0]
    acc = None
    for k in range(idx.shape[1]):
        weight = A.constant(w[:, k].astype(x.dtype.np_dtype).reshape(shape))
        term = M.multiply(G.gather(x, A.constant(idx[:, k]), axis=axis), weight)
        acc = term if acc is None else M.add(acc, term)
    return acc


def resize_axis(x, axis, out_size, method, antialias=False):
    """`x` resized along `axis` (static size) to `out_size` with `method`; with the divisor
    for 'area' (see `axis_taps`) returned separately: (result, divisor or None)."""
    n_in = x.shape[axis]
    if n_in is None:
        raise ValueError(f"resize({method!r}): the size of axis {axis} must be known; got shape "
                         f"{x.shape}")
    idx, w, divisor = axis_taps(method, int(n_in), int(out_size), antialias)
    return apply_taps(x, axis, idx, w), divisor


def resize_2d(x, h_axis, w_axis, height, width, method, antialias=False):
    """`x` resized to (height, width) along (h_axis, w_axis) with `method` (one of METHODS,
    or 'bilinear' with `antialias`): the width first, as TF's kernels."""
    x, dw = resize_axis(x, w_axis, width, method, antialias)
    x, dh = resize_axis(x, h_axis, height, method, antialias)
    if method == "area":
        x = M.multiply(x, A.constant(np.asarray(_F(1.0) / (dh * dw), x.dtype.np_dtype)))
    return x
