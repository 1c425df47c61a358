"""Tensor: the user-facing value, and its eager form holding a NumPy array.

`Tensor` carries what every tensor has (dtype, shape, operators, printing rules); `EagerTensor`
holds a concrete, read-only NumPy array. Symbolic tensors (while tracing) subclass `Tensor` in
`tracing/`. Operators (`+`, `@`, `[]`, ...) are installed by `ops/operators.py` so that every one of
them goes through the op registry.

`convert_to_tensor` implements TF's conversion rules: Python floats become float32, ints int32 (int64
when they do not fit), NumPy arrays keep their dtype, and a requested dtype may not silently turn a
Python float into an integer. A NumPy input (any ndarray subclass: memmap, matrix, ...) is copied
into a private base-class array, as TF copies: the caller's array stays writable, and writing it (or
the array a view came from) never changes the tensor. Arrays made by kernels are wrapped without a
copy (`EagerTensor(arr)` is internal: it freezes and keeps `arr`).
"""
import numbers

import numpy as np

from . import dtypes as _dtypes
from .ir.types import TensorType
from .tensor_shape import TensorShape
from .tracing import context as _context

__all__ = ["Tensor", "EagerTensor", "convert_to_tensor", "is_tensor", "constant_value",
           "private_array"]


class Tensor:
    """Base of eager and symbolic tensors.

    >>> t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> t.shape, t.dtype, t.ndim
    (TensorShape([2, 2]), tf.float32, 2)
    >>> (t * 2 + 1)[0].numpy()
    array([3., 5.], dtype=float32)
    >>> float(t.numpy().sum())
    10.0
    """

    __slots__ = ("__weakref__",)
    # Makes `ndarray + tensor` defer to `Tensor.__radd__` while np.exp(tensor) still works.
    __array_priority__ = 100
    _is_symbolic = False

    @property
    def ndim(self):
        return self.shape.rank

    @property
    def type(self):
        return TensorType(self.dtype, self.shape)

    def get_shape(self):
        return self.shape

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def ref(self):
        return _TensorRef(self)

    experimental_ref = ref


class _TensorRef:
    """A hashable reference to a tensor (TF's `tensor.ref()`)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor):
        self._tensor = tensor

    def deref(self):
        return self._tensor

    def __hash__(self):
        return id(self._tensor)

    def __eq__(self, other):
        return isinstance(other, _TensorRef) and other._tensor is self._tensor

    def __repr__(self):
        return f"<Reference wrapping {self._tensor!r}>"


class EagerTensor(Tensor):
    """A tensor with a value: a read-only NumPy array of the tensor's dtype."""

    __slots__ = ("_value", "dtype")

    def __init__(self, value, dtype=None):
        arr = np.asarray(value)
        if dtype is None:
            dtype = _dtypes.as_dtype(arr.dtype)
        elif arr.dtype != dtype.np_dtype:
            arr = arr.astype(dtype.np_dtype)
        if arr.flags.writeable:
            # Kernels may return views of inputs; freezing keeps every tensor immutable.
            arr.flags.writeable = False
        self._value = arr
        self.dtype = dtype

    @property
    def shape(self):
        s = _new(TensorShape)   # (a NumPy shape needs none of TensorShape's checks)
        s._dims = self._value.shape
        return s

    @property
    def type(self):
        return TensorType(self.dtype, self._value.shape, self._value)

    def numpy(self):
        """The value as a NumPy array (a NumPy scalar for rank 0), as in TF."""
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    def __array__(self, dtype=None, copy=None):
        v = self._value
        return v if dtype is None else v.astype(dtype)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(self._value.shape[0]))

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __index__(self):
        if not self.dtype.is_integer or self._value.ndim != 0:
            raise TypeError("Only integer scalar tensors can be used as an index")
        return int(self._value)

    def __complex__(self):
        return complex(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self._value[()], spec)
        return format(str(self), spec)

    def __str__(self):
        return "tf.Tensor(%s, shape=%s, dtype=%s)" % (
            numpy_text(self._value), self.shape, self.dtype.name)

    def __repr__(self):
        return "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>" % (
            self.shape, self.dtype.name, numpy_text(self._value, is_repr=True))

    def __reduce__(self):
        return EagerTensor, (self._value, self.dtype)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def numpy_text(arr, is_repr=False):
    """TF's rendering of a value inside str/repr: NumPy's, with a leading newline when multi-line.

    A rank-0 repr shows the Python scalar (`numpy=4.0`), as TF does with NumPy 2."""
    if is_repr:
        text = repr(arr.item()) if arr.ndim == 0 else repr(arr)
    else:
        text = str(arr[()]) if arr.ndim == 0 else str(arr)
    if "\n" in text:
        text = "\n" + text
    return text


def is_tensor(x):
    """Checks whether `x` is a tensor (eager or symbolic) — not a NumPy array or list.

    >>> tf.is_tensor(tf.constant(1)), tf.is_tensor([1])
    (True, False)
    """
    return isinstance(x, Tensor)


