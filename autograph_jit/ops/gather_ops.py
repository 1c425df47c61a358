"""Selection by index tensors: `tf.gather`, `tf.gather_nd`, `tf.one_hot`, `tf.boolean_mask`, the
one-argument `tf.where` (`where_indices`), `tf.sort` and `tf.argsort`.

Indices are bounds-checked in the kernels with TF's messages (TF on CPU never wraps negative
indices). The gradients of the gathers scatter-add into zeros (`gather_grad`, `gather_nd_grad`).
`boolean_mask` and `sort` are composites (where_indices + gather, argsort + gather), so their
gradients come from gather's.
"""
import builtins

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from . import type_rules as tr
from ._args import static_axis, static_ints, to_tensor
from .array_ops import _dims_from, concat, reshape, shape, transpose
from ..errors import InvalidArgumentError
from .opdef import apply, defop
from .math_ops import cast

__all__ = ["gather", "gather_nd", "one_hot", "boolean_mask", "where_indices", "sort", "argsort"]

_INDEX_DTYPES = (dtypes.int32, dtypes.int64)


def _prod(dims):
    n = 1
    for d in dims:
        n *= int(d)
    return n


def _check_indices_dtype(op, ty):
    if ty.dtype not in _INDEX_DTYPES:
        raise InvalidArgumentError(
            f"{op}: indices must be int32 or int64, got {ty.dtype.name} [Op:{op}]. Fix: "
            f"tf.cast(indices, tf.int32).", op)


# ----------------------------------------------------------------------------------------------
# gather (with axis and batch_dims) and its scatter-add gradient
# ----------------------------------------------------------------------------------------------


def _gather_axes(op, p_rank, i_rank, axis, batch_dims):
    if i_rank is not None and batch_dims < 0:
        batch_dims += i_rank
    if axis is None:
        axis = batch_dims
    if p_rank is not None:
        axis = tr.normalize_axis(op, axis, p_rank)
    if i_rank is not None and not 0 <= batch_dims <= i_rank:
        raise InvalidArgumentError(f"Expected batch_dims in the range [{-i_rank}, {i_rank}], but "
                                   f"got {batch_dims} [Op:{op}]", op)
    if axis is not None and batch_dims > axis:
        raise InvalidArgumentError(f"batch_dims ({batch_dims}) must be less than or equal to "
                                   f"axis ({axis}) [Op:{op}]", op)
    return axis, batch_dims


def _gather_infer(in_types, axis, batch_dims):
    p, i = in_types
    _check_indices_dtype("gather", i)
    if p.shape.rank is None or i.shape.rank is None:
        return TensorType(p.dtype, TensorShape(None))
    pd, idd = p.shape.as_tuple(), i.shape.as_tuple()
    for k in builtins.range(batch_dims):
        if pd[k] is not None and idd[k] is not None and pd[k] != idd[k]:
            raise InvalidArgumentError(
                f"params.shape[{k}]: {pd[k]} should be equal to indices.shape[{k}]: {idd[k]} "
                "[Op:gather]", "gather")
    return TensorType(p.dtype, TensorShape(pd[:axis] + idd[batch_dims:] + pd[axis + 1:]))


def _gather_views(p_shape, i_shape, axis, b):
    """Sizes (nb, npre, n, npost) of params and (nb, nj) of indices in gather's canonical form."""
    return ((_prod(p_shape[:b]), _prod(p_shape[b:axis]), p_shape[axis], _prod(p_shape[axis + 1:])),
            (_prod(i_shape[:b]), _prod(i_shape[b:])))


def _check_gather_indices(idx, n, op):
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        pos = np.argwhere(bad)[0]
        raise InvalidArgumentError(
            f"indices[{','.join(str(int(v)) for v in pos)}] = {idx[tuple(pos)]} is not in "
            f"[0, {n}) [Op:{op}]", op)


