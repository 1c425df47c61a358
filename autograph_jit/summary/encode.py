"""Summary values as TensorBoard's protos (`tensorboard` package): scalar, histogram, image, text.

The layouts are TF2's (what `tf.summary.*` writes, read by TensorBoard's plugins): a scalar is a
float32 scalar tensor with the "scalars" plugin metadata; a histogram a float64 [k, 3] tensor of
(left edge, right edge, count) rows ("histograms"); an image summary a string tensor
`[width, height, png_0, ..., png_n]` ("images"); text a string tensor ("text").
"""
import struct
import zlib

import numpy as np

try:
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.histogram import summary_v2 as _histogram
    from tensorboard.plugins.image import metadata as _image_metadata
    from tensorboard.plugins.scalar import summary_v2 as _scalar
    from tensorboard.plugins.text import summary_v2 as _text
    from tensorboard.util import tensor_util
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("tf.summary needs the `tensorboard` package: "
                      "pip install 'autograph_jit[tensorboard]'") from e

__all__ = ["summary_proto", "encode_png"]


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(image):
    """PNG bytes of a uint8 [height, width, channels] array (1: gray, 2: gray+alpha, 3: RGB,
    4: RGBA)."""
    h, w, c = image.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), image.reshape(h, w * c)], axis=1)
    return (b"\x89PNG\r\n\x1a\n" +
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) +
            _png_chunk(b"IEND", b""))


def _to_uint8(images):
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind == "f":
        # TF's convert_image_dtype(saturate=True): scale by 255.5 and truncate
        return np.clip(images.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    return np.clip(images, 0, 255).astype(np.uint8)


def _image(tag, data, meta):
    images = _to_uint8(np.asarray(data))[: meta["max_outputs"]]
    h, w = images.shape[1], images.shape[2]
    blobs = [str(w).encode(), str(h).encode()] + [encode_png(im) for im in images]
    tensor = tensor_util.make_tensor_proto(np.array(blobs, dtype=object))
    metadata = _image_metadata.create_summary_metadata(
        display_name=None, description=meta.get("description") or "")
    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, metadata=metadata, tensor=tensor)
    return summary


def summary_proto(kind, tag, data, meta):
    """The `Summary` proto of one value."""
    description = meta.get("description")
    if kind == "scalar":
        return _scalar.scalar_pb(tag, np.float32(np.asarray(data)), description=description)
    if kind == "histogram":
        arr = np.asarray(data, dtype=np.float64)
        return _histogram.histogram_pb(tag, arr, buckets=meta.get("buckets"),
                                       description=description)
    if kind == "image":
        return _image(tag, data, meta)
    if kind == "text":
        if isinstance(data, np.ndarray) and data.dtype == object:
            data = np.vectorize(lambda s: s if isinstance(s, bytes) else str(s).encode(),
                                otypes=[object])(data)
        return _text.text_pb(tag, data, description=description)
    raise ValueError(f"unknown summary kind {kind!r}")
