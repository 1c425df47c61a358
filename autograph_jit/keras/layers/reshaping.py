"""Reshaping layers (Keras 3): Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D,
UpSampling1D/2D, Cropping1D/2D."""
import math

import numpy as np

from ...ops import array_ops as A
from ...ops import gather_ops as G
from ...ops import math_ops as M
from ...ops import tiling as T
from ._args import normalize_data_format, normalize_tuple
from .input_spec import InputSpec
from .layer import Layer
from .preprocessing.resize_kernels import resize_2d

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding2D",
           "UpSampling1D", "UpSampling2D", "Cropping1D", "Cropping2D"]


def _dims(x):
    return x.shape.as_list()


def _reshape(x, dims):
    """Reshape to `dims` (None entries: at most one becomes -1, more use the runtime shape)."""
    unknown = [i for i, d in enumerate(dims) if d is None]
    if len(unknown) <= 1:
        return A.reshape(x, [-1 if d is None else d for d in dims])
    runtime = A.shape(x)
    parts = [A.reshape(runtime[i], [1]) if d is None else
             A.constant([d], dtype=runtime.dtype) for i, d in enumerate(dims)]
    return A.reshape(x, A.concat(parts, 0))


def repeat_axis(x, n, axis):
    """Each entry along `axis` repeated n times (np.repeat)."""
    if n == 1:
        return x
    dims = _dims(x)
    axis = axis % len(dims)
    y = A.expand_dims(x, axis + 1)
    multiples = [1] * (len(dims) + 1)
    multiples[axis + 1] = n
    y = T.tile(y, multiples)
    new = list(dims)
    new[axis] = None if dims[axis] is None else dims[axis] * n
    if new[axis] is None and any(d is None for i, d in enumerate(dims) if i != axis):
        runtime = A.shape(x)
        parts = [A.reshape(runtime[i] * (n if i == axis else 1), [1]) for i in range(len(dims))]
        return A.reshape(y, A.concat(parts, 0))
    return _reshape(y, new)


