"""Indexing: `Tensor.__getitem__` / `Variable.__getitem__` (TF's strided slice), sliced variable
assignment, `tf.slice`, `tf.split`.

An index expression (`t[1:4, ::2]`, `t[..., 1]`, `t[:, None]`) is normalized once into a static
*slice spec*, a tuple of entries:

    ("index", i)                   pick element i of the next dim (the dim disappears)
    ("slice", start, stop, step)   Python slice semantics (clamped bounds, negative steps)
    ("new",)                       insert a dim of size 1 (None / tf.newaxis)
    ("...",)                       as many full slices as needed (at most one)

Each int field is an int, None (slice defaults), or `("arg", j)`: the value of the j-th extra
scalar int input of the op, for indices only known at run time inside a graph. The three ops
`strided_slice`, `strided_slice_grad` (its VJP: scatter into zeros of the input's shape) and
`strided_slice_update` (pure sliced assignment) share the spec and one resolver, so eager runs,
type rules and gradients agree on every index.

pad, reverse, tile and broadcast_to live in tiling.py; the gather family, one_hot,
boolean_mask, where_indices and sort in gather_ops.py.
"""
import builtins
import weakref

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import EagerTensor, Tensor, constant_value, convert_to_tensor
from ..tensor_shape import TensorShape
from . import type_rules as tr
from ._args import static_ints, to_tensor
from .array_ops import _dims_from, _shape_tensor, concat, shape, stack, zeros_like, fill
from ..errors import InvalidArgumentError
from .opdef import apply, defop
from .math_ops import cast, subtract, unbroadcast, floordiv
from .tiling import pad
from .gather_ops import boolean_mask
from ..variable_locks import eager_writing

__all__ = ["getitem", "variable_getitem", "strided_slice", "strided_slice_update", "slice",
           "split", "newaxis"]

newaxis = None
_ARG = "arg"
_FULL = ("slice", None, None, None)
_UNKNOWN = object()  # a run-time value the type rule cannot see

_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
              "tf.int32/tf.int64 tensors are valid indices, got {!r}. Fix: use tf.gather(t, "
              "indices) to pick several entries along an axis, or tf.boolean_mask(t, mask) to "
              "keep the entries where a bool mask is True.")


# ----------------------------------------------------------------------------------------------
# key -> slice spec
# ----------------------------------------------------------------------------------------------


def _normalize_key(key):
    """(spec, dyn): the static spec of an index expression and its run-time scalar inputs."""
    if not isinstance(key, tuple):
        key = (key,)
    spec, dyn = [], []

    def scalar(v, whole):
        if v is None:
            return None
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(_BAD_INDEX.format(whole))
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
            return int(v)
        t = v if isinstance(v, Tensor) else (v._as_tensor() if hasattr(v, "_as_tensor") else None)
        if t is None or not t.dtype.is_integer or t.shape.rank != 0:
            raise TypeError(_BAD_INDEX.format(whole))
        cv = constant_value(t)
        if cv is not None:
            return int(cv)
        if t.dtype not in (dtypes.int32, dtypes.int64):
            t = cast(t, dtypes.int32)
        dyn.append(t)
        return (_ARG, len(dyn) - 1)

    for k in key:
        if k is Ellipsis:
            if ("...",) in spec:
                raise ValueError("Multiple ellipses in slice spec not allowed")
            spec.append(("...",))
        elif k is None:
            spec.append(("new",))
        elif isinstance(k, builtins.slice):
            spec.append(("slice", scalar(k.start, k), scalar(k.stop, k), scalar(k.step, k)))
        else:
            spec.append(("index", scalar(k, k)))
    return tuple(spec), dyn


def _expand(spec, rank, op):
    """The spec with the ellipsis replaced by full slices and trailing dims padded with them."""
    consumed = sum(1 for it in spec if it[0] in ("index", "slice"))
    if consumed > rank:
        raise InvalidArgumentError(
            f"Index out of range using input dim {rank}; input has only {rank} dims "
            f"[Op:{op}]. Fix: use at most {rank} indices for a rank-{rank} tensor.", op)
    out = []
    for it in spec:
        if it[0] == "...":
            out.extend([_FULL] * (rank - consumed))
        else:
            out.append(it)
    if ("...",) not in spec:
        out.extend([_FULL] * (rank - consumed))
    return out


