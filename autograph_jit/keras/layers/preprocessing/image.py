"""Image preprocessing layers (Keras 3): `Resizing` and `CenterCrop` (always applied), and the
augmentations `RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomTranslation`,
`RandomContrast`, `RandomBrightness`, `RandomCrop` — applied when called with `training=True`
(the default of a direct call and of `fit`; `predict`/`evaluate` and `training=False` leave
the images unchanged, as Keras 3). Each draws from its own seeded stream (`seed=`): the same
seed after `tf.random.set_seed` (or in a fresh process) gives the same images. Inputs are
(batch, height, width, channels) or one image (height, width, channels); `data_format=
'channels_first'` is accepted. Outputs are the layer's compute dtype (float32)."""
import math

import numpy as np

from ....ops import array_ops as A
from ....tensor import EagerTensor
from ....ops import math_ops as M
from ....ops import random_ops as R
from ....ops import gather_ops as G
from ....ops import tiling as T
from .._args import normalize_data_format
from ..layer import Layer
from .image_ops import INTERPOLATIONS as _RESIZE_INTERPOLATIONS
from .image_ops import affine_transform, crop_box_for_aspect, resize, static_hw

__all__ = ["Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom",
           "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCrop"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


class _ImageLayer(Layer):
    """Shared plumbing: NHWC batches in, the layer's `_apply(images, training)` NHWC result out."""

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    _random = False

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.seed = seed
        self.supports_masking = False

    def call(self, inputs, training=True):
        x = inputs if inputs.dtype.name == self.compute_dtype else M.cast(inputs,
                                                                           self.compute_dtype)
        rank = x.shape.rank
        if rank not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected images of rank 3 (unbatched) or 4 "
                             f"(batched); received inputs.shape={x.shape}")
        if rank == 3:
            x = A.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = A.transpose(x, [0, 2, 3, 1])
        active = not self._random or _is_training(training)
        y = self._apply(x, training) if active else self._inference(x)
        if hasattr(y, "set_shape"):  # keep the static dims a random shape tensor hides
            b, h, w, c = x.shape.as_list()
            if active:
                h, w = self._out_hw(h, w)
            y.set_shape([b, h, w, c])
        if self.data_format == "channels_first":
            y = A.transpose(y, [0, 3, 1, 2])
        if rank == 3:
            y = A.squeeze(y, axis=0)
        return y

    def _inference(self, images):
        return images

    def _out_hw(self, h, w):
        """The output height and width when the layer is active."""
        return h, w

    def _uniform(self, shape, low, high):
        return R.uniform(shape, minval=low, maxval=high, dtype="float32", seed=self.seed)

    def _batch(self, images):
        return A.shape(images)[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def _crop(images, hs, ws, height, width):
    """images[:, hs:hs + height, ws:ws + width, :] as two gathers of constant rows and columns
    (a new array, so a following Flatten's reshape stays in native code)."""
    h, w = images.shape[1], images.shape[2]
    if (hs, ws, height, width) == (0, 0, h, w):
        return images
    rows = A.constant(np.arange(hs, hs + height, dtype=np.int32))
    cols = A.constant(np.arange(ws, ws + width, dtype=np.int32))
    return G.gather(G.gather(images, rows, axis=1), cols, axis=2)


def _is_training(training):
    if training is None:
        return False
    if isinstance(training, bool):
        return training
    if isinstance(training, EagerTensor):
        return bool(training.numpy())
    raise ValueError("image augmentation layers need a Python bool `training` (or a concrete "
                     "tensor); got a symbolic tensor. Fix: pass training=True/False")


def _hw_axes(data_format, rank):
    if data_format == "channels_first":
        return rank - 2, rank - 1
    return rank - 3, rank - 2


class Resizing(_ImageLayer):
    """Resizes images to (height, width), as `tf.image.resize`.

    Args: `height`, `width`, `interpolation='bilinear'` ('nearest', 'bicubic', 'lanczos3',
    'lanczos5', 'area': TF's kernels),
    `crop_to_aspect_ratio=False` (first crop the largest centered box of the target aspect
    ratio), `pad_to_aspect_ratio=False` (first pad with `fill_value` to the target aspect
    ratio), `fill_mode='constant'`, `fill_value=0.0`, `antialias=False` (True: TF's
    antialiasing kernels when downscaling with bilinear, bicubic or lanczos),
    `data_format=None`.

    >>> images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> tf.keras.layers.Resizing(2, 2)(images)[0, :, :, 0].numpy()
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                             f"{_RESIZE_INTERPOLATIONS}. Received: "
                             f"interpolation={interpolation}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                             "can be True.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: fill_mode={fill_mode!r}; only 'constant' is supported, "
                             f"as in Keras")
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, bool(antialias)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        if self.crop_to_aspect_ratio:
            hs, ws, ch, cw = crop_box_for_aspect(h, w, self.height, self.width)
            images = _crop(images, hs, ws, ch, cw)
        elif self.pad_to_aspect_ratio:
            ph = max(h, int(w * self.height / self.width))
            pw = max(w, int(h * self.width / self.height))
            top, left = (ph - h) // 2, (pw - w) // 2   # Keras pads `top` on both sides
            images = T.pad(images, [[0, 0], [top, top], [left, left], [0, 0]],
                           constant_values=self.fill_value)
        return resize(images, self.height, self.width, self.interpolation, self.antialias)

    def _out_hw(self, h, w):
        return self.height, self.width

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        hi, wi = _hw_axes(self.data_format, len(shape))
        shape[hi], shape[wi] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, interpolation=self.interpolation,
                      crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                      pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                      fill_value=self.fill_value, antialias=self.antialias)
        return config


class CenterCrop(_ImageLayer):
    """Crops the central (height, width) box; an image smaller than that is first cropped to
    the target aspect ratio and resized (bilinear), as Keras's `smart_resize`.

    >>> images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> tf.keras.layers.CenterCrop(2, 2)(images)[0, :, :, 0].numpy()
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        if h >= self.height and w >= self.width:
            hs, ws = (h - self.height) // 2, (w - self.width) // 2
            return _crop(images, hs, ws, self.height, self.width)
        hs, ws, ch, cw = crop_box_for_aspect(h, w, self.height, self.width)
        return resize(_crop(images, hs, ws, ch, cw), self.height, self.width)

    _out_hw = Resizing._out_hw
    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config


def _factor_pair(factor, bounds, name):
    """Keras's `_set_factor`: a number f -> (max(-|f|, low), |f|); a pair -> sorted."""
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the "
               f"range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return (max(-factor, bounds[0]), factor)
    raise ValueError(message)


class RandomFlip(_ImageLayer):
    """Flips each image with probability 1/2 when training: `mode='horizontal_and_vertical'`
    (both axes at once), `'horizontal'` or `'vertical'`; `seed=None`.

    >>> layer = tf.keras.layers.RandomFlip("horizontal", seed=3)
    >>> images = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    >>> layer(images, training=False)[0, 0, :, 0].numpy()
    array([0., 1., 2., 3.], dtype=float32)
    >>> sorted(layer(images)[0, 0, :, 0].numpy().tolist())
    [0.0, 1.0, 2.0, 3.0]
    """

    _random = True

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument "
                             f"{mode}")
        self.mode = mode

    def _apply(self, images, training):
        flips = M.less_equal(self._uniform(A.stack([self._batch(images), 1, 1, 1]), 0.0, 1.0),
                             0.5)
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = M.where(flips, T.reverse(out, [2]), out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = M.where(flips, T.reverse(out, [1]), out)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, mode=self.mode)
        return config