class Flatten(Layer):
    """Flattens every axis but the batch: (batch, ...) -> (batch, prod(...)).

    >>> tf.keras.layers.Flatten()(tf.ones([2, 3, 4])).shape
    TensorShape([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        dims = _dims(inputs)
        if self.data_format == "channels_first" and len(dims) > 2:
            inputs = A.transpose(inputs, [0] + list(range(2, len(dims))) + [1])
        rest = dims[1:]
        if not rest:
            return A.expand_dims(inputs, 1)
        flat = None if None in rest else math.prod(rest)
        return _reshape(inputs, [dims[0], flat])

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes the non-batch axes to `target_shape` (one entry may be -1).

    >>> tf.keras.layers.Reshape((3, 4))(tf.ones([2, 12])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one dimension of target_shape may be -1, got "
                             f"{self.target_shape}")

    def _resolved(self, input_shape):
        target = list(self.target_shape)
        rest = input_shape[1:]
        known = None if None in rest else math.prod(rest)
        if -1 in target:
            others = math.prod(d for d in target if d != -1)
            if known is None:
                target[target.index(-1)] = None
            else:
                if others == 0 or known % others:
                    raise ValueError(f"Layer {self.name}: cannot reshape input of shape "
                                     f"{tuple(input_shape)} into target_shape "
                                     f"{self.target_shape}")
                target[target.index(-1)] = known // others
        elif known is not None and known != math.prod(target):
            raise ValueError(f"Layer {self.name}: total size of the input shape "
                             f"{tuple(input_shape)} ({known} per sample) does not match "
                             f"target_shape {self.target_shape} ({math.prod(target)} per sample)")
        return (input_shape[0],) + tuple(target)

    def call(self, inputs):
        shape = self._resolved(tuple(_dims(inputs)))
        if sum(d is None for d in shape) > 1 and shape[0] is None:
            runtime = A.shape(inputs)
            tgt = A.constant(list(self.target_shape), dtype=runtime.dtype)
            return A.reshape(inputs, A.concat([A.reshape(runtime[0], [1]), tgt], 0))
        return _reshape(inputs, list(shape))

    def compute_output_shape(self, input_shape):
        return self._resolved(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the non-batch axes: `Permute((2, 1))` swaps axes 1 and 2 (1-based, as Keras).

    >>> tf.keras.layers.Permute((2, 1))(tf.ones([2, 3, 5])).shape
    TensorShape([2, 5, 3])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set "
                             f"of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return A.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features).

    >>> tf.keras.layers.RepeatVector(3)(tf.ones([2, 4])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return T.tile(A.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


def _pairs(padding, n, name):
    """An int, n ints, or n pairs -> n (before, after) pairs."""
    if isinstance(padding, int):
        return ((padding, padding),) * n
    padding = tuple(padding)
    if len(padding) != n and n == 1 and len(padding) == 2 and all(isinstance(p, int)
                                                                  for p in padding):
        return (tuple(padding),)
    if len(padding) != n:
        raise ValueError(f"`{name}` should have {n} elements. Received: {name}={padding}")
    out = []
    for p in padding:
        out.append((p, p) if isinstance(p, int) else normalize_tuple(p, 2, name, True))
    return tuple(out)


def _spatial_axes(data_format, n):
    return list(range(2, 2 + n)) if data_format == "channels_first" else list(range(1, 1 + n))


class _Padding(Layer):
    _RANK = 2

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format) if self._RANK > 1 else \
            "channels_last"
        self.padding = _pairs(padding, self._RANK, "padding")
        if any(min(p) < 0 for p in self.padding):
            raise ValueError(f"`padding` must be non-negative, got {padding}")
        self.input_spec = InputSpec(ndim=self._RANK + 2)

    def call(self, inputs):
        pads = [[0, 0] for _ in range(self._RANK + 2)]
        for axis, pair in zip(_spatial_axes(self.data_format, self._RANK), self.padding):
            pads[axis] = list(pair)
        return T.pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._RANK), self.padding):
            if out[axis] is not None:
                out[axis] += a + b
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding if self._RANK > 1 else self.padding[0]
        if self._RANK > 1:
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(_Padding):
    """Zeros before and after axis 1 of (batch, steps, features): `ZeroPadding1D(padding=1)`.

    >>> tf.keras.layers.ZeroPadding1D(padding=2)(tf.ones([1, 3, 2])).shape
    TensorShape([1, 7, 2])
    """
    _RANK = 1


class ZeroPadding2D(_Padding):
    """Zeros around the rows and columns of images: `ZeroPadding2D(padding=((1, 1), (2, 2)))`.

    >>> tf.keras.layers.ZeroPadding2D(padding=1)(tf.ones([1, 3, 3, 2])).shape
    TensorShape([1, 5, 5, 2])
    """
    _RANK = 2


class _Cropping(Layer):
    _RANK = 2

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format) if self._RANK > 1 else \
            "channels_last"
        self.cropping = _pairs(cropping, self._RANK, "cropping")
        self.input_spec = InputSpec(ndim=self._RANK + 2)

    def call(self, inputs):
        dims = _dims(inputs)
        key = [slice(None)] * len(dims)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._RANK), self.cropping):
            if dims[axis] is not None and a + b >= dims[axis]:
                raise ValueError(f"Layer {self.name}: cropping {(a, b)} removes all of axis "
                                 f"{axis} of size {dims[axis]}")
            key[axis] = slice(a, -b if b else None)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._RANK), self.cropping):
            if out[axis] is not None:
                out[axis] -= a + b
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping if self._RANK > 1 else self.cropping[0]
        if self._RANK > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Crops axis 1 of (batch, steps, features): `Cropping1D(cropping=(1, 2))`.

    >>> tf.keras.layers.Cropping1D(cropping=(1, 2))(tf.ones([1, 6, 2])).shape
    TensorShape([1, 3, 2])
    """
    _RANK = 1