# -- conversion ---------------------------------------------------------------------------------

_INT32 = np.iinfo(np.int32)


def _infer_python_dtype(value):
    """TF's dtype for a Python scalar or nested list: float32 / int32 (int64 if too big) / bool."""
    flat = np.asarray(value, dtype=object).ravel() if isinstance(value, (list, tuple)) else [value]
    kinds = set()
    big = False
    for v in flat:
        if isinstance(v, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(v, numbers.Integral):
            kinds.add("i")
            if not (_INT32.min <= int(v) <= _INT32.max):
                big = True
        elif isinstance(v, numbers.Real):
            kinds.add("f")
        elif isinstance(v, (str, bytes)):
            kinds.add("s")
        elif isinstance(v, numbers.Complex):
            kinds.add("c")
        elif isinstance(v, Tensor):
            kinds.add(v.dtype.name)
        elif isinstance(v, np.ndarray):
            kinds.add(v.dtype.kind)
        else:
            raise TypeError(f"Cannot convert {value!r} (containing {type(v).__name__}) to a tensor")
    if not kinds:
        return _dtypes.float32
    if "s" in kinds or "string" in kinds:
        if not kinds <= {"s", "string", "S", "U", "O"}:
            raise ValueError(f"Can't convert Python sequence with mixed types to Tensor: "
                             f"{value!r} mixes strings with other values")
        return _dtypes.string
    if kinds & {"c", "complex128"}:
        return _dtypes.complex128
    if "complex64" in kinds:
        return _dtypes.complex64
    if "f" in kinds or "float32" in kinds:
        return _dtypes.float32
    if "float64" in kinds:
        return _dtypes.float64
    if kinds <= {"b", "bool"}:
        return _dtypes.bool
    return _dtypes.int64 if big else _dtypes.int32


def _is_empty(value):
    """A (nested) list or tuple without any element: `[]`, `[[], []]` (no dtype of its own)."""
    return isinstance(value, (list, tuple)) and all(_is_empty(v) for v in value)


def _python_to_array(value, dtype, strict):
    """Convert a Python scalar / nested list to an array of `dtype` (inferred when None)."""
    inferred = _infer_python_dtype(value)
    if dtype is None:
        dtype = inferred
    if (dtype.name == "string") != (inferred.name == "string") and not _is_empty(value):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if dtype.name == "string":
        return string_array(value), dtype
    if inferred.is_complex and not dtype.is_complex and not _is_empty(value):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    elif strict and dtype.is_integer and inferred.is_floating and not _is_empty(value):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    try:
        arr = np.array(value, dtype=dtype.np_dtype)
    except (OverflowError, ValueError) as e:
        raise ValueError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}: {e}") from None
    if dtype.is_integer and inferred.is_integer:
        ref = np.array(value, dtype=object)
        if not np.all(ref == arr.astype(object)):
            raise ValueError(f"Can't convert Python int {value!r} to {dtype.name}: out of range")
    return arr, dtype


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None, strict=True):
    """TF's `tf.convert_to_tensor`.

    `dtype` is a requirement (a tensor of another dtype is an error); `dtype_hint` is a preference
    used only when the value has no dtype of its own (Python scalars and lists).

    >>> tf.convert_to_tensor([[1.0, 2.0]])
    <tf.Tensor: shape=(1, 2), dtype=float32, numpy=array([[1., 2.]], dtype=float32)>
    >>> tf.convert_to_tensor(3, dtype=tf.float64).dtype
    tf.float64
    """
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype is not dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    conv = getattr(value, "_as_tensor", None)  # Variables and other tensor-likes
    if conv is not None:
        t = conv()
        if dtype is not None and t.dtype is not dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {t.dtype.name}")
        return t
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        # a list holding tensors (maybe symbolic) becomes a `stack` op
        return _LIST_PACKER[0]([convert_to_tensor(v, dtype=dtype, dtype_hint=dtype_hint)
                                for v in value])
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "USO" or (dtype is not None and dtype.name == "string"):
            if dtype is not None and dtype.name != "string":
                raise TypeError(f"Cannot convert a {value.dtype} array to EagerTensor of dtype "
                                f"{dtype.name}")
            if value.dtype.kind not in "USO":
                raise TypeError(f"Cannot convert a {value.dtype} array to EagerTensor of dtype "
                                "string")
            return _constant(string_array(value), _dtypes.string)
        if dtype is None:  # (a byte-swapped array converts to the native byte order)
            native = value.dtype if value.dtype.isnative else value.dtype.newbyteorder("=")
            dtype = _dtypes.as_dtype(native)
        return _constant(private_array(value, dtype.np_dtype), dtype)
    if dtype is None and dtype_hint is not None:
        dtype_hint = _dtypes.as_dtype(dtype_hint)
        inferred = _infer_python_dtype(value)
        use_hint = not (dtype_hint.is_integer and inferred.is_floating)
        arr, dt = _python_to_array(value, dtype_hint if use_hint else None, strict=False)
        return _constant(arr, dt)
    arr, dt = _python_to_array(value, dtype, strict)
    return _constant(arr, dt)


