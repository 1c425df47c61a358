"""Op specs for array ops (see opspec.py): creation, shape queries, reshaping, joining
(array_ops.py), indexing and splitting (slicing.py), padding and tiling (tiling.py), gathers,
one_hot, masks and sorting (gather_ops.py).

Each spec compares the public function with a NumPy reference over several shapes (empty tensors
included) and dtypes; differentiable ones carry float64 gradient cases.
"""
import builtins

import numpy as np

import autograph_jit as tf
from autograph_jit.ops import array_ops, slicing
from autograph_jit.ops.opdef import apply

from .opspec import ALL_DTYPES, NUMERIC, Case, OpSpec, sample, unary_cases

_rng = np.random.default_rng(7)
F64 = (np.float64,)
SMALL_ALL = (np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_)


def _arr(shape, dtype, low=-3.0, high=3.0):
    return np.asarray(sample(_rng, shape, dtype, low, high))


def _distinct(shape, dtype):
    """Values without ties (sorting references are then unambiguous)."""
    n = int(np.prod(shape))
    vals = _rng.permutation(n).astype(np.float64)
    if np.dtype(dtype).kind == "f":
        vals = vals + _rng.uniform(0.1, 0.9, n)
    return vals.reshape(shape).astype(dtype)


def f64(cases, arg=0):
    """The cases whose differentiated arg is a non-empty float64 array."""
    return [c for c in cases if c.args[arg].dtype == np.float64 and c.args[arg].size]


def _cases(fn_args, dtypes=ALL_DTYPES):
    """Cases from (shape, extra args, kwargs) triples for each dtype."""
    return [Case((_arr(s, dt),) + tuple(extra), dict(kw)) for dt in dtypes
            for s, extra, kw in fn_args]


SPECS = []

# ----------------------------------------------------------------------------------------------
# creation and shape queries
# ----------------------------------------------------------------------------------------------

SPECS.append(OpSpec(
    "fill", fn=lambda dims, value: tf.fill(dims, value), ref=lambda dims, v: np.full(dims, v),
    cases=[Case((dims, _arr((), dt))) for dt in ALL_DTYPES for dims in ([], [3], [2, 0], [2, 3])],
    grad=True))

_like_ref = {
    "zeros_like": np.zeros_like, "ones_like": np.ones_like}
for _name in ("zeros_like", "ones_like"):
    SPECS.append(OpSpec(
        _name, fn=getattr(tf, _name),
        ref=lambda x, dtype=None, _f=_like_ref[_name]: _f(x, dtype=dtype),
        cases=unary_cases(ALL_DTYPES) + [Case((_arr((2, 3), np.float32),), {"dtype": np.int64}),
                                         Case((_arr((0,), np.int32),), {"dtype": np.float64})]))

SPECS.append(OpSpec(
    "range", fn=lambda s, l, d: tf.range(s, l, d),
    ref=lambda s, l, d: np.arange(s, l, d).astype(np.asarray(s).dtype),
    cases=[Case(tuple(np.asarray(v, dt) for v in sld))
           for dt in (np.int32, np.int64, np.float32, np.float64)
           for sld in ((0, 5, 1), (2, 11, 3), (5, 0, -2), (3, 3, 1), (4, 1, 1))]))

for _name, _ref in (("shape", lambda x, out_type=np.int32: np.array(x.shape, out_type)),
                    ("size", lambda x, out_type=np.int32: np.array(x.size, out_type))):
    SPECS.append(OpSpec(
        _name, fn=getattr(tf, _name), ref=_ref,
        cases=unary_cases(ALL_DTYPES) + unary_cases((np.float32,), out_type=np.int64)))

SPECS.append(OpSpec(
    "constant",
    fn=lambda x: apply(array_ops.constant_op, value=np.array(x), dtype=tf.as_dtype(x.dtype)),
    ref=lambda x: x, cases=unary_cases(ALL_DTYPES), tensor_args=()))

# ----------------------------------------------------------------------------------------------
# identity, stop_gradient, reshaping
# ----------------------------------------------------------------------------------------------

SPECS.append(OpSpec("identity", fn=tf.identity, ref=lambda x: x, cases=unary_cases(ALL_DTYPES),
                    grad=True))
SPECS.append(OpSpec("stop_gradient", fn=tf.stop_gradient, ref=lambda x: x,
                    cases=unary_cases(ALL_DTYPES)))

