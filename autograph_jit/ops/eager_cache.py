"""The eager type cache: what an op's type rule said for inputs of these dtypes and shapes.

Eager mode runs an op's type rule (`OpDef.infer`) before its kernel, to validate the inputs and
learn the output dtypes. For a repeated op — the same OpDef on inputs of the same dtypes and
shapes, with equal attributes — the rule's answer is the same, so `apply` (ops/opdef.py) asks it
once and keeps the output dtypes here, keyed by

    (op, input 0's NumPy dtype, input 0's shape, input 1's ..., attribute key)

A rule that failed is never cached (the next call runs it again and raises the same error), so
results and errors are those of the uncached path. What makes an entry exact:

- **Attributes** enter the key only when they are plain data: ints, floats, bools, strings,
  None, DTypes, TensorShapes and (nested) tuples/lists of them, each with its Python type (`1`,
  `1.0` and `True` are equal in Python but may be checked differently by a rule), floats also
  with their sign (`-0.0`). Objects registered with `register_attr_key` (tf.Variable: its unique
  id, dtype and shape) key through that function. Any other attribute (a graph region, a
  callable, an array) makes the call uncached.
- **Values**: a type rule may read an input's value (`TensorType.value`: `tf.reshape`'s shape
  tensor, `tf.range`'s bounds). The first run of a rule sees probe types that notice such a
  read; an op whose rule read a value is never cached again (`OpDef.eager_cacheable`).
- **Memory**: at most `LIMIT` entries; past it the oldest entry goes first (a program that
  makes ever new shapes keeps the cache at LIMIT entries, the hot ones coming back on their
  next call).
"""
from ..dtypes import DType
from ..ir.types import TensorType
from ..tensor_shape import TensorShape

__all__ = ["LIMIT", "CACHE", "attrs_key", "register_attr_key", "store", "probe_types",
           "clear"]

LIMIT = 4096
CACHE = {}   # key -> tuple of output DTypes

_PLAIN = frozenset({int, bool, str, type(None)})
_CUSTOM = {}   # type -> function(value) -> hashable key part


def register_attr_key(cls, fn):
    """Let attributes of exactly type `cls` key the cache by `fn(value)`, a hashable value that
    determines everything the type rules read from it (e.g. a Variable's id, dtype and shape)."""
    _CUSTOM[cls] = fn


def _freeze(v):
    """A hashable stand-in for attribute `v` that equals another's only when the type rules
    cannot tell the two apart; None when `v` is not plain data."""
    t = type(v)
    if t in _PLAIN:
        return (t, v)
    if t is float:
        return (t, v, v.hex())   # hex() tells -0.0 from 0.0 (equal as floats)
    if t is tuple or t is list:
        items = []
        for x in v:
            f = _freeze(x)
            if f is None:
                return None
            items.append(f)
        return (t, tuple(items))
    fn = _CUSTOM.get(t)
    if fn is not None:
        return (t, fn(v))
    if t is DType:
        return (t, v.name)
    if t is TensorShape:
        return (t, v.as_tuple())
    return None


def attrs_key(attrs):
    """The attributes' part of the cache key (a tuple), or None when one is not plain data."""
    out = []
    for name, v in attrs.items():
        f = _freeze(v)
        if f is None:
            return None
        out.append(name)
        out.append(f)
    return tuple(out)


def store(key, out_dtypes):
    """Keep `out_dtypes` under `key`, dropping the oldest entries past LIMIT."""
    while len(CACHE) >= LIMIT:
        try:   # the oldest entry (dicts keep insertion order); another thread may be evicting
            CACHE.pop(next(iter(CACHE)), None)
        except (StopIteration, RuntimeError):
            break
    CACHE[key] = out_dtypes


def clear():
    CACHE.clear()


class _Probe(TensorType):
    """A TensorType that notices when a type rule reads its value."""

    __slots__ = ("_probed", "_read")

    @property
    def value(self):
        self._read[0] = True
        return self._probed

    @value.setter
    def value(self, v):
        self._probed = v


def probe_types(inputs):
    """(types of the eager `inputs` as probes, a one-item list set True when a value is read)."""
    read = [False]
    out = []
    for t in inputs:
        p = _Probe.__new__(_Probe)
        p._read = read
        TensorType.__init__(p, t.dtype, t._value.shape, t._value)
        out.append(p)
    return out, read