def _value(field, dyn):
    """An int field's value: int, None, or _UNKNOWN (dyn holds ints or None for unknown)."""
    if isinstance(field, tuple):
        v = dyn[field[1]]
        return _UNKNOWN if v is None else int(v)
    return field


def _check_index(i, dim, axis, op):
    if not -dim <= i < dim:
        raise InvalidArgumentError(
            f"slice index {i} of dimension {axis} out of bounds. [Op:{op}] Fix: valid indices "
            f"for a dimension of size {dim} are {-dim}..{dim - 1}.", op)


def _check_step(step, axis, op):
    if step == 0:
        raise InvalidArgumentError(f"strides[{axis}] must be non-zero [Op:{op}]", op)


def _sliced_shape(op, in_shape, spec, dyn):
    """The output shape of `in_shape[spec]`; validates static indices against known dims."""
    if in_shape.rank is None:
        return TensorShape(None)
    dims = in_shape.as_tuple()
    out, d_i = [], 0
    for it in _expand(spec, len(dims), op):
        kind = it[0]
        if kind == "new":
            out.append(1)
            continue
        d = dims[d_i]
        if kind == "index":
            v = _value(it[1], dyn)
            if d is not None and v is not _UNKNOWN:
                _check_index(v, d, d_i, op)
        else:
            bounds = [_value(f, dyn) for f in it[1:]]
            if bounds[2] is not _UNKNOWN:
                _check_step(bounds[2], d_i, op)
            if d is None or _UNKNOWN in bounds:
                out.append(None)
            else:
                out.append(len(builtins.range(*builtins.slice(*bounds).indices(d))))
        d_i += 1
    return TensorShape(out)


def _np_index(op, in_shape, spec, dyn):
    """The NumPy basic-indexing tuple for `spec` on an array of `in_shape` (bounds checked)."""
    out, d_i = [], 0
    for it in _expand(spec, len(in_shape), op):
        kind = it[0]
        if kind == "new":
            out.append(None)
            continue
        if kind == "index":
            v = _value(it[1], dyn)
            _check_index(v, in_shape[d_i], d_i, op)
            out.append(v)
        else:
            bounds = [_value(f, dyn) for f in it[1:]]
            _check_step(bounds[2], d_i, op)
            out.append(builtins.slice(*bounds))
        d_i += 1
    return tuple(out)


def _dyn_values(types):
    return [None if t.value is None else int(np.asarray(t.value)) for t in types]


def _check_dyn(op, types):
    for t in types:
        if not t.dtype.is_integer or t.shape.rank not in (0, None):
            raise InvalidArgumentError(f"{op}: run-time indices must be scalar int tensors, got "
                                       f"{t}", op)


# ----------------------------------------------------------------------------------------------
# strided_slice, strided_slice_grad, strided_slice_update
# ----------------------------------------------------------------------------------------------


def _ss_infer(in_types, spec):
    x, dyn = in_types[0], in_types[1:]
    _check_dyn("strided_slice", dyn)
    return TensorType(x.dtype, _sliced_shape("strided_slice", x.shape, spec, _dyn_values(dyn)))


def _ss_kernel(x, *dyn, spec):
    return x[_np_index("strided_slice", x.shape, spec, dyn)]


def _ss_vjp(c, g):
    x, dyn = c.inputs[0], c.inputs[1:]
    return (apply(_strided_slice_grad, g, shape(x), *dyn, spec=c.attrs["spec"]),) + \
        (None,) * len(dyn)


_strided_slice = defop("strided_slice", _ss_infer, _ss_kernel, vjp=_ss_vjp,
                       doc="x[spec]: the static slice spec of an index expression (see module).")


def _ssg_infer(in_types, spec):
    g, shape_t = in_types[0], in_types[1]
    dims = _dims_from(shape_t, "strided_slice_grad shape")
    return TensorType(g.dtype, TensorShape(dims))


def _ssg_kernel(g, in_shape, *dyn, spec):
    in_shape = tuple(int(d) for d in in_shape)
    out = np.zeros(in_shape, g.dtype)
    out[_np_index("strided_slice_grad", in_shape, spec, dyn)] = g
    return out