def _gather_kernel(p, idx, axis, batch_dims):
    _check_gather_indices(idx, p.shape[axis], "gather")
    (nb, npre, n, npost), (_, nj) = _gather_views(p.shape, idx.shape, axis, batch_dims)
    pv = p.reshape(nb, npre, n, npost)
    iv = idx.reshape(nb, nj)
    picked = pv[np.arange(nb)[:, None], :, iv, :]  # (nb, nj, npre, npost)
    out = picked.transpose(0, 2, 1, 3)
    return out.reshape(p.shape[:axis] + idx.shape[batch_dims:] + p.shape[axis + 1:])


def _gather_vjp(c, g):
    p, idx = c.inputs
    return apply(_gather_grad, g, idx, shape(p), **c.attrs), None


_gather = defop("gather", _gather_infer, _gather_kernel, vjp=_gather_vjp)


def _gather_grad_infer(in_types, axis, batch_dims):
    g, idx, s_t = in_types
    dims = _dims_from(s_t, "gather_grad shape")
    if dims is not None and g.shape.rank is not None and idx.shape.rank is not None:
        # g is params[:axis] + indices[batch_dims:] + params[axis + 1:]: read known dims off it
        gd = g.shape.as_tuple()
        after = axis + idx.shape.rank - batch_dims
        known = list(gd[:axis]) + [None] + list(gd[after:])
        if len(known) == len(dims):
            dims = [d if d is not None else k for d, k in zip(dims, known)]
    return TensorType(g.dtype, TensorShape(dims))


def _gather_grad_kernel(g, idx, p_shape, axis, batch_dims):
    p_shape = tuple(int(d) for d in p_shape)
    (nb, npre, n, npost), (_, nj) = _gather_views(p_shape, idx.shape, axis, batch_dims)
    out = np.zeros((nb, npre, n, npost), g.dtype)
    gv = g.reshape(nb, npre, nj, npost).transpose(0, 2, 1, 3)
    np.add.at(out, (np.arange(nb)[:, None], builtins.slice(None), idx.reshape(nb, nj)), gv)
    return out.reshape(p_shape)