def string_array(value):
    """A NumPy object array of bytes (TF's string tensor value) from str/bytes, nested lists of
    them, or a NumPy str/bytes/object array; str is encoded as UTF-8."""
    arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode("utf-8")
        elif isinstance(v, (bytes, np.bytes_)):
            flat[i] = bytes(v)
        else:
            raise TypeError(f"Cannot convert {value!r} to a string tensor: it holds "
                            f"{type(v).__name__} {v!r}")
    return flat.reshape(arr.shape)


_INT_RANGES = {d.np_dtype: (int(np.iinfo(d.np_dtype).min), int(np.iinfo(d.np_dtype).max))
               for d in _dtypes.ALL if d.is_integer}
_new = object.__new__
_array = np.array


def eager_scalar(value, dtype):
    """`convert_to_tensor(value, dtype=dtype)` for a Python scalar in eager mode (no graph being
    built), the operand of `x + 1`: a Python float or int made a tensor of `dtype` with the same
    checks, in a few steps where they cannot fail. Other values, and values the checks may
    refuse, take `convert_to_tensor` itself, so results, warnings and errors are the same.
    """
    t = type(value)
    np_dtype = dtype.np_dtype
    if dtype.is_floating and (t is float or t is int):
        try:
            arr = _array(value, np_dtype)
        except OverflowError:   # an int too large for a float: convert_to_tensor's error
            return convert_to_tensor(value, dtype=dtype)
    elif t is int and dtype.is_integer:
        lo, hi = _INT_RANGES[np_dtype]
        if not lo <= value <= hi:
            return convert_to_tensor(value, dtype=dtype)
        arr = _array(value, np_dtype)
    else:
        return convert_to_tensor(value, dtype=dtype)
    arr.setflags(False)
    out = _new(EagerTensor)
    out._value = arr
    out.dtype = dtype
    return out


_OPERANDS = {}        # (type, value, dtype name) -> EagerTensor: Python scalars as op operands
OPERAND_LIMIT = 256


def scalar_operand(value, dtype):
    """`eager_scalar(value, dtype)` for a Python float or int that only an op will see (the
    `1` of `x + 1` inside a binary op function; never handed back to the caller, so sharing
    one tensor between calls cannot be observed — a tape cannot watch it). Kept per
    (type, value, dtype), at most OPERAND_LIMIT of them; zeros, NaNs and values that overflow
    the dtype are not kept (0.0 and -0.0 are equal keys; NaN never equals itself; an overflowing
    conversion warns on every call, as convert_to_tensor does)."""
    key = (type(value), value, dtype.name)   # (a str hashes faster than a DType)
    t = _OPERANDS.get(key)
    if t is None:
        t = eager_scalar(value, dtype)
        if value and value == value and np.isfinite(t._value):   # (an overflow warns: again)
            while len(_OPERANDS) >= OPERAND_LIMIT:
                try:   # the oldest (another thread may be evicting too)
                    _OPERANDS.pop(next(iter(_OPERANDS)), None)
                except (StopIteration, RuntimeError):
                    break
            _OPERANDS[key] = t
    return t


def private_array(value, np_dtype=None):
    """A copy of a NumPy value that no caller holds: a base-class, C-contiguous ndarray (np.matrix
    gives its 2-D array, np.memmap its values) of `np_dtype` (default: the value's)."""
    return np.array(value, dtype=np_dtype, order="C")


def _constant(arr, dtype):
    builder = _context.current_builder()
    if builder is None:
        return EagerTensor(arr, dtype)
    return builder.constant(arr, dtype)


def _no_list_packer(values):
    raise RuntimeError("convert_to_tensor: a list holding tensors needs the `stack` op, which "
                       "ops/array_ops.py registers when it is imported; import autograph_jit "
                       "(not autograph_jit.tensor alone) before converting such a list")


# How convert_to_tensor turns a list holding tensors into one tensor: the `stack` op, which
# ops/array_ops.py (a layer above) registers with set_list_packer when it is imported, so that
# this module imports nothing of the ops (as JAX's leaf ad_util is filled in from above).
_LIST_PACKER = [_no_list_packer]


def set_list_packer(stack):
    """Registers `stack(list_of_tensors) -> tensor`, the op convert_to_tensor packs a list
    holding tensors with (ops/array_ops.py calls it with its `stack`).

    Args:
      stack: a function taking a list of tensors of one dtype and returning their stack.
    Returns:
      None.

    Example: `set_list_packer(array_ops.stack)`; then `convert_to_tensor([t, t])` stacks.
    """
    _LIST_PACKER[0] = stack


def _contains_tensor(value):
    for v in value:
        if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
            return True
        if isinstance(v, (list, tuple)) and _contains_tensor(v):
            return True
    return False


def constant_value(t):
    """The NumPy value of a tensor when known now (eager or a traced constant), else None."""
    if isinstance(t, EagerTensor):
        return t._value
    getter = getattr(t, "constant_value", None)
    return getter() if getter is not None else None