_strided_slice_grad = defop(
    "strided_slice_grad", _ssg_infer, _ssg_kernel,
    vjp=lambda c, gg: (apply(_strided_slice, gg, *c.inputs[2:], spec=c.attrs["spec"]),
                       None) + (None,) * len(c.inputs[2:]),
    doc="Zeros of shape input 1 with input 0 written at [spec] (strided_slice's gradient).")


def _ssu_infer(in_types, spec):
    x, u, dyn = in_types[0], in_types[1], in_types[2:]
    tr.same_dtype("strided_slice_update", [x, u])
    _check_dyn("strided_slice_update", dyn)
    target = _sliced_shape("strided_slice_update", x.shape, spec, _dyn_values(dyn))
    if target.rank is not None and u.shape.rank is not None:
        ok = u.shape.rank <= target.rank and all(
            a is None or b is None or a in (1, b)
            for a, b in zip(reversed(u.shape.as_tuple()), reversed(target.as_tuple())))
        if not ok:
            raise InvalidArgumentError(
                f"sliced l-value shape {target.as_list()} does not match r-value shape "
                f"{u.shape.as_list()} [Op:strided_slice_update]. Fix: give a value of shape "
                f"{target.as_list()} (or one that broadcasts to it).", "strided_slice_update")
    return TensorType(x.dtype, x.shape)


def _ssu_kernel(x, u, *dyn, spec):
    out = np.array(x)
    out[_np_index("strided_slice_update", x.shape, spec, dyn)] = u
    return out


def _ssu_vjp(c, g):
    u, dyn = c.inputs[1], c.inputs[2:]
    spec = c.attrs["spec"]
    sliced = apply(_strided_slice, g, *dyn, spec=spec)
    gx = apply(_strided_slice_update, g, zeros_like(sliced), *dyn, spec=spec)
    return (gx, unbroadcast(sliced, u)) + (None,) * len(dyn)


_strided_slice_update = defop(
    "strided_slice_update", _ssu_infer, _ssu_kernel, vjp=_ssu_vjp,
    doc="A copy of input 0 with input 1 (broadcast) written at [spec]; pure.")


def strided_slice(input_, spec, *dyn):
    """`input_[spec]` for an already normalized spec (see the module docstring)."""
    return apply(_strided_slice, to_tensor(input_), *dyn, spec=tuple(spec))


def strided_slice_update(tensor, key, value):
    """A copy of `tensor` with `tensor[key]` replaced by `value` (broadcast); pure."""
    tensor = to_tensor(tensor)
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        value = convert_to_tensor(value)
    else:
        value = convert_to_tensor(value, dtype=tensor.dtype)
    spec, dyn = key if isinstance(key, _Normalized) else _normalize_key(key)
    return apply(_strided_slice_update, tensor, value, *dyn, spec=spec)


class _Normalized(tuple):
    """(spec, dyn) already normalized (what a sliced variable remembers)."""


def getitem(tensor, key):
    """TF's `Tensor.__getitem__`."""
    tensor = to_tensor(tensor)
    if _is_bool_mask(key):
        return boolean_mask(tensor, key)
    spec, dyn = _normalize_key(key)
    return apply(_strided_slice, tensor, *dyn, spec=spec)


def _is_bool_mask(key):
    # TF's _slice_helper sends a whole-key bool tensor / NumPy bool array to boolean_mask
    if isinstance(key, Tensor) or hasattr(key, "_as_tensor"):
        return key.dtype is dtypes.bool
    return isinstance(key, np.ndarray) and key.dtype == np.bool_


# ----------------------------------------------------------------------------------------------
# sliced variables: `v[1, :].assign(value)`
# ----------------------------------------------------------------------------------------------

# id(sliced tensor) -> (variable, normalized key). A side table (entries leave when the tensor
# dies) because the tensor must stay the very object `apply` returned: tapes know it by identity.
_SLICE_SOURCES = {}
_SLICED_CLASSES = {}


class _SlicedVariableMixin:
    __slots__ = ()

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """TF's sliced assignment: writes `value` into the variable at this slice."""
        var, key = _SLICE_SOURCES[id(self)]
        with eager_writing(var):   # (read, update and assign as one: variable_locks.py)
            return var.assign(strided_slice_update(var.read_value(), key, value),
                              read_value=read_value)


class _SlicedVariableTensor(_SlicedVariableMixin, EagerTensor):
    """An eager slice of a Variable; `.assign` writes through to the variable."""

    __slots__ = ()