class _AffineLayer(_ImageLayer):
    _random = True

    def _set_modes(self, fill_mode, interpolation, fill_value):
        """Check and keep the arguments every affine layer takes (Keras's errors)."""
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"Unknown `fill_mode` {fill_mode}. Expected of one of "
                             f"{list(_FILL_MODES)}.")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Unknown `interpolation` {interpolation}. Expected of one of "
                             f"{list(_INTERPOLATIONS)}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, interpolation=self.interpolation,
                      seed=self.seed, fill_value=self.fill_value)
        return config

    def _transform(self, images, transforms):
        return affine_transform(images, transforms, self.interpolation, self.fill_mode,
                                self.fill_value)


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle when training: `factor` in fractions of a full
    turn (`0.1`: up to ±36°; a pair `(low, high)`), counter-clockwise for positive angles,
    about the image center; `fill_mode='reflect'` (or 'wrap', 'constant', 'nearest'),
    `interpolation='bilinear'` (or 'nearest'), `seed=None`, `fill_value=0.0`.

    >>> images = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    >>> quarter = tf.keras.layers.RandomRotation(factor=(0.25, 0.25))
    >>> np.round(quarter(images)[0, :, :, 0].numpy())
    array([[2., 5., 8.],
           [1., 4., 7.],
           [0., 3., 6.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1), "factor")
        self._set_modes(fill_mode, interpolation, fill_value)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        angle = M.multiply(self._uniform(A.stack([self._batch(images)]),
                                         self.factor[0] * 360.0, self.factor[1] * 360.0),
                           math.pi / 180.0)
        cos, sin = M.cos(angle), M.sin(angle)
        cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
        a2 = M.subtract(M.subtract(cx, M.multiply(cos, cx)), M.multiply(M.negative(sin), cy))
        b2 = M.subtract(M.subtract(cy, M.multiply(sin, cx)), M.multiply(cos, cy))
        zero = A.zeros_like(cos)
        transforms = A.stack([cos, M.negative(sin), a2, sin, cos, b2, zero, zero], axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor)
        return config


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its size when training: `height_factor`,
    `width_factor` (a number f: [-f, f]; a pair: that range; positive moves down/right),
    `fill_mode='reflect'`, `interpolation='bilinear'`, `seed=None`, `fill_value=0.0`.

    >>> images = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    >>> right = tf.keras.layers.RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")
    >>> right(images)[0, 0, :, 0].numpy()
    array([0., 0., 1., 2.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _factor_pair(height_factor, (-1, 1),
                                                            "height_factor")
        self.width_lower, self.width_upper = _factor_pair(width_factor, (-1, 1), "width_factor")
        if isinstance(height_factor, (int, float)):
            self.height_lower = -abs(height_factor)
        if isinstance(width_factor, (int, float)):
            self.width_lower = -abs(width_factor)
        self._set_modes(fill_mode, interpolation, fill_value)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        n = A.stack([self._batch(images)])
        dy = M.multiply(self._uniform(n, self.height_lower, self.height_upper), float(h))
        dx = M.multiply(self._uniform(n, self.width_lower, self.width_upper), float(w))
        one, zero = A.ones_like(dx), A.zeros_like(dx)
        transforms = A.stack([one, zero, M.negative(dx), zero, one, M.negative(dy), zero, zero],
                             axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomZoom(_AffineLayer):
    """Zooms each image by a random amount when training: `height_factor` (a number f: the
    zoom factor's deviation in [-f, f]; positive values zoom out, negative zoom in),
    `width_factor=None` (None: keep the aspect ratio), `fill_mode='reflect'`,
    `interpolation='bilinear'`, `seed=None`, `fill_value=0.0`.

    >>> images = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    >>> zoom_in = tf.keras.layers.RandomZoom((-0.5, -0.5), interpolation="nearest")
    >>> zoom_in(images)[0, :, :, 0].numpy()
    array([[4., 4., 5.],
           [4., 4., 5.],
           [7., 7., 8.]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _factor_pair(height_factor, (-1, 1e9),
                                                            "height_factor")
        if isinstance(height_factor, (int, float)):
            self.height_lower = -abs(height_factor)
        if width_factor is not None:
            self.width_lower, self.width_upper = _factor_pair(width_factor, (-1, 1e9),
                                                              "width_factor")
            if isinstance(width_factor, (int, float)):
                self.width_lower = -abs(width_factor)
        self._set_modes(fill_mode, interpolation, fill_value)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        n = A.stack([self._batch(images)])
        zy = self._uniform(n, 1.0 + self.height_lower, 1.0 + self.height_upper)
        zx = zy if self.width_factor is None else self._uniform(
            n, 1.0 + self.width_lower, 1.0 + self.width_upper)
        x_off = M.multiply((w - 1.0) / 2.0, M.subtract(1.0, zx))
        y_off = M.multiply((h - 1.0) / 2.0, M.subtract(1.0, zy))
        zero = A.zeros_like(zx)
        transforms = A.stack([zx, zero, x_off, zero, zy, y_off, zero, zero], axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomContrast(_ImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in
    [1 - lower, 1 + upper] when training (`factor`: a number f in [0, 1], stored as Keras does
    as `(0, f)`, or a pair `(lower, upper)`), then clips to `value_range=(0, 255)`;
    `seed=None`.

    >>> images = np.array([[[[25.0], [75.0]]]], dtype="float32")
    >>> tf.keras.layers.RandomContrast(0.5)(images, training=False).numpy().ravel()
    array([25., 75.], dtype=float32)
    >>> out = tf.keras.layers.RandomContrast(0.5, seed=1)(images).numpy().ravel()
    >>> bool(abs(out.mean() - 50.0) < 1e-4)
    True
    """

    _random = True

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.value_range = value_range

    def _apply(self, images, training):
        f = self._uniform(A.stack([self._batch(images), 1, 1, 1]), 1.0 - self.factor[0],
                          1.0 + self.factor[1])
        mean = M.reduce_mean(images, axis=[1, 2], keepdims=True)
        out = M.add(M.multiply(M.subtract(images, mean), M.cast(f, images.dtype)), mean)
        return M.clip_by_value(out, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomBrightness(_ImageLayer):
    """Adds a random delta (a fraction of the value range: `factor` f -> [-f, f]) to each image
    when training, then clips to `value_range=(0, 255)`; `seed=None`.

    >>> images = np.full((1, 2, 2, 1), 100.0, dtype="float32")
    >>> out = tf.keras.layers.RandomBrightness(0.1, seed=1)(images).numpy()
    >>> bool(np.all(np.abs(out - 100.0) <= 25.5)), float(np.ptp(out))
    (True, 0.0)
    """

    _random = True

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1), "factor")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                             f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def _apply(self, images, training):
        lo, hi = self.value_range
        delta = M.multiply(self._uniform(A.stack([self._batch(images), 1, 1, 1]),
                                         self.factor[0], self.factor[1]), float(hi - lo))
        return M.clip_by_value(M.add(images, M.cast(delta, images.dtype)), float(lo), float(hi))

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomCrop(_ImageLayer):
    """Crops a random (height, width) box (one offset per batch) when training; an image not
    larger than the box is center-cropped to its aspect ratio and resized. With
    `training=False` the images pass unchanged (Keras 3's behaviour). `seed=None`.

    >>> images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> tf.keras.layers.RandomCrop(2, 2, seed=1)(images).shape
    TensorShape([1, 2, 2, 1])
    >>> tf.keras.layers.RandomCrop(2, 2)(images, training=False).shape
    TensorShape([1, 4, 4, 1])
    """

    _random = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, name=name, **kwargs)
        self.height, self.width = int(height), int(width)

    def _apply(self, images, training):
        h, w = static_hw(images, self.name)
        if h > self.height and w > self.width:
            hs = M.cast(self._uniform([], 0.0, float(h - self.height + 1)), "int32")
            ws = M.cast(self._uniform([], 0.0, float(w - self.width + 1)), "int32")
            # gathers keep the output shape static (a slice at a drawn offset would not)
            rows = M.add(A.range(self.height, dtype="int32"), hs)
            cols = M.add(A.range(self.width, dtype="int32"), ws)
            return G.gather(G.gather(images, rows, axis=1), cols, axis=2)
        hs, ws, ch, cw = crop_box_for_aspect(h, w, self.height, self.width)
        out = _crop(images, hs, ws, ch, cw)
        if (ch, cw) != (self.height, self.width):
            out = resize(out, self.height, self.width)
        return out

    _out_hw = Resizing._out_hw

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, seed=self.seed)
        return config