SPECS.append(OpSpec(
    "reshape", fn=lambda x, s: tf.reshape(x, s), ref=lambda x, s: np.reshape(x, s),
    cases=_cases([((2, 3), ([3, 2],), {}), ((2, 3), ([-1],), {}), ((6,), ([2, -1, 1],), {}),
                  ((), ([1, 1],), {}), ((1, 1), ([],), {}), ((2, 0, 3), ([0, 6],), {}),
                  ((0,), ([4, 0],), {})]),
    grad=True))

SPECS.append(OpSpec(
    "expand_dims", fn=lambda x, axis: tf.expand_dims(x, axis),
    ref=lambda x, axis: np.expand_dims(x, axis),
    cases=_cases([((), (0,), {}), ((3,), (-1,), {}), ((2, 3), (1,), {}), ((2, 3), (-3,), {}),
                  ((0, 2), (2,), {})]),
    grad=True))

SPECS.append(OpSpec(
    "squeeze", fn=lambda x, axis=None: tf.squeeze(x, axis),
    ref=lambda x, axis=None: np.squeeze(x, axis=None if axis is None else tuple(axis)),
    cases=_cases([((1, 3, 1), (), {}), ((1, 3, 1), (), {"axis": [0]}),
                  ((2, 1, 1), (), {"axis": [-1, 1]}), ((1,), (), {}), ((0, 1), (), {"axis": [1]}),
                  ((), (), {})]),
    grad=True))

SPECS.append(OpSpec(
    "transpose", fn=lambda x, perm=None: tf.transpose(x, perm),
    ref=lambda x, perm=None: np.transpose(x, perm),
    cases=_cases([((2, 3), (), {}), ((2, 3, 4), (), {"perm": [1, 0, 2]}),
                  ((2, 3, 4), (), {"perm": [2, 0, 1]}), ((0, 3), (), {}), ((), (), {}),
                  ((4,), (), {"perm": [0]})]),
    grad=True))

# ----------------------------------------------------------------------------------------------
# stack, unstack, concat
# ----------------------------------------------------------------------------------------------


def _join_cases(shapes_axes):
    return [Case(tuple(_arr(s, dt) for s in shapes), {"axis": axis})
            for dt in ALL_DTYPES for shapes, axis in shapes_axes]


SPECS.append(OpSpec(
    "stack", fn=lambda *xs, axis: tf.stack(list(xs), axis=axis),
    ref=lambda *xs, axis: np.stack(xs, axis=axis),
    cases=_join_cases([(((), ()), 0), (((3,), (3,), (3,)), 1), (((2, 3), (2, 3)), -1),
                       (((2, 3),), 0), (((0, 2), (0, 2)), 1)]),
    grad=True))

SPECS.append(OpSpec(
    "unstack", fn=lambda x, axis=0: tf.unstack(x, axis=axis),
    ref=lambda x, axis=0: list(np.moveaxis(x, axis, 0)),
    cases=_cases([((3,), (), {}), ((2, 3), (), {"axis": 1}), ((2, 3, 4), (), {"axis": -1}),
                  ((3, 0), (), {}), ((0, 3), (), {})]),
    grad=True))

SPECS.append(OpSpec(
    "concat", fn=lambda *xs, axis: tf.concat(list(xs), axis=axis),
    ref=lambda *xs, axis: np.concatenate(xs, axis=axis),
    cases=_join_cases([(((2,), (3,)), 0), (((2, 3), (1, 3), (4, 3)), 0), (((2, 3), (2, 1)), -1),
                       (((0, 3), (2, 3)), 0), (((2, 0), (2, 0)), 1)]),
    covers=("concat", "split"), grad=True))

# ----------------------------------------------------------------------------------------------
# indexing: strided_slice (+ its gradient helper), sliced updates, slice, split
# ----------------------------------------------------------------------------------------------

S = builtins.slice
_KEYS = [
    ((5, 5), [0, -1, (1, 3), (S(1, 4), S(None)), (S(1, 4), S(None, 4, 2)), (Ellipsis, 1),
              (S(None), None), S(None, None, -1), (S(None, None, -2), S(3, 0, -1)),
              (None, Ellipsis, None), S(10, 20), S(-100, 100), (-5, S(-2, None))]),
    ((2, 3, 4), [(Ellipsis, 1), (1, Ellipsis), (0, S(None), -1), (S(None), None, 1, S(1, 3)),
                 (1, 2, 3), (Ellipsis, S(None, None, 3), None)]),
    ((0, 3), [(S(None), 1), Ellipsis, S(1, None)]),
    ((), [Ellipsis, None, (None, None)]),
]


def _getitem_cases(dtypes):
    return [Case((_arr(s, dt), key)) for dt in dtypes for s, keys in _KEYS for key in keys]