_SLICED_CLASSES[EagerTensor] = _SlicedVariableTensor


def _sliced_class(cls):
    sub = _SLICED_CLASSES.get(cls)
    if sub is None:  # symbolic tensor classes (tracing) get the same mixin
        sub = type("SlicedVariable" + cls.__name__, (_SlicedVariableMixin, cls), {"__slots__": ()})
        _SLICED_CLASSES[cls] = sub
    return sub


def variable_getitem(var, key):
    """`var[key]`: the slice of the variable's current value, with an `.assign` method."""
    value = var.read_value()
    if _is_bool_mask(key):
        return getitem(value, key)
    spec, dyn = _normalize_key(key)
    out = apply(_strided_slice, value, *dyn, spec=spec)
    out.__class__ = _sliced_class(type(out))
    key_id = id(out)
    _SLICE_SOURCES[key_id] = (var, _Normalized((spec, tuple(dyn))))
    weakref.finalize(out, _SLICE_SOURCES.pop, key_id, None)
    return out


# ----------------------------------------------------------------------------------------------
# slice
# ----------------------------------------------------------------------------------------------


def _slice_bounds(x_dims, begin, size):
    """Per-dim (begin, size) with -1 sizes resolved; None where unknown. Validates like TF."""
    out = []
    for i, (d, b, s) in enumerate(zip(x_dims, begin, size)):
        if b is not None and d is not None and not 0 <= b <= d:
            raise InvalidArgumentError(f"Expected begin[{i}] in [0, {d}], but got {b} "
                                       "[Op:slice]", "slice")
        if s == -1:
            s = None if (d is None or b is None) else d - b
        elif s is not None and d is not None and b is not None and not 0 <= s <= d - b:
            raise InvalidArgumentError(
                f"Expected size[{i}] in [0, {d - b}], but got {s} [Op:slice]. Fix: size -1 "
                "takes the rest of the dimension.", "slice")
        elif s is not None and s < -1:
            raise InvalidArgumentError(f"Expected size[{i}] >= -1, got {s} [Op:slice]", "slice")
        out.append((b, s))
    return out


def _slice_infer(in_types):
    x, b_t, s_t = in_types
    tr.same_dtype("slice", [b_t, s_t])
    begin = _dims_from(b_t, "slice begin")
    size = _dims_from(s_t, "slice size")
    if x.shape.rank is None:
        n = len(begin) if begin is not None else (len(size) if size is not None else None)
        return TensorType(x.dtype, TensorShape(None if n is None else [None] * n))
    r = x.shape.rank
    for name, v in (("begin", begin), ("size", size)):
        if v is not None and len(v) != r:
            raise InvalidArgumentError(
                f"Expected {name} and size arguments to be 1-D tensors of size {r}, but got "
                f"shapes {b_t.shape} and {s_t.shape} instead. [Op:slice]", "slice")
    begin = begin or [None] * r
    size = size or [None] * r
    return TensorType(x.dtype, TensorShape(
        [s for _, s in _slice_bounds(x.shape.as_tuple(), begin, size)]))


def _slice_kernel(x, begin, size):
    bounds = _slice_bounds(x.shape, [int(b) for b in begin], [int(s) for s in size])
    return x[tuple(builtins.slice(b, b + s) for b, s in bounds)]


def _slice_vjp(c, g):
    x, begin, _ = c.inputs
    begin = cast(begin, dtypes.int32)
    after = subtract(subtract(shape(x), begin), shape(c.outputs[0]))
    return pad(g, stack([begin, after], axis=1)), None, None


_slice = defop("slice", _slice_infer, _slice_kernel, vjp=_slice_vjp)


def slice(input_, begin, size, name=None):  # noqa: A001
    """tf.slice: `size[i] == -1` takes the rest of dimension i.

    >>> t = tf.constant([[1, 2, 3], [4, 5, 6]])
    >>> tf.slice(t, [0, 1], [2, 2]).numpy()
    array([[2, 3],
           [5, 6]], dtype=int32)
    >>> tf.slice(t, [1, 0], [1, -1]).numpy()
    array([[4, 5, 6]], dtype=int32)
    """
    b = _shape_tensor(begin, "begin")
    s = _shape_tensor(size, "size")
    if b.dtype is not s.dtype:
        b, s = cast(b, dtypes.int64), cast(s, dtypes.int64)
    return apply(_slice, to_tensor(input_), b, s)


