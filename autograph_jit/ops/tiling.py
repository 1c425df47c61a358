"""Re-laying an array's entries without arithmetic: `tf.pad` (CONSTANT / REFLECT / SYMMETRIC),
`tf.reverse`, `tf.tile`, `tf.broadcast_to`.

Paddings, multiples and target shapes are int tensor inputs (their values refine static shapes when
known). The gradient of a mirror pad folds the borders back (`mirror_pad_grad`); the gradient of a
constant pad is a `tf.slice`.
"""
import builtins

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from . import type_rules as tr
from ._args import static_axis, to_tensor
from .array_ops import _dims_from, _shape_tensor, reshape, shape, stack
from ..errors import InvalidArgumentError
from .opdef import apply, defop
from .math_ops import cast, reduce_sum, unbroadcast

__all__ = ["pad", "reverse", "tile", "broadcast_to"]


# ----------------------------------------------------------------------------------------------
# pad (CONSTANT / REFLECT / SYMMETRIC)
# ----------------------------------------------------------------------------------------------


def _pad_infer(in_types, mode):
    x, p_t, c_t = in_types
    tr.same_dtype("pad", [x, c_t])
    if not p_t.dtype.is_integer:
        raise InvalidArgumentError("pad: paddings must be an int tensor", "pad")
    if p_t.shape.rank not in (None, 2) or (p_t.shape.rank == 2 and p_t.shape[1] not in (None, 2)):
        raise InvalidArgumentError(f"paddings must be a matrix with 2 columns: {p_t.shape} "
                                   "[Op:pad]", "pad")
    r = x.shape.rank
    if r is not None and p_t.shape.rank == 2 and p_t.shape[0] not in (None, r):
        raise InvalidArgumentError(
            f"The first dimension of paddings must be the rank of inputs[{p_t.shape[0]},2], "
            f"{list(x.shape.as_tuple())} [Op:pad]", "pad")
    if r is None:
        return TensorType(x.dtype, TensorShape(None))
    if p_t.value is None:
        return TensorType(x.dtype, TensorShape([None] * r))
    pads = np.asarray(p_t.value).reshape(r, 2)
    dims = []
    for i, (d, (lo, hi)) in enumerate(zip(x.shape.as_tuple(), pads.tolist())):
        _check_pads(mode, i, d, lo, hi)
        dims.append(None if d is None else d + lo + hi)
    return TensorType(x.dtype, TensorShape(dims))


def _check_pads(mode, i, d, lo, hi):
    if lo < 0 or hi < 0:
        raise InvalidArgumentError(f"Paddings must be non-negative: {lo} {hi} [Op:pad]", "pad")
    if mode != "CONSTANT" and d is not None:
        limit = d - 1 if mode == "REFLECT" else d
        if lo > limit or hi > limit:
            raise InvalidArgumentError(
                f"paddings must be no greater than the dimension size: {lo}, {hi} greater than "
                f"{limit} in dim {i} for mode {mode} [Op:pad]", "pad")


def _pad_kernel(x, paddings, c, mode):
    pads = [tuple(int(v) for v in row) for row in np.asarray(paddings).reshape(x.ndim, 2)]
    for i, (d, (lo, hi)) in enumerate(zip(x.shape, pads)):
        _check_pads(mode, i, d, lo, hi)
    if x.ndim == 0:
        return np.array(x)
    if mode == "CONSTANT":
        return np.pad(x, pads, mode="constant", constant_values=c)
    return np.pad(x, pads, mode="reflect" if mode == "REFLECT" else "symmetric")


def _pad_vjp(c, g):
    x, paddings, _ = c.inputs
    mode = c.attrs["mode"]
    if mode == "CONSTANT":
        from . import slicing
        begin = reshape(slicing.slice(cast(paddings, dtypes.int32), [0, 0], [-1, 1]), [-1])
        return slicing.slice(g, begin, shape(x)), None, None
    return apply(_mirror_pad_grad, g, paddings, mode=mode), None, None


_pad = defop("pad", _pad_infer, _pad_kernel, vjp=_pad_vjp)


def _mpg_infer(in_types, mode):
    g, p_t = in_types
    r = g.shape.rank
    if r is None or p_t.value is None:
        return TensorType(g.dtype, TensorShape(None if r is None else [None] * r))
    pads = np.asarray(p_t.value).reshape(r, 2).tolist()
    return TensorType(g.dtype, TensorShape([None if d is None else d - lo - hi
                                            for d, (lo, hi) in zip(g.shape.as_tuple(), pads)]))


def _mpg_kernel(g, paddings, mode):
    """Fold each padded border back onto the entries it mirrors (the transpose of mirror pad)."""
    out = np.array(g)
    shift = 0 if mode == "REFLECT" else 1
    for axis, (lo, hi) in enumerate(np.asarray(paddings).reshape(g.ndim, 2).tolist()):
        moved = np.moveaxis(out, axis, 0)
        n = moved.shape[0] - lo - hi
        core = np.array(moved[lo:lo + n])
        for k in builtins.range(lo):  # padded entry k mirrors core entry lo - k - shift
            core[lo - k - shift] += moved[k]
        for k in builtins.range(hi):  # entry lo + n + k mirrors core entry n - 2 - k + shift
            core[n - 2 - k + shift] += moved[lo + n + k]
        out = np.moveaxis(core, 0, axis)
    return out


