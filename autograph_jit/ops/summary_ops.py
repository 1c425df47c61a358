"""`write_summary`: the IO-effect op behind `tf.summary.scalar/histogram/image/text`.

Like `tf.print`, it runs at run time, every call, in program order with other effects (eagerly, in
the graph interpreter, and from compiled code through the host-callback path). Inputs: the step
(int64 scalar), the record condition (bool scalar) and the data tensor (absent when the data is a
Python string, held in the `text` attribute). The `writer` attribute is the summary writer object
that was the default when the op was created; its `_write_summary(kind, tag, data, step, meta)`
encodes and queues the event. The output is whether a summary was written.
"""
import numpy as np

from .. import dtypes as _dtypes
from ..ir.types import TensorType
from .opdef import IO, InvalidArgumentError, defop

__all__ = ["write_summary"]


def _infer(in_types, writer, kind, tag, meta, text=None):
    step, cond = in_types[0], in_types[1]
    if not step.dtype.is_integer or step.shape.rank not in (0, None):
        raise InvalidArgumentError(f"tf.summary.{kind} {tag!r}: `step` must be an integer scalar, "
                                   f"got {step.dtype.name}{step.shape}.", "write_summary")
    if cond.dtype is not _dtypes.bool:
        raise InvalidArgumentError(f"tf.summary.{kind} {tag!r}: the record_if condition must be a "
                                   f"bool, got {cond.dtype.name}.", "write_summary")
    return TensorType(_dtypes.bool, ())


def _kernel(step, cond, *data, writer, kind, tag, meta, text=None):
    if not bool(cond):
        return np.array(False)
    value = text if text is not None else data[0]
    if isinstance(value, tuple):
        value = np.array(value, dtype=object)
    writer._write_summary(kind, tag, value, int(step), dict(meta))
    return np.array(True)


write_summary = defop("write_summary", _infer, _kernel, effects=IO, differentiable=False, host=True,
                      doc="Write one summary (kind, tag, data) at `step` to attribute `writer` "
                          "when input 1 is true; returns whether it wrote.")
