"""`tf.print`: an IO-effect op that formats tensors at run time (every call, in program order).

The message is split at trace time into literal text and tensor slots (`parts`); the kernel fills
the slots with runtime/printing.py's TF formatting and writes to the stream. `sys.stdout` and
`sys.stderr` are resolved when the op runs, so redirections made after tracing are honoured.
"""
import sys

from ..runtime.printing import format_tensor
from ..tensor import Tensor, convert_to_tensor
from .opdef import IO, apply, defop

_STREAM_NAMES = {"stdout": lambda: sys.stdout, "stderr": lambda: sys.stderr}


def _print_kernel(*values, parts, stream, summarize):
    text = "".join(p if isinstance(p, str) else format_tensor(values[p], summarize)
                   for p in parts)
    _write(stream, text)
    return ()


def _write(stream, text):
    if isinstance(stream, str):
        if stream in _STREAM_NAMES:
            out = _STREAM_NAMES[stream]()
            out.write(text)
            flush = getattr(out, "flush", None)
            if flush is not None:
                flush()
            return
        if stream.startswith("file://"):
            with open(stream[len("file://"):], "a", encoding="utf-8") as fh:
                fh.write(text)
            return
        raise ValueError(f"tf.print: unknown output_stream {stream!r}")
    if hasattr(stream, "write"):
        stream.write(text)
        return
    stream(text.rstrip("\n"))  # a logging function such as logging.info


print_op = defop("print", lambda in_types, **attrs: (), _print_kernel, effects=IO, num_outputs=0,
                 host=True, doc="Write the formatted message; `parts` holds literal text and input indices.")


def _is_tensor_like(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def _template(value, tensors, top):
    """Message parts for one argument; tensors found are appended to `tensors`."""
    if _is_tensor_like(value):
        tensors.append(convert_to_tensor(value))
        return [len(tensors) - 1]
    if isinstance(value, str):
        return [value if top else repr(value)]
    if isinstance(value, (list, tuple, dict)):
        if isinstance(value, dict):
            items = []
            for i, (k, v) in enumerate(value.items()):
                items += ([", "] if i else []) + [repr(k) + ": "] + _template(v, tensors, False)
            return ["{"] + items + ["}"]
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        items = []
        for i, v in enumerate(value):
            items += ([", "] if i else []) + _template(v, tensors, False)
        if isinstance(value, tuple) and len(value) == 1:
            items.append(",")
        return [open_] + items + [close]
    return [repr(value)]


def tf_print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """TF's `tf.print(*inputs, output_stream=sys.stderr, summarize=3, sep=' ', end='\\n')`.

    >>> import sys
    >>> tf.print('x =', tf.constant([1, 2]), output_stream=sys.stdout)
    x = [1 2]
    """
    if output_stream is None or output_stream is sys.stderr:
        stream = "stderr"
    elif output_stream is sys.stdout:
        stream = "stdout"
    else:
        stream = output_stream
    tensors = []
    parts = []
    for i, value in enumerate(inputs):
        if i:
            parts.append(sep)
        parts.extend(_template(value, tensors, True))
    parts.append(end)
    merged = []
    for p in parts:  # join adjacent literals so the kernel does less work
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return apply(print_op, *tensors, parts=tuple(merged), stream=stream,
                 summarize=-1 if summarize is None else int(summarize))
