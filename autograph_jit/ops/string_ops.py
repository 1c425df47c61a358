"""String ops (`tf.strings.*`): host kernels over NumPy object arrays of bytes.

A string tensor's value is an object array of `bytes` (what TF's `.numpy()` returns); the ops
below are ordinary OpDefs, so they run eagerly and inside `tf.function` graphs. They have no
native lowering: a graph holding string values runs on the interpreter, reported by
`explain()` (codegen/llvm/backend.py). `tf.strings.split` returns a RaggedTensor, so it lives
in the api layer (autograph_jit/strings.py), eager only.
"""
import re

import numpy as np

from .. import dtypes
from ..errors import InvalidArgumentError
from ..ir.types import TensorType
from . import type_rules as tr
from ._args import to_tensor
from .opdef import apply, defop

_STRING = (dtypes.string,)


def _map(fn, *arrays):
    """fn over the broadcast elements of object/number arrays -> an object array (also for
    rank 0, where frompyfunc returns a bare Python object)."""
    out = np.frompyfunc(fn, len(arrays), 1)(*arrays)
    if not isinstance(out, np.ndarray):
        box = np.empty((), dtype=object)
        box[()] = out
        return box
    return out


def _string_infer(name, out_dtype=None):
    def infer(in_types, **_):
        tr.check_dtype(name, in_types[0], _STRING)
        return TensorType(out_dtype or dtypes.string, in_types[0].shape)
    return infer