SPECS.append(OpSpec(
    "getitem", fn=lambda x, key: x[key], ref=lambda x, key: x[key],
    cases=_getitem_cases(SMALL_ALL) + _getitem_cases((np.float16, np.int8, np.int16))[:6],
    covers=("strided_slice", "strided_slice_grad"), grad=True))


def _dynamic_index(x, i):
    """`x[i]` with i a run-time input (what tracing does with a symbolic index)."""
    return slicing.strided_slice(x, (("index", ("arg", 0)), ("slice", None, ("arg", 1), None)),
                                 i, i)


SPECS.append(OpSpec(
    "strided_slice_dynamic_index", fn=_dynamic_index, ref=lambda x, i: x[int(i), :int(i)],
    cases=[Case((_arr((4, 3), dt), np.asarray(i, it))) for dt in (np.float64, np.int32)
           for i, it in ((1, np.int32), (-2, np.int64), (3, np.int32))],
    covers=("strided_slice", "strided_slice_grad"), grad=True, grad_args=[0],
    grad_cases=[Case((_arr((4, 3), np.float64), np.asarray(2, np.int32)))]))


def _update_ref(x, u, key):
    out = np.array(x)
    out[key] = u
    return out


SPECS.append(OpSpec(
    "strided_slice_update", fn=lambda x, u, key: slicing.strided_slice_update(x, key, u),
    ref=_update_ref,
    cases=[Case((_arr(s, dt), _arr(us, dt), key)) for dt in SMALL_ALL for s, us, key in (
        ((2, 2), (2,), (1, S(None))), ((4, 3), (2, 3), S(1, 3)), ((4, 3), (), (Ellipsis, 0)),
        ((4, 3), (3,), S(None, None, -2)), ((5,), (1,), S(1, 4)), ((0, 3), (0, 3), Ellipsis),
        ((3, 2), (2, 1, 2), (S(None, 2), None)))],
    grad=True))


def _slice_ref(x, begin, size):
    return x[tuple(S(b, None if s == -1 else b + s) for b, s in zip(begin, size))]


SPECS.append(OpSpec(
    "slice", fn=lambda x, b, s: tf.slice(x, b, s), ref=_slice_ref,
    cases=_cases([((5, 5), ([1, 0], [3, 5]), {}), ((5, 5), ([2, 1], [-1, 2]), {}),
                  ((4,), ([4], [0]), {}), ((2, 3, 4), ([0, 1, 1], [2, -1, 2]), {}),
                  ((0, 3), ([0, 1], [0, 2]), {}), ((), ([], []), {})]),
    covers=("slice", "pad"), grad=True))


def _split_ref(x, n, axis=0):
    if isinstance(n, int):
        return np.split(x, n, axis=axis)
    sizes = list(n)
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


SPECS.append(OpSpec(
    "split", fn=lambda x, n, axis=0: tf.split(x, n, axis=axis), ref=_split_ref,
    cases=_cases([((6,), (3,), {}), ((4, 6), (2,), {"axis": 1}), ((5, 2), ([1, 4],), {}),
                  ((5, 2), ([2, -1, 0],), {}), ((3, 4), ([1, 1, 2],), {"axis": -1}),
                  ((0, 4), (2,), {"axis": 1}), ((4,), (1,), {})]),
    covers=("split", "concat"), grad=True))

# ----------------------------------------------------------------------------------------------
# pad, reverse, tile, broadcast_to
# ----------------------------------------------------------------------------------------------


def _pad_ref(x, paddings, mode="CONSTANT", constant_values=0):
    if x.ndim == 0:
        return x
    if mode == "CONSTANT":
        return np.pad(x, paddings, mode="constant",
                      constant_values=np.asarray(constant_values).astype(x.dtype))
    return np.pad(x, paddings, mode=mode.lower())


_PAD = [((3,), ([[1, 2]],), {}), ((2, 3), ([[0, 1], [2, 0]],), {"constant_values": 1}),
        ((2, 3), ([[1, 1], [2, 2]],), {"mode": "REFLECT"}),
        ((3, 4), ([[2, 3], [1, 0]],), {"mode": "SYMMETRIC"}),
        ((2, 3, 2), ([[1, 0], [1, 2], [1, 1]],), {"mode": "REFLECT"}),
        ((0, 2), ([[1, 1], [0, 1]],), {}), ((), ([],), {})]

SPECS.append(OpSpec(
    "pad", fn=lambda x, p, **kw: tf.pad(x, p, **kw), ref=_pad_ref,
    cases=_cases(_PAD, NUMERIC) + _cases(_PAD[:2], (np.bool_,)),
    covers=("pad", "mirror_pad_grad", "slice"), grad=True))

