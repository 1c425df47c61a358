"""`keras.utils.load_img` / `img_to_array` / `array_to_img` / `save_img`: images as PIL
images and float32 NumPy arrays (channels last), with Pillow, as Keras 3."""
import io
import os

import numpy as np

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Could not import PIL.Image. The use of `load_img` and the image "
                          "helpers of tf.keras.utils requires PIL: `pip install pillow`.") from None
    return Image


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a 3-D array (height, width, 1/3/4 channels); `scale` maps the values'
    range to 0..255.

    >>> tf.keras.utils.array_to_img(np.zeros((4, 5, 3))).size
    (5, 4)
    """
    Image = _pil()
    data_format = data_format or "channels_last"
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with "
                         f"shape: {x.shape}")
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid data_format: {data_format}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:   # 32-bit signed integer grayscale image
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """The PIL image `img` as a float32 array (height, width, channels).

    >>> img = tf.keras.utils.array_to_img(np.ones((2, 3, 1)), scale=False)
    >>> tf.keras.utils.img_to_array(img).shape
    (2, 3, 1)
    """
    data_format = data_format or "channels_last"
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format}")
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else \
            x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save the array `x` as an image file (the format from `file_format` or the name).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "black.png")
    >>> tf.keras.utils.save_img(path, np.zeros((4, 5, 3)))
    >>> tf.keras.utils.load_img(path).size
    (5, 4)
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpg" or file_format == "jpeg"):
        img = img.convert("RGB")
    if file_format == "jpg":
        file_format = "jpeg"
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file (a path or a file-like object) as a PIL image.

    Args:
      path: the file.
      color_mode: "grayscale", "rgb" or "rgba".
      target_size: None (the file's size) or (height, width).
      interpolation: the resampling when resizing ("nearest", "bilinear", "bicubic", ...).
      keep_aspect_ratio: crop the middle of the image to the target's aspect ratio first.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> tf.keras.utils.array_to_img(np.ones((6, 8, 3))).save(buffer, format="png")
    >>> tf.keras.utils.load_img(buffer, target_size=(3, 4)).size
    (4, 3)
    """
    Image = _pil()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in modes:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if img.mode not in modes[color_mode]:
        img = img.convert({"grayscale": "L", "rgba": "RGBA", "rgb": "RGB"}[color_mode])
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            if interpolation not in _INTERPOLATIONS:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. "
                                 f"Supported methods are {', '.join(_INTERPOLATIONS)}")
            resample = getattr(Image.Resampling, interpolation.upper())
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = (width * target_height) // target_width
                crop_width = (height * target_width) // target_height
                crop_height, crop_width = min(height, crop_height), min(width, crop_width)
                crop_box_hstart = (height - crop_height) // 2
                crop_box_wstart = (width - crop_width) // 2
                img = img.crop((crop_box_wstart, crop_box_hstart,
                                crop_box_wstart + crop_width, crop_box_hstart + crop_height))
            img = img.resize(width_height, resample)
    return img