_gather_grad = defop(
    "gather_grad", _gather_grad_infer, _gather_grad_kernel,
    vjp=lambda c, gg: (apply(_gather, gg, c.inputs[1], **c.attrs), None, None),
    doc="Scatter-add input 0 into zeros of shape input 2 at gather indices input 1.")


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: out[pre..., i..., post...] = params[pre..., indices[i...], post...].

    >>> params = tf.constant([[0, 1], [2, 3], [4, 5]])
    >>> tf.gather(params, [2, 0]).numpy()
    array([[4, 5],
           [0, 1]], dtype=int32)
    >>> tf.gather(params, [1], axis=1).numpy()
    array([[1],
           [3],
           [5]], dtype=int32)
    """
    p = to_tensor(params)
    i = indices if isinstance(indices, Tensor) else to_tensor(indices, dtype_hint=dtypes.int32)
    if axis is not None:
        axis = static_axis(axis, "axis")
    axis, batch_dims = _gather_axes("gather", p.shape.rank, i.shape.rank, axis, int(batch_dims))
    return apply(_gather, p, i, axis=axis, batch_dims=batch_dims)


# ----------------------------------------------------------------------------------------------
# gather_nd
# ----------------------------------------------------------------------------------------------


def _gather_nd_infer(in_types, batch_dims):
    p, i = in_types
    _check_indices_dtype("gather_nd", i)
    if p.shape.rank is None or i.shape.rank is None:
        return TensorType(p.dtype, TensorShape(None))
    if i.shape.rank < 1:
        raise InvalidArgumentError("indices must have rank >= 1 [Op:gather_nd]", "gather_nd")
    k = i.shape[-1]
    if k is None:
        return TensorType(p.dtype, TensorShape(None))
    if k > p.shape.rank - batch_dims:
        raise InvalidArgumentError(
            f"index innermost dimension length must be <= params rank; saw: {k} vs. "
            f"{p.shape.rank - batch_dims} [Op:gather_nd]", "gather_nd")
    pd = p.shape.as_tuple()
    return TensorType(p.dtype, TensorShape(i.shape.as_tuple()[:-1] + pd[batch_dims + k:]))


def _nd_index(p_shape, idx, b, op):
    """(params view shape, index tuple, out shape) in the canonical batched form."""
    k = idx.shape[-1]
    nb = _prod(p_shape[:b])
    nj = _prod(idx.shape[b:-1])
    iv = idx.reshape(nb, nj, k)
    for t in builtins.range(k):
        col = iv[..., t]
        dim = p_shape[b + t]
        bad = (col < 0) | (col >= dim)
        if bad.any():
            flat = int(np.argwhere(bad.reshape(-1))[0][0])
            row = idx.reshape(-1, k)[flat].tolist()
            raise InvalidArgumentError(
                f"indices[{flat}] = {row} does not index into param shape "
                f"[{','.join(str(d) for d in p_shape)}] [Op:{op}]", op)
    key = (np.arange(nb)[:, None],) + tuple(iv[..., t] for t in builtins.range(k))
    view = (nb,) + tuple(p_shape[b:])
    return view, key, (nb, nj), idx.shape[:-1] + tuple(p_shape[b + k:])


def _gather_nd_kernel(p, idx, batch_dims):
    view, key, (nb, nj), out_shape = _nd_index(p.shape, idx, batch_dims, "gather_nd")
    pv = p.reshape(view)
    picked = pv[key] if len(key) > 1 else np.broadcast_to(pv[:, None], (nb, nj) + view[1:])
    return picked.reshape(out_shape)


def _gather_nd_grad_kernel(g, idx, p_shape, batch_dims):
    p_shape = tuple(int(d) for d in p_shape)
    view, key, (nb, nj), _ = _nd_index(p_shape, idx, batch_dims, "gather_nd_grad")
    out = np.zeros(view, g.dtype)
    gv = g.reshape((nb, nj) + view[1 + idx.shape[-1]:])
    if len(key) > 1:
        np.add.at(out, key, gv)
    else:
        out += gv.sum(axis=1)
    return out.reshape(p_shape)


_gather_nd = defop("gather_nd", _gather_nd_infer, _gather_nd_kernel,
                   vjp=lambda c, g: (apply(_gather_nd_grad, g, c.inputs[1], shape(c.inputs[0]),
                                           **c.attrs), None))
_gather_nd_grad = defop(
    "gather_nd_grad",
    lambda in_types, batch_dims: TensorType(in_types[0].dtype, TensorShape(
        _dims_from(in_types[2], "gather_nd_grad shape"))),
    _gather_nd_grad_kernel,
    vjp=lambda c, gg: (apply(_gather_nd, gg, c.inputs[1], **c.attrs), None, None),
    doc="Scatter-add input 0 into zeros of shape input 2 at gather_nd indices input 1.")


def gather_nd(params, indices, batch_dims=0, name=None):
    """Gathers slices from `params` into a tensor with shape given by `indices`.

    >>> tf.gather_nd(tf.constant([[1, 2], [3, 4]]), [[0, 1], [1, 0]]).numpy()
    array([2, 3], dtype=int32)
    """
    p = to_tensor(params)
    i = indices if isinstance(indices, Tensor) else to_tensor(indices, dtype_hint=dtypes.int32)
    return apply(_gather_nd, p, i, batch_dims=int(batch_dims))


# ----------------------------------------------------------------------------------------------
# one_hot
# ----------------------------------------------------------------------------------------------


def _one_hot_infer(in_types, axis):
    idx, depth_t, on, off = in_types
    _check_indices_dtype("one_hot", idx)
    tr.same_dtype("one_hot", [on, off])
    if on.shape.rank not in (0, None) or off.shape.rank not in (0, None):
        raise InvalidArgumentError("one_hot: on_value and off_value must be scalars", "one_hot")
    depth = None if depth_t.value is None else int(np.asarray(depth_t.value))
    if depth is not None and depth < 0:
        raise InvalidArgumentError(f"depth must be non-negative, got: {depth} [Op:one_hot]",
                                   "one_hot")
    if idx.shape.rank is None:
        return TensorType(on.dtype, TensorShape(None))
    r = idx.shape.rank
    if not -1 <= axis <= r:
        raise InvalidArgumentError(f"Expected axis to be -1 or between [0, {r + 1}).  But "
                                   f"received: {axis} [Op:one_hot]", "one_hot")
    dims = list(idx.shape.as_tuple())
    dims.insert(r if axis == -1 else axis, depth)
    return TensorType(on.dtype, TensorShape(dims))


def _one_hot_kernel(idx, depth, on, off, axis):
    depth = int(depth)
    if depth < 0:  # (a graph runs kernels without the type rule's check)
        raise InvalidArgumentError(f"depth must be non-negative, got: {depth} [Op:one_hot]",
                                   "one_hot")
    hot = idx[..., None] == np.arange(depth)  # out-of-range and negative rows stay all-off
    out = np.where(hot, on, off)
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return out


_one_hot = defop("one_hot", _one_hot_infer, _one_hot_kernel)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """tf.one_hot: float32 unless on/off values or `dtype` say otherwise.

    >>> tf.one_hot([0, 2], depth=3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    idx = indices if isinstance(indices, Tensor) else to_tensor(indices, dtype_hint=dtypes.int32)
    if isinstance(idx, Tensor) and idx.dtype is dtypes.uint8:
        idx = cast(idx, dtypes.int32)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    else:
        for v in (on_value, off_value):
            if isinstance(v, Tensor) or isinstance(v, (np.ndarray, np.generic)):
                dtype = dtypes.as_dtype(v.dtype)
                break
            if v is not None:  # a Python number: its tensor dtype, as TF (5 → int32)
                dtype = convert_to_tensor(v).dtype
                break
        else:
            dtype = dtypes.float32

    def value(v, default):
        if v is None:
            return convert_to_tensor(np.asarray(default, dtype.np_dtype))
        if isinstance(v, Tensor):
            if v.dtype is not dtype:
                raise TypeError(f"dtype {dtype.name} of on_value/off_value does not match "
                                f"{v.dtype.name}")
            return v
        return convert_to_tensor(np.asarray(v).astype(dtype.np_dtype))

    depth_t = depth if isinstance(depth, Tensor) else convert_to_tensor(
        np.asarray(static_ints(depth, "depth"), np.int32))
    return apply(_one_hot, idx, depth_t, value(on_value, 1), value(off_value, 0),
                 axis=-1 if axis is None else int(axis))


# ----------------------------------------------------------------------------------------------
# where_indices (one-argument tf.where), boolean_mask
# ----------------------------------------------------------------------------------------------


def _where_indices_infer(in_types):
    x = in_types[0]
    return TensorType(dtypes.int64, TensorShape([None, x.shape.rank]))


_where_indices = defop("where_indices", _where_indices_infer,
                       lambda x: np.argwhere(x).astype(np.int64),
                       doc="The int64 [n, rank] coordinates of the non-zero entries.")


def where_indices(condition, name=None):
    """`tf.where(condition)`: the coordinates of the true (non-zero) entries, int64 [n, rank]."""
    c = condition if isinstance(condition, Tensor) else to_tensor(condition)
    return apply(_where_indices, c)


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """tf.boolean_mask: keep the entries (or slices along axis...) where mask is True.

    >>> tf.boolean_mask([1, 2, 3, 4], [True, False, True, False]).numpy()
    array([1, 3], dtype=int32)
    >>> tf.boolean_mask(tf.constant([[1, 2], [3, 4], [5, 6]]), [True, False, True]).numpy()
    array([[1, 2],
           [5, 6]], dtype=int32)
    """
    x = to_tensor(tensor)
    m = mask if isinstance(mask, Tensor) else to_tensor(mask, dtype=dtypes.bool)
    if m.dtype is not dtypes.bool:
        raise TypeError(f"boolean_mask: mask must be a bool tensor, got {m.dtype.name}")
    m_rank = m.shape.rank
    if m_rank is None:
        raise ValueError("Number of mask dimensions must be specified, even if some dimensions "
                         "are None.  E.g. shape=[None] is ok, but shape=None is not.")
    if m_rank == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else int(static_axis(axis, "axis"))
    r = x.shape.rank
    if r is not None:
        if axis < 0:
            axis += r
        if axis + m_rank > r:
            raise ValueError(f"Shapes {x.shape} and {m.shape} are incompatible: the mask has "
                             f"more dimensions than the tensor after axis {axis}")
        part = x.shape[axis:axis + m_rank]
        if not part.is_compatible_with(m.shape):
            raise ValueError(f"Shapes {part} and {m.shape} are incompatible")
    # collapse the masked dims into one, then gather the true positions along it
    if r is not None and x.shape.is_fully_defined():
        dims = x.shape.as_list()
        flat_shape = dims[:axis] + [-1] + dims[axis + m_rank:]
    else:
        xs = shape(x)
        flat_shape = concat([xs[:axis], [-1], xs[axis + m_rank:]], axis=0)
    flat = reshape(x, flat_shape)
    positions = reshape(where_indices(reshape(m, [-1])), [-1])
    return gather(flat, positions, axis=axis)


# ----------------------------------------------------------------------------------------------
# argsort, sort
# ----------------------------------------------------------------------------------------------


def _argsort_kernel(x, axis, direction):
    if direction == "ASCENDING":
        return np.argsort(x, axis=axis, kind="stable").astype(np.int32)
    # stable descending: sort the reversed array ascending, reverse, map positions back
    n = x.shape[axis]
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(flipped, axis)).astype(np.int32)