SPECS.append(OpSpec(
    "reverse", fn=lambda x, axis: tf.reverse(x, axis),
    ref=lambda x, axis: np.flip(x, tuple(axis)) if axis else x,
    cases=_cases([((5,), ([0],), {}), ((2, 3), ([1],), {}), ((2, 3, 4), ([0, -1],), {}),
                  ((2, 3), ([],), {}), ((0, 3), ([0, 1],), {})]),
    grad=True))

SPECS.append(OpSpec(
    "tile", fn=lambda x, m: tf.tile(x, m), ref=lambda x, m: np.tile(x, m),
    cases=_cases([((3,), ([2],), {}), ((2, 3), ([2, 1],), {}), ((2, 1, 3), ([1, 4, 2],), {}),
                  ((2, 3), ([0, 2],), {}), ((0, 2), ([3, 1],), {}), ((), ([],), {})]),
    grad=True))

SPECS.append(OpSpec(
    "broadcast_to", fn=lambda x, s: tf.broadcast_to(x, s),
    ref=lambda x, s: np.broadcast_to(x, s),
    cases=_cases([((), ([2, 3],), {}), ((3,), ([2, 3],), {}), ((2, 1), ([2, 4],), {}),
                  ((1, 3), ([0, 3],), {}), ((2, 3), ([2, 3],), {}), ((1,), ([2, 2, 1],), {})]),
    covers=("broadcast_to", "sum_to"), grad=True))

# ----------------------------------------------------------------------------------------------
# gather, gather_nd, one_hot, where_indices, boolean_mask, argsort, sort
# ----------------------------------------------------------------------------------------------


def _gather_ref(p, i, axis=None, batch_dims=0):
    axis = batch_dims if axis is None else axis % p.ndim
    if batch_dims == 0:
        return np.take(p, i, axis=axis)
    out_shape = p.shape[:axis] + i.shape[batch_dims:] + p.shape[axis + 1:]
    pf = p.reshape((-1,) + p.shape[batch_dims:])
    if_ = i.reshape((-1,) + i.shape[batch_dims:])
    parts = [np.take(pf[n], if_[n], axis=axis - batch_dims) for n in range(pf.shape[0])]
    return np.array(parts, dtype=p.dtype).reshape(out_shape)


def _idx(shape, n, dtype=np.int32):
    return _rng.integers(0, max(n, 1), size=shape).astype(dtype) if n else \
        np.zeros(shape, dtype)


_GATHER = [((5,), ((3,), 5), {}), ((5, 3), ((2, 2), 5), {}), ((4, 3), ((4,), 3), {"axis": 1}),
           ((2, 5, 3), ((2, 4), 5), {"axis": 1, "batch_dims": 1}),
           ((3, 4), ((3, 2), 4), {"axis": -1, "batch_dims": 1}),
           ((5, 2), ((0,), 5), {}), ((0, 2), ((3,), 2), {"axis": 1}), ((4,), ((), 4), {})]


def _gather_cases(dtypes):
    return [Case((_arr(ps, dt), _idx(ishape, n, it)), dict(kw)) for dt in dtypes
            for (ps, (ishape, n), kw), it in zip(_GATHER, [np.int32, np.int64] * len(_GATHER))]


_gc = _gather_cases(ALL_DTYPES)
SPECS.append(OpSpec(
    "gather", fn=lambda p, i, **kw: tf.gather(p, i, **kw), ref=_gather_ref, cases=_gc,
    covers=("gather", "gather_grad"), grad=True, grad_cases=f64(_gc), grad_args=[0]))


def _gather_nd_ref(p, i, batch_dims=0):
    if batch_dims == 0:
        return p[tuple(np.moveaxis(i, -1, 0))]
    parts = [_gather_nd_ref(p[n], i[n]) for n in range(p.shape[0])]
    return np.array(parts, dtype=p.dtype)


_GND = [((3, 3), np.array([[0, 1], [2, 2], [1, 0]])), ((3, 4, 2), np.array([[1], [0]])),
        ((3, 4), np.array([[[0, 0], [2, 3]], [[1, 1], [1, 2]]])),
        ((2, 3), np.zeros((0, 2), np.int64)), ((4,), np.array([3]))]
_gndc = [Case((_arr(ps, dt), idx.astype(it))) for dt in ALL_DTYPES for (ps, idx), it in
         zip(_GND, [np.int32, np.int64] * len(_GND))] + \
    [Case((_arr((2, 3, 4), dt), np.array([[[1, 2]], [[0, 3]]], np.int32)), {"batch_dims": 1})
     for dt in (np.float64, np.int32)]