_mirror_pad_grad = defop(
    "mirror_pad_grad", _mpg_infer, _mpg_kernel,
    vjp=lambda c, gg: (pad(gg, c.inputs[1], mode=c.attrs["mode"]), None),
    doc="The gradient of REFLECT/SYMMETRIC pad: borders folded back onto the core.")


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """tf.pad: paddings is [rank, 2] ints (before, after) per dim.

    >>> tf.pad(tf.constant([[1, 2], [3, 4]]), [[1, 0], [0, 2]]).numpy()
    array([[0, 0, 0, 0],
           [1, 2, 0, 0],
           [3, 4, 0, 0]], dtype=int32)
    """
    x = to_tensor(tensor)
    mode = str(mode).upper()
    if mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"Value of argument `mode` expected to be one of \"CONSTANT\", "
                         f"\"REFLECT\", or \"SYMMETRIC\". Received `mode` = {mode}")
    p = paddings if isinstance(paddings, Tensor) else convert_to_tensor(
        np.asarray(paddings, dtype=np.int32).reshape(-1, 2) if np.size(paddings) else
        np.zeros([0, 2], np.int32))
    if isinstance(constant_values, Tensor):
        c = constant_values
    else:
        c = convert_to_tensor(np.asarray(constant_values).astype(x.dtype.np_dtype))
    return apply(_pad, x, p, c, mode=mode)


# ----------------------------------------------------------------------------------------------
# reverse, tile, broadcast_to
# ----------------------------------------------------------------------------------------------


def _reverse_infer(in_types, axis):
    x = in_types[0]
    if x.shape.rank is not None:
        axes = [tr.normalize_axis("reverse", a, x.shape.rank) for a in axis]
        if len(set(axes)) != len(axes):
            raise InvalidArgumentError(f"axis {list(axis)} specified more than once [Op:reverse]",
                                       "reverse")
    return x


_reverse = defop("reverse", _reverse_infer,
                 lambda x, axis: np.flip(x, axis=tuple(a % x.ndim for a in axis)) if axis else x,
                 vjp=lambda c, g: reverse(g, c.attrs["axis"]))


def reverse(tensor, axis, name=None):
    """Reverses specific dimensions of a tensor.

    >>> tf.reverse(tf.constant([[1, 2], [3, 4]]), axis=[1]).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    axis = static_axis(axis, "axis")
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return apply(_reverse, to_tensor(tensor), axis=axis)


def _tile_infer(in_types):
    x, m_t = in_types
    mult = _dims_from(m_t, "tile multiples")
    r = x.shape.rank
    if r is None:
        return TensorType(x.dtype, TensorShape(None if mult is None else [None] * len(mult)))
    if mult is None:
        mult = [None] * r
    if len(mult) != r:
        raise InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {r} but got length "
            f"{len(mult)} [Op:tile]", "tile")
    if any(m is not None and m < 0 for m in mult):
        raise InvalidArgumentError(f"Expected multiples to be non-negative, got {mult} [Op:tile]",
                                   "tile")
    return TensorType(x.dtype, TensorShape([None if d is None or m is None else d * m
                                            for d, m in zip(x.shape.as_tuple(), mult)]))


def _tile_vjp(c, g):
    x, mult = c.inputs
    r = x.shape.rank
    if r == 0:
        return g, None
    # g viewed as [m0, d0, m1, d1, ...], summed over the m axes
    pairs = stack([cast(mult, dtypes.int32), shape(x)], axis=1)
    return reduce_sum(reshape(g, reshape(pairs, [-1])), axis=list(builtins.range(0, 2 * r, 2))), \
        None


def _tile_kernel(x, m):
    mult = [int(v) for v in m]
    if any(v < 0 for v in mult):  # (a graph runs kernels without the type rule's check)
        raise InvalidArgumentError(f"Expected multiples to be non-negative, got {mult} [Op:tile]",
                                   "tile")
    return np.tile(x, tuple(mult)) if x.ndim else np.array(x)


_tile = defop("tile", _tile_infer, _tile_kernel, vjp=_tile_vjp)


def tile(input, multiples, name=None):  # noqa: A002
    """Constructs a tensor by tiling `input` `multiples` times along each dimension.

    >>> tf.tile(tf.constant([1, 2]), [2]).numpy()
    array([1, 2, 1, 2], dtype=int32)
    """
    return apply(_tile, to_tensor(input), _shape_tensor(multiples, "multiples"))


def _bt_infer(in_types):
    x, s_t = in_types
    dims = _dims_from(s_t, "broadcast_to shape")
    if dims is None:
        return TensorType(x.dtype, TensorShape(None))
    target = TensorShape(dims)
    out = tr.broadcast_shapes("broadcast_to", x.shape, target)
    if out.rank is not None and (out.rank != len(dims) or any(
            a is not None and b is not None and a != b for a, b in zip(out.as_tuple(), dims))):
        raise InvalidArgumentError(
            f"Unable to broadcast tensor of shape {x.shape.as_list()} to tensor of shape "
            f"{dims} [Op:broadcast_to]", "broadcast_to")
    return TensorType(x.dtype, target)


def _bt_kernel(x, s):
    try:
        return np.broadcast_to(x, tuple(int(d) for d in s))
    except ValueError:
        raise InvalidArgumentError(
            f"Unable to broadcast tensor of shape {list(x.shape)} to tensor of shape "
            f"{[int(d) for d in s]} [Op:broadcast_to]", "broadcast_to") from None


def _bt_vjp(c, g):
    return unbroadcast(g, c.inputs[0]), None


_broadcast_to = defop("broadcast_to", _bt_infer, _bt_kernel, vjp=_bt_vjp, speculatable=True)


def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcasts `input` to a compatible `shape` (NumPy broadcasting rules).

    >>> tf.broadcast_to(tf.constant([1, 2]), [2, 2]).numpy()
    array([[1, 2],
           [1, 2]], dtype=int32)
    """
    return apply(_broadcast_to, to_tensor(input), _shape_tensor(shape))