# ----------------------------------------------------------------------------------------------
# split
# ----------------------------------------------------------------------------------------------


def _split_sizes(op, dim, sizes):
    """`sizes` with its -1 resolved (when `dim` is known); TF's checks."""
    minus = [i for i, s in enumerate(sizes) if s == -1]
    if len(minus) > 1:
        raise InvalidArgumentError(f"Only one dimensions can have a value of -1. Second one "
                                   f"found at dimension {minus[1]} [Op:{op}]", op)
    if any(s is not None and s < -1 for s in sizes):
        raise InvalidArgumentError(f"Split sizes must be >= 0 (or -1 once), got {list(sizes)} "
                                   f"[Op:{op}]", op)
    if dim is None or None in sizes:
        return [None if s == -1 else s for s in sizes]
    known = builtins.sum(s for s in sizes if s != -1)
    if (-1 not in sizes and known != dim) or (-1 in sizes and known > dim):
        raise InvalidArgumentError(
            f"Determined shape must either match input shape along split_dim exactly if fully "
            f"specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {known} [Op:{op}]. Fix: the sizes {list(sizes)} must add up to "
            f"{dim}, the size of the split dimension.", op)
    return [dim - known if s == -1 else s for s in sizes]


def _split_infer(in_types, axis):
    x, sizes_t = in_types
    if sizes_t.shape.rank != 1 or sizes_t.shape[0] is None:
        raise InvalidArgumentError("split: size_splits must be a 1-D tensor of known length",
                                   "split")
    sizes = _dims_from(sizes_t, "size_splits")
    if x.shape.rank is None:
        return tuple(TensorType(x.dtype, TensorShape(None)) for _ in sizes)
    a = tr.normalize_axis("split", axis, x.shape.rank)
    resolved = _split_sizes("split", x.shape[a], sizes)
    dims = list(x.shape.as_tuple())
    return tuple(TensorType(x.dtype, TensorShape(dims[:a] + [s] + dims[a + 1:]))
                 for s in resolved)


def _split_kernel(x, sizes, axis):
    sizes = _split_sizes("split", x.shape[axis], [int(s) for s in sizes])
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


_split = defop("split", _split_infer, _split_kernel, num_outputs=None,
               vjp=lambda c, *gs: (concat(list(gs), axis=c.attrs["axis"]), None))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """tf.split: an int (equal parts) or a list of sizes (one may be -1).

    >>> a, b = tf.split(tf.range(6), 2)
    >>> a.numpy(), b.numpy()
    (array([0, 1, 2], dtype=int32), array([3, 4, 5], dtype=int32))
    >>> [p.shape.as_list() for p in tf.split(tf.zeros([5, 2]), [1, -1])]
    [[1, 2], [4, 2]]
    """
    x = to_tensor(value)
    axis = static_ints(axis, "axis")
    if axis is None:
        raise ValueError("tf.split needs a static axis")
    if x.shape.rank is not None:
        axis = tr.normalize_axis("split", axis, x.shape.rank)
    n = num_or_size_splits
    if isinstance(n, Tensor) and n.shape.rank == 0:
        n = static_ints(n, "num_or_size_splits")
    if isinstance(n, (int, np.integer)):
        n = int(n)
        if n <= 0:
            raise ValueError(f"num_or_size_splits must be a positive int, got {n}")
        d = x.shape[axis] if x.shape.rank is not None else None
        if d is not None:
            if d % n:
                raise InvalidArgumentError(
                    f"Number of ways to split should evenly divide the split dimension, but got "
                    f"split_dim {axis} (size = {d}) and num_split {n} [Op:split]. Fix: pass a "
                    f"list of sizes instead, e.g. [{d // n + 1}, ..., -1].", "split")
            sizes = convert_to_tensor(np.full([n], d // n, np.int32))
        else:
            sizes = fill([n], floordiv(shape(x)[axis], n))
    else:
        sizes = _shape_tensor(n, "num_or_size_splits")
        if num is not None and sizes.shape[0] not in (None, num):
            raise ValueError(f"num={num} does not match the {sizes.shape[0]} sizes given")
    out = apply(_split, x, sizes, axis=axis)
    return list(out) if isinstance(out, tuple) else [out]