SPECS.append(OpSpec(
    "gather_nd", fn=lambda p, i, **kw: tf.gather_nd(p, i, **kw), ref=_gather_nd_ref,
    cases=_gndc, covers=("gather_nd", "gather_nd_grad"), grad=True, grad_cases=f64(_gndc),
    grad_args=[0]))


def _one_hot_ref(i, depth, on_value=None, off_value=None, axis=None, dtype=None):
    dt = np.dtype(dtype) if dtype is not None else (
        np.asarray(on_value).dtype if isinstance(on_value, np.ndarray) else np.float32)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    out = np.where(i[..., None] == np.arange(depth), on, off).astype(dt)
    return out if axis in (None, -1) else np.moveaxis(out, -1, axis)


SPECS.append(OpSpec(
    "one_hot", fn=lambda i, depth, **kw: tf.one_hot(i, depth, **kw), ref=_one_hot_ref,
    cases=[Case((np.array([0, 2, -1, 1, 7], it), 3)) for it in (np.int32, np.int64)] + [
        Case((np.array([[0, 1], [2, 0]], np.int32), 3), {"axis": 0}),
        Case((np.array([[0, 1], [2, 0]], np.int32), 4), {"axis": 1, "dtype": np.int64}),
        Case((np.array([1, 0], np.int64), 2), {"on_value": np.asarray(5.0),
                                               "off_value": np.asarray(-1.0)}),
        Case((np.zeros((0,), np.int32), 3)), Case((np.array(2, np.int32), 4)),
        Case((np.array([0, 3], np.int32), 0)),
        Case((np.array([1, 0], np.int32), 2), {"dtype": np.bool_})],
    tensor_args=(0,)))

SPECS.append(OpSpec(
    "where_indices", fn=lambda c: tf.where(c), ref=lambda c: np.argwhere(c).astype(np.int64),
    cases=unary_cases(ALL_DTYPES, low=-1, high=1) + unary_cases((np.bool_,), seed=3)))


def _mask_ref(x, m, axis=None):
    return x[(S(None),) * (axis or 0) + (m,)]


def _mask_cases(dtypes):
    out = []
    for dt in dtypes:
        for xs, ms, kw in (((5,), (5,), {}), ((4, 3), (4,), {}), ((4, 3), (4, 3), {}),
                           ((2, 4, 3), (4,), {"axis": 1}), ((0, 2), (0,), {}),
                           ((3, 2), (3,), {})):
            m = _arr(ms, np.bool_)
            if kw == {} and xs == (3, 2):
                m = np.zeros(ms, np.bool_)
            out.append(Case((_arr(xs, dt), m), dict(kw)))
    return out


SPECS.append(OpSpec(
    "boolean_mask", fn=lambda x, m, **kw: tf.boolean_mask(x, m, **kw), ref=_mask_ref,
    cases=_mask_cases(ALL_DTYPES), covers=("where_indices", "gather", "gather_grad", "reshape"),
    grad=True, grad_args=[0],
    grad_cases=[c for c in _mask_cases(F64) if c.args[0].size]))


def _argsort_ref(x, axis=-1, direction="ASCENDING"):
    if direction == "ASCENDING":
        return np.argsort(x, axis=axis, kind="stable").astype(np.int32)
    return np.argsort(-x.astype(np.float64), axis=axis, kind="stable").astype(np.int32)


def _sort_ref(x, axis=-1, direction="ASCENDING"):
    out = np.sort(x, axis=axis)
    return out if direction == "ASCENDING" else np.flip(out, axis)


_SORT = [((5,), {}), ((3, 4), {}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": 1}),
         ((4, 3), {"direction": "DESCENDING"}), ((2, 3, 2), {"axis": 0, "direction":
                                                             "DESCENDING"}), ((0, 3), {})]


def _sort_cases(dtypes):
    return [Case((_distinct(s, dt),), dict(kw)) for dt in dtypes for s, kw in _SORT]


SPECS.append(OpSpec(
    "argsort", fn=lambda x, **kw: tf.argsort(x, **kw), ref=_argsort_ref,
    cases=_sort_cases(NUMERIC) + [Case((np.array([3, 1, 3, 0, 1], np.int32),))]))

SPECS.append(OpSpec(
    "sort", fn=lambda x, **kw: tf.sort(x, **kw), ref=_sort_ref, cases=_sort_cases(NUMERIC),
    covers=("argsort", "gather", "gather_grad", "transpose"), grad=True))