class Cropping2D(_Cropping):
    """Crops rows and columns of images: `Cropping2D(cropping=((1, 1), (2, 2)))`.

    >>> tf.keras.layers.Cropping2D(cropping=((1, 1), (2, 0)))(tf.ones([1, 6, 6, 3])).shape
    TensorShape([1, 4, 4, 3])
    """
    _RANK = 2


class UpSampling1D(Layer):
    """Repeats each step `size` (2) times along axis 1.

    >>> tf.keras.layers.UpSampling1D(size=2)(tf.ones([1, 3, 2])).shape
    TensorShape([1, 6, 2])
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return repeat_axis(inputs, self.size, 1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


def _linear_resize_axis(x, factor, axis):
    """Bilinear (half-pixel centres, as tf.image.resize) upsampling of one axis by `factor`."""
    n = x.shape[axis]
    if n is None:
        raise ValueError("UpSampling2D(interpolation='bilinear') needs known spatial sizes")
    src = (np.arange(n * factor) + 0.5) / factor - 0.5
    src = np.clip(src, 0, n - 1)
    lo = np.floor(src).astype(np.int32)
    hi = np.minimum(lo + 1, n - 1)
    w = (src - lo).astype(x.dtype.np_dtype)
    shape = [1] * x.shape.rank
    shape[axis] = n * factor
    w = A.constant(w.reshape(shape), dtype=x.dtype)
    a, b = G.gather(x, lo, axis=axis), G.gather(x, hi, axis=axis)
    return M.add(M.multiply(a, M.subtract(1.0, w)), M.multiply(b, w))


_UPSAMPLING = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


class UpSampling2D(Layer):
    """Repeats rows and columns `size` ((2, 2)) times: `interpolation='nearest'` (default),
    or resizes by that factor as `tf.image.resize` (antialias=False) with 'bilinear',
    'bicubic', 'lanczos3', 'lanczos5' or 'area' (TF's kernels; any case, as Keras 3).

    >>> tf.keras.layers.UpSampling2D(size=2)(tf.ones([1, 3, 3, 2])).shape
    TensorShape([1, 6, 6, 2])
    >>> tf.keras.layers.UpSampling2D(size=(1, 2), interpolation="bicubic")(
    ...     tf.reshape(tf.range(3.0), [1, 1, 3, 1]))[0, 0, :, 0].numpy()
    array([-0.0882353 ,  0.16788322,  0.7099237 ,  1.2900764 ,  1.8321168 ,
            2.0882354 ], dtype=float32)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size")
        self.data_format = normalize_data_format(data_format)
        interpolation = str(interpolation).lower()
        if interpolation not in _UPSAMPLING:
            raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                             f"{_UPSAMPLING}. Received: interpolation={interpolation}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        h_axis, w_axis = _spatial_axes(self.data_format, 2)
        if self.interpolation in _UPSAMPLING[2:]:
            for axis in (h_axis, w_axis):
                if inputs.shape[axis] is None:
                    raise ValueError(f"UpSampling2D(interpolation={self.interpolation!r}) needs "
                                     f"known spatial sizes; got input shape {inputs.shape}")
            return resize_2d(inputs, h_axis, w_axis, inputs.shape[h_axis] * self.size[0],
                             inputs.shape[w_axis] * self.size[1], self.interpolation)
        if self.interpolation == "bilinear":
            return _linear_resize_axis(_linear_resize_axis(inputs, self.size[0], h_axis),
                                       self.size[1], w_axis)
        return repeat_axis(repeat_axis(inputs, self.size[0], h_axis), self.size[1], w_axis)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, s in zip(_spatial_axes(self.data_format, 2), self.size):
            if out[axis] is not None:
                out[axis] *= s
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, data_format=self.data_format,
                      interpolation=self.interpolation)
        return config