def _argsort_infer(in_types, axis, direction):
    x = in_types[0]
    tr.check_dtype("argsort", x, tr.NUMERIC)
    if x.shape.rank == 0:
        raise InvalidArgumentError("argsort: input must be at least rank 1", "argsort")
    return TensorType(dtypes.int32, x.shape)


_argsort = defop("argsort", _argsort_infer, _argsort_kernel,
                 doc="int32 positions that sort input 0 along attr axis (stable).")


def _direction(direction):
    d = str(direction).upper()
    if d not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"`direction` must be one of ['ASCENDING', 'DESCENDING']. Received: "
                         f"direction={direction}")
    return d


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Returns the indices that sort a tensor along an axis ("ASCENDING"/"DESCENDING").

    >>> tf.argsort(tf.constant([3, 1, 2])).numpy()
    array([1, 2, 0], dtype=int32)
    """
    x = to_tensor(values)
    if x.shape.rank is not None and x.shape.rank > 0:
        axis = tr.normalize_axis("argsort", int(axis), x.shape.rank)
    return apply(_argsort, x, axis=int(axis), direction=_direction(direction))


def _take_along(x, idx, axis):
    """x gathered along `axis` by idx of x's shape (a batched gather over the other dims)."""
    r = x.shape.rank
    if r == 1:
        return gather(x, idx)
    perm = [d for d in builtins.range(r) if d != axis] + [axis]
    inverse = [perm.index(d) for d in builtins.range(r)]
    out = gather(transpose(x, perm), transpose(idx, perm), axis=r - 1, batch_dims=r - 1)
    return transpose(out, inverse)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """tf.sort (differentiable through the gather it is built from).

    >>> tf.sort([3.0, 1.0, 2.0]).numpy()
    array([1., 2., 3.], dtype=float32)
    >>> tf.sort([3, 1, 2], direction='DESCENDING').numpy()
    array([3, 2, 1], dtype=int32)
    """
    x = to_tensor(values)
    if x.shape.rank is None:
        raise ValueError("tf.sort needs a tensor of known rank")
    axis = tr.normalize_axis("sort", int(axis), max(x.shape.rank, 1))
    return _take_along(x, argsort(x, axis=axis, direction=direction), axis)
