"""Op specs for tf.strings (ops/string_ops.py): string tensors are NumPy object arrays of bytes,
and each reference below computes the same bytes with Python's own str/bytes methods."""
import re

import numpy as np

import autograph_jit as tf

from .opspec import Case, OpSpec


def _s(*items, shape=None):
    arr = np.array([x.encode() if isinstance(x, str) else x for x in items], dtype=object)
    return arr.reshape(shape) if shape is not None else arr


def _scalar(text):
    a = np.empty((), dtype=object)
    a[()] = text.encode()
    return a


def _map(fn, *arrays, otype=object):
    out = np.frompyfunc(fn, len(arrays), 1)(*arrays)
    return np.asarray(out, dtype=object).astype(otype) if otype is not object else \
        np.asarray(out, dtype=object)


WORDS = _s("a", "héllo", "", "Mixed Case", " pad ")
GRID = _s("ab", "C", "d e", "", shape=(2, 2))
CASES = [Case((WORDS,)), Case((GRID,)), Case((_scalar("Xy"),)), Case((_s(),))]

SPECS = [
    OpSpec("string_length", fn=tf.strings.length, ref=lambda x: _map(len, x, otype=np.int32),
           cases=CASES),
    OpSpec("string_length_utf8", fn=lambda x: tf.strings.length(x, unit="UTF8_CHAR"),
           ref=lambda x: _map(lambda b: len(b.decode()), x, otype=np.int32),
           covers=("string_length",), cases=CASES),
    OpSpec("string_upper", fn=tf.strings.upper, ref=lambda x: _map(bytes.upper, x), cases=CASES),
    OpSpec("string_lower", fn=tf.strings.lower, ref=lambda x: _map(bytes.lower, x), cases=CASES),
    OpSpec("string_strip", fn=tf.strings.strip, ref=lambda x: _map(bytes.strip, x), cases=CASES),
    OpSpec("string_to_number", fn=tf.strings.to_number,
           ref=lambda x: _map(float, x, otype=np.float32),
           cases=[Case((_s("1.5", "-2", " 3e2 ", "inf"),)), Case((_scalar("0.25"),))]),
    OpSpec("string_to_number_int", fn=lambda x: tf.strings.to_number(x, out_type=tf.int64),
           ref=lambda x: _map(int, x, otype=np.int64), covers=("string_to_number",),
           cases=[Case((_s("12", "-7", "0"),))]),
    OpSpec("as_string", fn=tf.strings.as_string,
           ref=lambda x: _map(lambda v: (("true" if v else "false") if x.dtype.kind == "b"
                                         else str(int(v)) if x.dtype.kind in "iu"
                                         else format(float(v), ".6f")).encode(), x),
           cases=[Case((np.array([3, -10, 0], np.int32),)), Case((np.array([1.5, -2e-7]),)),
                  Case((np.array([True, False]),)), Case((np.array(7, np.int64),))]),
    OpSpec("regex_full_match",
           fn=lambda x: tf.strings.regex_full_match(x, "[a-zé]+"),
           ref=lambda x: _map(lambda b: re.fullmatch("[a-zé]+".encode(), b) is not None, x,
                              otype=bool), cases=CASES),
    OpSpec("regex_replace", fn=lambda x: tf.strings.regex_replace(x, "[aeiou]", "_"),
           ref=lambda x: _map(lambda b: re.sub(b"[aeiou]", b"_", b), x), cases=CASES),
    OpSpec("string_join", fn=lambda a, b: tf.strings.join([a, b], separator="+"),
           ref=lambda a, b: _map(lambda p, q: p + b"+" + q, a, b),
           cases=[Case((WORDS, WORDS[::-1].copy())), Case((GRID, _s("z"))),
                  Case((_scalar("x"), WORDS))]),
    OpSpec("reduce_join", fn=lambda x: tf.strings.reduce_join(x, axis=-1, separator=","),
           ref=lambda x: np.asarray(_map(lambda *p: b",".join(p), *np.moveaxis(x, -1, 0))
                                    if x.shape[-1] else np.full(x.shape[:-1], b"", object),
                                    dtype=object),
           cases=[Case((GRID,)), Case((WORDS,))]),
    OpSpec("substr", fn=lambda x: tf.strings.substr(x, 0, 2),
           ref=lambda x: _map(lambda b: b[0:2], x), cases=[Case((GRID,)), Case((WORDS,))]),
    OpSpec("string_equal", fn=tf.equal, ref=lambda a, b: np.equal(a, b).astype(bool),
           covers=("equal",), cases=[Case((WORDS, WORDS[::-1].copy())), Case((GRID, _s("C")))]),
    OpSpec("string_concat", fn=tf.add, ref=lambda a, b: np.add(a, b).astype(object),
           covers=("add",), cases=[Case((WORDS, _s("!")))]),
]
