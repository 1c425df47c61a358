"""`tf.summary.scalar`, `histogram`, `image`, `text`: validate, then emit the `write_summary` op.

Eagerly the op writes at once; inside a `tf.function` it is a node of the graph (an IO effect,
ordered with `tf.print` and variable writes) that writes on every call. With no default writer,
under a no-op writer, or under `record_if(False)`, nothing is emitted and the result is False.
"""
import numpy as np

from ..module import current_name_scope
from ..ops.array_ops import constant
from ..ops.math_ops import cast
from ..ops.opdef import apply
from ..ops.summary_ops import write_summary
from ..tensor import Tensor, convert_to_tensor
from . import writer as _w

__all__ = ["scalar", "histogram", "image", "text"]


def _tensor_like(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def _step_tensor(step, kind, name):
    if step is None:
        step = _w.get_step()
    if step is None:
        raise ValueError("No step set. Please specify one either through the `step` argument or "
                         "through tf.summary.experimental.set_step()")
    if _tensor_like(step):
        t = convert_to_tensor(step)
        if not t.dtype.is_integer:
            raise ValueError(f"tf.summary.{kind} {name!r}: `step` must be an integer, got "
                             f"{t.dtype.name}.")
        return cast(t, "int64")
    if isinstance(step, (bool, float)) or not isinstance(step, (int, np.integer)):
        raise ValueError(f"tf.summary.{kind} {name!r}: `step` must be an integer, got "
                         f"{step!r}.")
    return constant(int(step), dtype="int64")


def _emit(kind, name, data, step, meta, text=None):
    writer = _w.get_default_writer()
    if writer is None or isinstance(writer, _w._NoopWriter):
        return constant(False)
    cond = _w._condition_value()
    if not _tensor_like(cond):
        if not cond:
            return constant(False)
        cond = constant(True)
    else:
        cond = cast(cond, "bool")
    tag = current_name_scope() + name
    step_t = _step_tensor(step, kind, name)
    inputs = (step_t, cond) if data is None else (step_t, cond, data)
    return apply(write_summary, *inputs, writer=writer, kind=kind, tag=tag,
                 meta=tuple(sorted(meta.items())), text=text)


def scalar(name, data, step=None, description=None):
    """Write a scalar summary (TensorBoard's "Scalars" dashboard).

    Args:
      name: the tag (prefixed by the current name scope).
      data: a real numeric scalar (converted to float32).
      step: the step (default: `tf.summary.experimental.get_step()`).
    Returns:
      True if written, False if no default writer or recording is off.

    Example:
      with writer.as_default():
          tf.summary.scalar("loss", loss, step=epoch)

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.scalar('loss', 0.25, step=3))
    tf.Tensor(True, shape=(), dtype=bool)
    """
    data = convert_to_tensor(data)
    if data.shape.rank not in (0, None):
        raise ValueError(f"tf.summary.scalar {name!r}: `data` must be a scalar, got shape "
                         f"{data.shape}.")
    if not (data.dtype.is_floating or data.dtype.is_integer or data.dtype.name == "bool"):
        raise ValueError(f"tf.summary.scalar {name!r}: `data` must be numeric, got "
                         f"{data.dtype.name}.")
    return _emit("scalar", name, cast(data, "float32"), step, {"description": description})


def histogram(name, data, step=None, buckets=None, description=None):
    """Write a histogram of `data` (any shape, numeric) in `buckets` buckets (default 30).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.histogram('weights', tf.random.normal([100], seed=1), step=0))
    tf.Tensor(True, shape=(), dtype=bool)
    """
    data = convert_to_tensor(data)
    if buckets is not None and (not isinstance(buckets, (int, np.integer)) or buckets < 0):
        raise ValueError(f"tf.summary.histogram {name!r}: `buckets` must be a non-negative "
                         f"integer, got {buckets!r}.")
    return _emit("histogram", name, cast(data, "float64"), step,
                 {"description": description, "buckets": buckets})


def image(name, data, step=None, max_outputs=3, description=None):
    """Write up to `max_outputs` images from `data` of shape [k, height, width, channels]
    (channels 1, 3 or 4; floats in [0, 1] or uint8) as PNGs.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.image('digits', tf.zeros([2, 8, 8, 1]), step=0, max_outputs=2))
    tf.Tensor(True, shape=(), dtype=bool)
    """
    data = convert_to_tensor(data)
    shape = data.shape
    if shape.rank is not None and (shape.rank != 4 or shape[3] not in (1, 3, 4, None)):
        raise ValueError(f"tf.summary.image {name!r}: `data` must have shape [k, height, width, "
                         f"channels] with 1, 3 or 4 channels, got {shape}.")
    return _emit("image", name, data, step,
                 {"description": description, "max_outputs": int(max_outputs)})


def text(name, data, step=None, description=None):
    """Write a text summary (a string, or a string tensor; Markdown is rendered).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.text('note', 'hello', step=0))
    tf.Tensor(True, shape=(), dtype=bool)
    """
    if isinstance(data, (str, bytes)):
        raw = data.encode() if isinstance(data, str) else data
        return _emit("text", name, None, step, {"description": description}, text=raw)
    if isinstance(data, (list, tuple)) and all(isinstance(s, (str, bytes)) for s in data):
        arr = np.array([s.encode() if isinstance(s, str) else s for s in data], dtype=object)
        return _emit("text", name, None, step, {"description": description},
                     text=tuple(arr.tolist()))
    data = convert_to_tensor(data)
    if data.dtype.name != "string":
        raise ValueError(f"tf.summary.text {name!r}: `data` must be a string or string tensor, "
                         f"got {data.dtype.name}.")
    return _emit("text", name, data, step, {"description": description})