def _utf8(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError("Invalid UTF-8 string: use unit='BYTE' for raw bytes",
                                   "string_length") from None


def _length_kernel(x, unit):
    if unit == "BYTE":
        return _map(len, x).astype(np.int32)
    return _map(lambda b: len(_utf8(b)), x).astype(np.int32)


def _to_number_kernel(x, out_type):
    def conv(b):
        text = b.decode("utf-8", "replace").strip()
        try:
            return int(text, 10) if out_type.is_integer else float(text)
        except ValueError:
            raise InvalidArgumentError(
                f"StringToNumberOp could not correctly convert string: {text}",
                "string_to_number") from None
    out = _map(conv, x)
    if out_type.is_integer:
        info = np.iinfo(out_type.np_dtype)
        flat = out.reshape(-1)
        for v in flat:
            if not info.min <= v <= info.max:
                raise InvalidArgumentError(
                    f"StringToNumberOp could not correctly convert string: {v} (out of range "
                    f"for {out_type.name})", "string_to_number")
    return out.astype(out_type.np_dtype)


def _as_string_infer(in_types, **_):
    x = in_types[0]
    tr.check_dtype("as_string", x, tr.ALL + tr.COMPLEX)
    return TensorType(dtypes.string, x.shape)


def _as_string_kernel(x, precision, scientific, shortest, width, fill):
    kind = x.dtype.kind
    def fmt(v):
        if kind == "b":
            text = "true" if v else "false"
        elif kind in "iu":
            text = str(int(v))
        elif kind == "c":
            text = f"({fmt_float(v.real)},{fmt_float(v.imag)})"
        else:
            text = fmt_float(v)
        if width > 0:
            text = text.rjust(width, fill or " ")
        return text.encode()

    def fmt_float(v):
        if shortest:
            return format(float(v), "g")
        spec = "e" if scientific else "f"
        return format(float(v), f".{precision if precision >= 0 else 6}{spec}")
    return _map(fmt, x)


def _regex_kernel(x, pattern):
    try:
        compiled = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    except re.error as e:
        raise InvalidArgumentError(f"Invalid pattern: {pattern}, error: {e}",
                                   "regex_full_match") from None
    return _map(lambda b: compiled.fullmatch(b) is not None, x).astype(bool)


def _regex_replace_kernel(x, pattern, rewrite, replace_global):
    compiled = re.compile(pattern.encode())
    repl = re.sub(rb"\\(\d)", rb"\\g<\1>", rewrite.encode())  # RE2's \1 is Python's \g<1>
    count = 0 if replace_global else 1
    return _map(lambda b: compiled.sub(repl, b, count=count), x)


def _join_infer(in_types, separator):
    for t in in_types:
        tr.check_dtype("string_join", t, _STRING)
    return TensorType(dtypes.string, tr.broadcast_shapes("string_join",
                                                         *[t.shape for t in in_types]))


def _join_kernel(*xs, separator):
    sep = separator.encode()
    return _map(lambda *parts: sep.join(parts), *xs)


def _reduce_join_infer(in_types, axis, keepdims, separator):
    x = in_types[0]
    tr.check_dtype("reduce_join", x, _STRING)
    shape = x.shape.as_list() if x.shape.rank is not None else None
    if shape is None:
        return TensorType(dtypes.string, x.shape)
    axes = range(len(shape)) if axis is None else [a % len(shape) for a in axis]
    out = [1 if i in axes else d for i, d in enumerate(shape)] if keepdims else \
        [d for i, d in enumerate(shape) if i not in axes]
    return TensorType(dtypes.string, out)


def _reduce_join_kernel(x, axis, keepdims, separator):
    sep = separator.encode()
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    lead = moved.shape[:x.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    out = np.empty(lead, dtype=object)
    for idx in np.ndindex(*lead):
        out[idx] = sep.join(flat[idx])
    if keepdims:
        out = np.expand_dims(out, axes)
    return out


def _substr_kernel(x, pos, length, unit):
    def cut(b, p, n):
        s = b if unit == "BYTE" else _utf8(b)
        if p < 0:
            p += len(s)
        if not 0 <= p <= len(s):
            raise InvalidArgumentError(f"pos {p} out of range for string b'{b!r}' at index 0",
                                       "substr")
        piece = s[p:p + n]
        return piece if unit == "BYTE" else piece.encode()
    return _map(cut, x, pos, length)


def _substr_infer(in_types, unit):
    x, pos, n = in_types
    tr.check_dtype("substr", x, _STRING)
    tr.check_dtype("substr", pos, tr.INTS, "pos")
    return TensorType(dtypes.string, tr.broadcast_shapes("substr", x.shape, pos.shape, n.shape))


_length = defop("string_length", _string_infer("string_length", dtypes.int32), _length_kernel,
                differentiable=False)
_upper = defop("string_upper", _string_infer("string_upper"),
               lambda x, encoding: _map(bytes.upper, x), differentiable=False)
_lower = defop("string_lower", _string_infer("string_lower"),
               lambda x, encoding: _map(bytes.lower, x), differentiable=False)
_strip = defop("string_strip", _string_infer("string_strip"), lambda x: _map(bytes.strip, x),
               differentiable=False)


def _to_number_infer(in_types, out_type):
    tr.check_dtype("string_to_number", in_types[0], _STRING)
    if not (out_type.is_floating or out_type.name in ("int32", "int64")):
        raise TypeError(f"string_to_number: out_type must be float16/32/64, int32 or int64, "
                        f"got {out_type.name}")
    return TensorType(out_type, in_types[0].shape)


_to_number = defop("string_to_number", _to_number_infer, _to_number_kernel,
                   differentiable=False)
_as_string = defop("as_string", _as_string_infer, _as_string_kernel, differentiable=False)
_regex_full_match = defop("regex_full_match", _string_infer("regex_full_match", dtypes.bool),
                          _regex_kernel, differentiable=False)
_regex_replace = defop("regex_replace", _string_infer("regex_replace"), _regex_replace_kernel,
                       differentiable=False)
_join = defop("string_join", _join_infer, _join_kernel, differentiable=False)
_reduce_join = defop("reduce_join", _reduce_join_infer, _reduce_join_kernel,
                     differentiable=False)
_substr = defop("substr", _substr_infer, _substr_kernel, differentiable=False)


def _unit(unit):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")
    return unit


# -- the public functions (tf.strings) ----------------------------------------------------------


def length(input, unit="BYTE", name=None):  # noqa: A002 - TF's name
    """String lengths of `input`, in bytes (unit="BYTE") or Unicode characters ("UTF8_CHAR").

    >>> tf.strings.length(tf.constant(["a", "héllo"])).numpy()
    array([1, 6], dtype=int32)
    >>> int(tf.strings.length("héllo", unit="UTF8_CHAR"))
    5
    """
    return apply(_length, to_tensor(input), unit=_unit(unit))


def upper(input, encoding="", name=None):  # noqa: A002
    """Converts all lowercase ASCII characters to uppercase.

    >>> tf.strings.upper(tf.constant(["ab", "Cd"])).numpy()
    array([b'AB', b'CD'], dtype=object)
    """
    return apply(_upper, to_tensor(input), encoding=encoding)


def lower(input, encoding="", name=None):  # noqa: A002
    """Converts all uppercase ASCII characters to lowercase.

    >>> tf.strings.lower("HeLLo").numpy()
    b'hello'
    """
    return apply(_lower, to_tensor(input), encoding=encoding)


def strip(input, name=None):  # noqa: A002
    """Strips leading and trailing whitespace.

    >>> tf.strings.strip("  hi ").numpy()
    b'hi'
    """
    return apply(_strip, to_tensor(input))


def to_number(input, out_type=dtypes.float32, name=None):  # noqa: A002
    """Converts each string to a number of `out_type` (float32 by default).

    >>> tf.strings.to_number(tf.constant(["1.5", "-2"])).numpy()
    array([ 1.5, -2. ], dtype=float32)
    """
    return apply(_to_number, to_tensor(input), out_type=dtypes.as_dtype(out_type))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1,  # noqa: A002
              fill="", name=None):
    """Converts each number (or bool) in `input` to a string.

    >>> tf.strings.as_string(tf.constant([3, 10])).numpy()
    array([b'3', b'10'], dtype=object)
    >>> tf.strings.as_string(3.5, precision=2).numpy()
    b'3.50'
    """
    return apply(_as_string, to_tensor(input), precision=int(precision),
                 scientific=bool(scientific), shortest=bool(shortest), width=int(width),
                 fill=str(fill))


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each string matches the regular expression `pattern` in full.

    >>> tf.strings.regex_full_match(tf.constant(["ab1", "x"]), "[a-z]+[0-9]").numpy()
    array([ True, False])
    """
    return apply(_regex_full_match, to_tensor(input), pattern=str(pattern))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replaces the matches of `pattern` in each string with `rewrite` (`\\1` refers to a
    group).

    >>> tf.strings.regex_replace("a1b22", "[0-9]+", "#").numpy()
    b'a#b#'
    """
    return apply(_regex_replace, to_tensor(input), pattern=str(pattern), rewrite=str(rewrite),
                 replace_global=bool(replace_global))


def join(inputs, separator="", name=None):
    """Joins the strings of a list of tensors elementwise (with broadcasting).

    >>> tf.strings.join([tf.constant(["a", "b"]), "x"], separator="-").numpy()
    array([b'a-x', b'b-x'], dtype=object)
    """
    tensors = [to_tensor(x) for x in inputs]
    if not tensors:
        raise ValueError("tf.strings.join needs at least one input")
    return apply(_join, *tensors, separator=str(separator))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings of a tensor across `axis` (all axes by default).

    >>> tf.strings.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), axis=1).numpy()
    array([b'ab', b'cd'], dtype=object)
    """
    if axis is not None:
        axis = tuple(int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    return apply(_reduce_join, to_tensor(inputs), axis=axis, keepdims=bool(keepdims),
                 separator=str(separator))


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002 - TF's names
    """Substrings of `len` starting at `pos` (bytes, or characters with unit="UTF8_CHAR").

    >>> tf.strings.substr("hello", 1, 3).numpy()
    b'ell'
    """
    return apply(_substr, to_tensor(input), to_tensor(pos), to_tensor(len), unit=_unit(unit))
