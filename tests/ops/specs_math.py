"""Op specs for math ops (see opspec.py): every op registered in autograph_jit/ops/math_ops.py.

References follow TF2's semantics, not NumPy's where they differ: floormod keeps fmod's -0.0,
integer `div` truncates, int32 / int32 true division gives float64, round is half-to-even,
reduce_max of an empty float tensor is -inf, integer reduce_mean truncates, floordiv on floats
is floor(x / y), a cast from float to int truncates and a cast to bool tests `!= 0`.
"""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ops import math_ops
from autograph_jit.ops.opdef import apply

from .opspec import (ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, NUMERIC, Case, OpSpec, binary_cases,
                     sample, unary_cases)

SIGNED = (np.int8, np.int16, np.int32, np.int64)
SIGNED_NUMERIC = FLOAT_DTYPES + SIGNED


def xfail_case(case, reason):
    """Mark a case as a known divergence from TF2 (strict: it fails loudly once fixed)."""
    case.marks = (pytest.mark.xfail(strict=True, reason=reason),)
    return case


def _rng(seed):
    return np.random.default_rng(seed)


def _away_from_zero(rng, shape, dtype, low=0.3, high=3.0):
    mag = rng.uniform(low, high, size=shape)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(dtype)


def _nonzero_ints(rng, shape, dtype):
    mag = rng.integers(1, 4, size=shape)
    if np.dtype(dtype).kind == "u":
        return mag.astype(dtype)
    return (mag * np.where(rng.random(shape) < 0.5, -1, 1)).astype(dtype)


def _cases_with_nonzero_divisor(dtypes, seed=0, shapes=None):
    """Binary cases whose second argument never is zero (ints: +-1..3; floats: |y| >= 0.3)."""
    from .opspec import BINARY_SHAPES
    rng = _rng(seed)
    out = []
    for dt in dtypes:
        for a, b in shapes or BINARY_SHAPES:
            x = sample(rng, a, dt, -7, 7)
            y = (_nonzero_ints if np.dtype(dt).kind in "iu" else _away_from_zero)(rng, b, dt)
            out.append(Case((x, y)))
    return out


# ----------------------------------------------------------------------------------------------
# binary arithmetic
# ----------------------------------------------------------------------------------------------

_TRUEDIV_FLOAT = {np.dtype(np.int8): np.float32, np.dtype(np.int16): np.float32,
                  np.dtype(np.uint8): np.float32, np.dtype(np.int32): np.float64,
                  np.dtype(np.int64): np.float64}


def _truediv_ref(x, y):
    target = _TRUEDIV_FLOAT.get(np.asarray(x).dtype)
    if target is not None:
        x, y = np.asarray(x).astype(target), np.asarray(y).astype(target)
    return np.true_divide(x, y)


def _trunc_div_ref(x, y):
    """TF's `Div` on integers: C division, truncating toward zero; on floats x / y."""
    if x.dtype.kind in "iu":
        return np.fix(x.astype(np.float64) / y.astype(np.float64)).astype(x.dtype)
    return np.true_divide(x, y)


def _floordiv_ref(x, y):
    if x.dtype.kind == "f":
        return np.floor(np.true_divide(x, y))  # TF: floor(x / y), not NumPy's fmod-based //
    return np.floor_divide(x, y)


def _floormod_ref(x, y):
    if x.dtype.kind in "iu":
        return np.mod(x, y)
    r = np.fmod(x, y)
    return np.where((r != 0) & ((r < 0) != (y < 0)), r + y, r).astype(x.dtype)


def _pow_cases():
    rng = _rng(3)
    cases = binary_cases(FLOAT_DTYPES, low=0.2, high=3.0, low2=-2.0, high2=2.0, seed=3)
    cases += binary_cases(SIGNED + (np.uint8,), low=0, high=3, low2=0, high2=3, seed=3)
    cases.append(Case((np.array([-2.0, -3.0, 0.0, 0.0], np.float32),
                       np.array([3.0, 2.0, 0.0, 2.0], np.float32))))
    cases.append(Case((np.array([-2, -1, 0, 5], np.int32), np.array([3, 3, 0, 1], np.int32))))
    cases.append(Case((sample(rng, (3,), np.float32, 0.5, 2.0), 2)))
    return cases


def _python_operand_cases():
    """`x op 2` / `x op 2.5`: the Python value takes the tensor's dtype."""
    rng = _rng(11)
    return [Case((sample(rng, (4,), np.float32), 2)),
            Case((sample(rng, (2, 2), np.float64), 2.5)),
            Case((sample(rng, (3,), np.int32), 2)),
            Case((sample(rng, (3,), np.float16), 1.5))]


SPECS = [
    OpSpec("add", fn=tf.add, ref=np.add,
           cases=binary_cases(NUMERIC) + _python_operand_cases(),
           covers=("add", "sum_to"), grad=True),
    OpSpec("subtract", fn=tf.subtract, ref=np.subtract,
           cases=binary_cases(NUMERIC, seed=1) + _python_operand_cases(), grad=True),
    OpSpec("multiply", fn=tf.multiply, ref=np.multiply,
           cases=binary_cases(NUMERIC, seed=2) + _python_operand_cases(), grad=True),
    OpSpec("truediv", fn=tf.math.truediv, ref=_truediv_ref,
           cases=binary_cases(NUMERIC, seed=4) + _cases_with_nonzero_divisor(FLOAT_DTYPES),
           covers=("divide", "cast"), grad=True,
           grad_cases=_cases_with_nonzero_divisor((np.float64,), seed=5)),
    OpSpec("divide", fn=tf.divide, ref=_truediv_ref,
           cases=_cases_with_nonzero_divisor(NUMERIC, seed=6), grad=True),
    # TF's `div` (integers truncate toward zero), reached by VJPs and divide_no_nan
    OpSpec("divide_truncates_integers", fn=math_ops.divide_, ref=_trunc_div_ref,
           cases=_cases_with_nonzero_divisor(NUMERIC, seed=7), covers=("divide",), grad=True),
    OpSpec("floordiv", fn=tf.math.floordiv, ref=_floordiv_ref,
           cases=_cases_with_nonzero_divisor(NUMERIC, seed=8), covers=("floordiv",)),
    OpSpec("floormod", fn=tf.math.floormod, ref=_floormod_ref,
           cases=_cases_with_nonzero_divisor(NUMERIC, seed=9) + [
               Case((np.array([-3.0, 3.0, -7.5, 7.5, 0.5], np.float32),
                     np.array([3.0, -3.0, 2.5, -2.5, -1.0], np.float32)))],
           grad=True, grad_cases=[Case((np.array([-2.7, 1.3, 5.1, -0.4]),
                                        np.array([1.1, -0.9, 2.0, 0.7])))]),
    # 1 / floormod shows the sign of a zero result: -3.0 mod 3.0 is -0.0 in TF (fmod's sign)
    OpSpec("floormod_keeps_fmod_signed_zero",
           fn=lambda x, y: tf.math.reciprocal(tf.math.floormod(x, y)),
           ref=lambda x, y: np.reciprocal(_floormod_ref(x, y)),
           cases=[Case((np.array([-3.0, 3.0, -6.0, 0.0], np.float32),
                        np.array([3.0, -3.0, -3.0, 2.0], np.float32)))],
           covers=("floormod",)),
    OpSpec("pow", fn=tf.pow, ref=np.power, cases=_pow_cases(), grad=True,
           grad_cases=binary_cases((np.float64,), low=0.2, high=3.0, low2=-2.0, high2=2.0,
                                   seed=12, shapes=[((), ()), ((4,), (4,)), ((2, 3), (3,)),
                                                    ((2, 1), (1, 3))])),
    OpSpec("maximum", fn=tf.maximum, ref=np.maximum, cases=binary_cases(NUMERIC, seed=13),
           grad=True),
    OpSpec("minimum", fn=tf.minimum, ref=np.minimum, cases=binary_cases(NUMERIC, seed=14),
           grad=True),
]

# ----------------------------------------------------------------------------------------------
# unary
# ----------------------------------------------------------------------------------------------


def _special_floats():
    return [Case((np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0], dt),))
            for dt in FLOAT_DTYPES]


def _in_float(np_fn):
    """Reference computed in float64, then rounded to the input's dtype."""
    def ref(x):
        return np.asarray(np_fn(x.astype(np.float64))).astype(x.dtype)
    return ref


def _sigmoid_ref(x):
    return _in_float(lambda v: 1.0 / (1.0 + np.exp(-v)))(x)


def _erf_ref(x):
    import math
    flat = [math.erf(v) for v in x.astype(np.float64).ravel()]
    return np.array(flat, dtype=np.float64).reshape(x.shape).astype(x.dtype)


def _halves():
    return [Case((np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51], dt),))
            for dt in FLOAT_DTYPES]


def _reciprocal_cases():
    rng = _rng(21)
    return [Case((_away_from_zero(rng, s, dt),)) for dt in FLOAT_DTYPES
            for s in [(), (5,), (2, 3), (0,)]]


SPECS += [
    OpSpec("negative", fn=tf.negative, ref=np.negative, cases=unary_cases(SIGNED_NUMERIC),
           grad=True),
    OpSpec("abs", fn=tf.abs, ref=np.abs, cases=unary_cases(SIGNED_NUMERIC, seed=1), grad=True),
    OpSpec("sign", fn=tf.sign, ref=np.sign,
           cases=unary_cases(SIGNED_NUMERIC, seed=2) + [
               Case((np.array([-0.0, 0.0, 2.0, -3.0], np.float32),))], grad=True),
    OpSpec("square", fn=tf.square, ref=np.square, cases=unary_cases(NUMERIC, seed=3),
           grad=True),
    OpSpec("sqrt", fn=tf.sqrt, ref=np.sqrt,
           cases=unary_cases(FLOAT_DTYPES, low=0.1, high=4.0, seed=4), grad=True),
    OpSpec("sqrt_of_negative_is_nan", fn=tf.sqrt, ref=np.sqrt, covers=("sqrt",),
           cases=[Case((np.array([-1.0, 0.0, 4.0], dt),)) for dt in FLOAT_DTYPES]),
    OpSpec("rsqrt", fn=tf.math.rsqrt, ref=_in_float(lambda v: 1.0 / np.sqrt(v)),
           cases=unary_cases(FLOAT_DTYPES, low=0.1, high=4.0, seed=5), grad=True, rtol=1e-5),
    OpSpec("exp", fn=tf.exp, ref=np.exp, cases=unary_cases(FLOAT_DTYPES, seed=6), grad=True),
    OpSpec("log", fn=tf.math.log, ref=np.log,
           cases=unary_cases(FLOAT_DTYPES, low=0.1, high=4.0, seed=7) + [
               Case((np.array([0.0, -1.0, np.inf], np.float32),))], grad=True,
           grad_cases=unary_cases((np.float64,), low=0.1, high=4.0, seed=7)),
    OpSpec("log1p", fn=tf.math.log1p, ref=np.log1p,
           cases=unary_cases(FLOAT_DTYPES, low=-0.9, high=3.0, seed=8), grad=True),
    OpSpec("expm1", fn=tf.math.expm1, ref=np.expm1, cases=unary_cases(FLOAT_DTYPES, seed=9),
           grad=True),
    OpSpec("sin", fn=tf.sin, ref=np.sin, cases=unary_cases(FLOAT_DTYPES, seed=10), grad=True),
    OpSpec("cos", fn=tf.cos, ref=np.cos, cases=unary_cases(FLOAT_DTYPES, seed=11), grad=True),
    OpSpec("tanh", fn=tf.tanh, ref=np.tanh, cases=unary_cases(FLOAT_DTYPES, seed=12),
           grad=True),
    OpSpec("sigmoid", fn=tf.sigmoid, ref=_sigmoid_ref,
           cases=unary_cases(FLOAT_DTYPES, low=-6.0, high=6.0, seed=13) + [
               Case((np.array([-100.0, -30.0, 0.0, 30.0, 100.0], dt),)) for dt in FLOAT_DTYPES],
           grad=True, rtol=1e-5),
    OpSpec("reciprocal", fn=tf.math.reciprocal, ref=np.reciprocal, cases=_reciprocal_cases(),
           grad=True),
    OpSpec("erf", fn=tf.math.erf, ref=_erf_ref, cases=unary_cases(FLOAT_DTYPES, seed=14),
           grad=True),
    OpSpec("round", fn=tf.round, ref=np.round,
           cases=unary_cases(FLOAT_DTYPES, low=-5, high=5, seed=15) + _halves(), grad=True,
           grad_cases=unary_cases((np.float64,), low=-5, high=5, seed=15)),
    # tf.round on integers returns the input unchanged (no op runs)
    OpSpec("round_integers_unchanged", fn=tf.round, ref=lambda x: x,
           cases=unary_cases(INT_DTYPES, seed=16), covers=("round",)),
    OpSpec("floor", fn=tf.floor, ref=np.floor,
           cases=unary_cases(FLOAT_DTYPES, seed=17) + _special_floats(), grad=True,
           grad_cases=unary_cases((np.float64,), seed=17)),
    OpSpec("ceil", fn=tf.math.ceil, ref=np.ceil,
           cases=unary_cases(FLOAT_DTYPES, seed=18) + _special_floats(), grad=True,
           grad_cases=unary_cases((np.float64,), seed=18)),
]

# ----------------------------------------------------------------------------------------------
# comparisons, logic, float classification
# ----------------------------------------------------------------------------------------------


def _compare_cases(dtypes, seed):
    rng = _rng(seed)
    # small integer-valued ranges make ties (the interesting case for <= and ==) common
    cases = binary_cases(dtypes, low=-2, high=2, seed=seed)
    cases += [Case((sample(rng, (4,), np.float32, -2, 2), 1.5)),
              Case((sample(rng, (4,), np.int32, -2, 2), 1))]
    for dt in FLOAT_DTYPES:
        cases.append(Case((np.array([np.nan, 1.0, np.nan, -np.inf], dt),
                           np.array([np.nan, np.nan, 1.0, -np.inf], dt))))
    return cases


for _name, _np in [("equal", np.equal), ("not_equal", np.not_equal)]:
    SPECS.append(OpSpec(_name, fn=getattr(tf.math, _name), ref=_np,
                        cases=_compare_cases(ALL_DTYPES, seed=30)))
for _name, _np in [("less", np.less), ("less_equal", np.less_equal), ("greater", np.greater),
                   ("greater_equal", np.greater_equal)]:
    SPECS.append(OpSpec(_name, fn=getattr(tf.math, _name), ref=_np,
                        cases=_compare_cases(NUMERIC, seed=31)))
for _name, _np in [("logical_and", np.logical_and), ("logical_or", np.logical_or),
                   ("logical_xor", np.logical_xor)]:
    SPECS.append(OpSpec(_name, fn=getattr(tf.math, _name), ref=_np,
                        cases=binary_cases((np.bool_,), seed=32)))
SPECS.append(OpSpec("logical_not", fn=tf.math.logical_not, ref=np.logical_not,
                    cases=unary_cases((np.bool_,), seed=33)))
for _name, _np in [("is_nan", np.isnan), ("is_finite", np.isfinite), ("is_inf", np.isinf)]:
    SPECS.append(OpSpec(_name, fn=getattr(tf.math, _name), ref=_np,
                        cases=unary_cases(FLOAT_DTYPES, seed=34) + _special_floats()))

# ----------------------------------------------------------------------------------------------
# select (tf.where with x and y) and cast
# ----------------------------------------------------------------------------------------------


def _select_cases():
    rng = _rng(40)
    shapes = [((), (), ()), ((4,), (4,), (4,)), ((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()),
              ((2, 1), (1, 3), (2, 3)), ((0,), (0,), (0,)), ((2, 3), (), ())]
    out = []
    for dt in ALL_DTYPES:
        for c, a, b in shapes:
            out.append(Case((sample(rng, c, np.bool_), sample(rng, a, dt), sample(rng, b, dt))))
    return out


def _cast_ref(x, dtype):
    dt = np.dtype(tf.as_dtype(dtype).as_numpy_dtype)
    if dt == np.bool_:
        return x != 0
    if x.dtype.kind == "f" and dt.kind in "iu":
        return np.trunc(x).astype(dt)
    return x.astype(dt)


def _cast_cases():
    rng = _rng(41)
    names = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
    out = []
    for src in ALL_DTYPES:
        for dst in names:
            # floats cast to unsigned only from non-negative values (negative ones are UB in C)
            low = 0.0 if dst == "uint8" and np.dtype(src).kind == "f" else -3.0
            out.append(Case((sample(rng, (2, 3), src, low, 3.0),), {"dtype": dst}))
    out.append(Case((np.array([-1, 255, 256, -129], np.int32),), {"dtype": "uint8"}))
    out.append(Case((np.array([2.9, -2.9, 0.5, -0.5], np.float32),), {"dtype": "int32"}))
    out.append(Case((np.array([0.0, -0.0, np.nan, 1e-30], np.float32),), {"dtype": "bool"}))
    out.append(Case((sample(rng, (0, 2), np.float32),), {"dtype": "int64"}))
    return out


SPECS += [
    OpSpec("select", fn=tf.where, ref=np.where, cases=_select_cases(), grad=True,
           grad_cases=[c for c in _select_cases()
                       if c.args[1].dtype == np.float64 and c.args[1].size]),
    OpSpec("cast", fn=tf.cast, ref=_cast_ref, cases=_cast_cases(), grad=True,
           grad_cases=[Case((sample(_rng(42), (2, 3), np.float64),), {"dtype": "float32"}),
                       Case((sample(_rng(43), (4,), np.float64),), {"dtype": tf.float32})]),
]

# ----------------------------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------------------------


def _np_axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _reduce_ref(np_fn):
    def ref(x, axis=None, keepdims=False):
        return np.asarray(np_fn(x, axis=_np_axis(axis), keepdims=keepdims, dtype=x.dtype))
    return ref


def _bool_reduce_ref(np_fn):
    def ref(x, axis=None, keepdims=False):
        return np.asarray(np_fn(x, axis=_np_axis(axis), keepdims=keepdims))
    return ref


def _mean_ref(x, axis=None, keepdims=False):
    axes = _np_axis(axis)
    total = np.sum(x.astype(np.float64), axis=axes, keepdims=keepdims)
    count = x.size // max(np.size(total), 1) if np.size(total) else 0
    if x.dtype.kind in "iu":
        return np.asarray(np.fix(total / count)).astype(x.dtype)  # C division truncates
    return np.asarray(total / count if count else np.full_like(total, np.nan)).astype(x.dtype)


def _extreme_ref(np_fn, initial):
    def ref(x, axis=None, keepdims=False):
        init = initial(x.dtype)
        return np.asarray(np_fn(x, axis=_np_axis(axis), keepdims=keepdims, initial=init))
    return ref


def _lowest(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _highest(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max


_AXES_BY_RANK = {
    0: [None],
    1: [None, 0, -1, [0]],
    2: [None, 0, 1, -1, [0, 1], [-1, 0], []],
    3: [None, 1, -2, [0, 2]],
}


def _reduce_cases(dtypes, seed, low=-3.0, high=3.0, full_dtypes=(np.float32, np.float64,
                                                                   np.int32)):
    """Every axis form on a few dtypes; axis=None only for the rest of `dtypes`."""
    rng = _rng(seed)
    out = []
    for dt in dtypes:
        for shape in [(), (5,), (2, 3), (2, 3, 4), (0,), (2, 0)]:
            axes = _AXES_BY_RANK[len(shape)] if dt in full_dtypes else [None]
            for axis in axes:
                for keepdims in (False, True):
                    out.append(Case((sample(rng, shape, dt, low, high),),
                                    {"axis": axis, "keepdims": keepdims}))
    return out


def _prod_grad_ref(x, axis):
    """Product of the other elements along `axis`, by brute force."""
    axes = tuple(a % x.ndim for a in axis) if axis is not None else tuple(range(x.ndim))
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        y = x.copy()
        y[idx] = 1
        p = np.prod(y, axis=axes, keepdims=True)
        out[idx] = p[tuple(0 if a in axes else i for a, i in enumerate(idx))]
    return out


_mean_int_cases = [
    Case((np.array([[-1, -2], [1, 2], [3, 4]], np.int32),), {"axis": 1}),
    Case((np.array([[-1, -2], [1, 2], [3, 5]], np.int64),), {"axis": 0, "keepdims": True}),
    Case((np.array([7, 8], np.int8),), {}),
]

_prod_with_zeros = [
    Case((np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.0, 2.0, -1.0]]),), {"axis": 1}),
    Case((np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]]),), {"axis": None}),
    Case((np.array([[0.5, 2.0, 3.0], [1.5, -1.0, 0.0]]),), {"axis": [0]}),
]

SPECS += [
    OpSpec("reduce_sum", fn=tf.reduce_sum, ref=_reduce_ref(np.sum),
           cases=_reduce_cases(NUMERIC, seed=50), covers=("reduce_sum", "broadcast_like"),
           grad=True, rtol=1e-5),
    OpSpec("reduce_mean", fn=tf.reduce_mean, ref=_mean_ref,
           # integer means of empty tensors divide by zero in TF: not a defined result
           cases=[c for c in _reduce_cases(NUMERIC, seed=51)
                  if c.args[0].size or c.args[0].dtype.kind == "f"] + _mean_int_cases,
           grad=True, rtol=1e-5),
    OpSpec("reduce_max", fn=tf.reduce_max, ref=_extreme_ref(np.max, _lowest),
           cases=_reduce_cases(NUMERIC, seed=52), grad=True),
    OpSpec("reduce_min", fn=tf.reduce_min, ref=_extreme_ref(np.min, _highest),
           cases=_reduce_cases(NUMERIC, seed=53), grad=True),
    OpSpec("reduce_prod", fn=tf.reduce_prod, ref=_reduce_ref(np.prod),
           cases=_reduce_cases(NUMERIC, seed=54, low=-2.0, high=2.0) + _prod_with_zeros,
           covers=("reduce_prod", "reduce_prod_grad"), grad=True, rtol=1e-5),
    OpSpec("reduce_prod_grad",
           fn=lambda x, axis: apply(math_ops._prod_grad, x, axis=axis), ref=_prod_grad_ref,
           cases=[Case((sample(_rng(55), (2, 3), dt),), {"axis": ax})
                  for dt in (np.float32, np.float64, np.int32) for ax in [None, (0,), (1,), (-1,)]]
           + [Case((np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]]),), {"axis": (1,)}),
              Case((np.zeros((0, 2)),), {"axis": (0,)})]),
    OpSpec("reduce_any", fn=tf.reduce_any, ref=_bool_reduce_ref(np.any),
           cases=_reduce_cases((np.bool_,), seed=56, full_dtypes=(np.bool_,))),
    OpSpec("reduce_all", fn=tf.reduce_all, ref=_bool_reduce_ref(np.all),
           cases=_reduce_cases((np.bool_,), seed=57, full_dtypes=(np.bool_,))),
]

# ----------------------------------------------------------------------------------------------
# argmax / argmin, cumsum
# ----------------------------------------------------------------------------------------------


def _arg_ref(np_fn):
    def ref(x, axis=None, output_type=tf.int64):
        return np_fn(x, axis=0 if axis is None else axis).astype(
            tf.as_dtype(output_type).as_numpy_dtype)
    return ref


def _arg_cases(seed):
    rng = _rng(seed)
    out = []
    for dt in NUMERIC:
        for shape in [(5,), (2, 3), (2, 3, 4)]:
            n = int(np.prod(shape))
            # distinct values: TF does not promise which index wins a tie
            vals = (rng.permutation(n) - (0 if np.dtype(dt).kind == "u" else n // 2))
            x = vals.reshape(shape).astype(dt)
            for axis in [None, 0, -1] + ([1] if len(shape) > 1 else []):
                out.append(Case((x,), {"axis": axis}))
    out.append(Case((np.array([[1.0, 5.0], [7.0, -2.0]], np.float32),),
                    {"axis": 1, "output_type": tf.int32}))
    return out


def _cumsum_ref(x, axis=0, exclusive=False, reverse=False):
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive and out.shape[axis]:
        head = np.zeros_like(np.take(out, [0], axis=axis))
        out = np.concatenate([head, np.take(out, np.arange(out.shape[axis] - 1), axis=axis)],
                             axis=axis)
    return np.flip(out, axis) if reverse else out


def _cumsum_cases():
    rng = _rng(60)
    out = []
    for dt in NUMERIC:
        for shape in [(5,), (2, 3), (2, 3, 4), (0,)]:
            axes = [0, -1] + ([1] if len(shape) > 1 else [])
            for axis in axes if dt in (np.float64, np.int32) else [0]:
                for exclusive in (False, True):
                    for reverse in (False, True):
                        out.append(Case((sample(rng, shape, dt),),
                                        {"axis": axis, "exclusive": exclusive,
                                         "reverse": reverse}))
    return out


SPECS += [
    OpSpec("argmax", fn=tf.argmax, ref=_arg_ref(np.argmax), cases=_arg_cases(70)),
    OpSpec("argmin", fn=tf.argmin, ref=_arg_ref(np.argmin), cases=_arg_cases(71)),
    OpSpec("cumsum", fn=tf.cumsum, ref=_cumsum_ref, cases=_cumsum_cases(), grad=True,
           rtol=1e-5),
]

# ----------------------------------------------------------------------------------------------
# matmul
# ----------------------------------------------------------------------------------------------


def _matmul_ref(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if transpose_a or adjoint_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _matmul_cases():
    rng = _rng(80)
    layouts = [  # (shape a, shape b, kwargs)
        ((2, 3), (3, 4), {}),
        ((3, 2), (3, 4), {"transpose_a": True}),
        ((2, 3), (4, 3), {"transpose_b": True}),
        ((3, 2), (4, 3), {"transpose_a": True, "transpose_b": True}),
        ((3, 2), (3, 4), {"adjoint_a": True}),
        ((2, 2, 3), (3, 4), {}),            # batch x matrix
        ((2, 2, 3), (2, 3, 2), {}),         # batch x batch
        ((1, 2, 3), (4, 3, 2), {}),         # batch dims broadcast
        ((2, 1, 2, 3), (3, 4, 3), {"transpose_b": True}),
        ((1, 1), (1, 1), {}),
        ((2, 0), (0, 3), {}),               # empty contraction: zeros
        ((0, 3), (3, 2), {}),
    ]
    out = []
    for dt in (np.float16, np.float32, np.float64, np.int32, np.int64):
        for sa, sb, kw in layouts:
            out.append(Case((sample(rng, sa, dt), sample(rng, sb, dt)), dict(kw)))
    return out


SPECS += [
    OpSpec("matmul", fn=tf.matmul, ref=_matmul_ref, cases=_matmul_cases(), grad=True,
           rtol=1e-5, atol=1e-5),
]

# ----------------------------------------------------------------------------------------------
# broadcasting helpers (ops of their own, reached by gradients of broadcasting ops)
# ----------------------------------------------------------------------------------------------


def _sum_to_ref(g, like):
    lead = g.ndim - like.ndim
    s = np.sum(g, axis=tuple(range(lead)), dtype=g.dtype) if lead else g
    axes = tuple(i for i, d in enumerate(like.shape) if d == 1 and s.shape[i] != 1)
    return np.asarray(np.sum(s, axis=axes, keepdims=True, dtype=g.dtype) if axes else s)


def _broadcast_like_ref(x, like):
    return np.broadcast_to(x, np.broadcast_shapes(x.shape, like.shape))


def _pair_cases(pairs, dtypes, seed):
    rng = _rng(seed)
    return [Case((sample(rng, a, dt), sample(rng, b, dt))) for dt in dtypes for a, b in pairs]


SPECS += [
    OpSpec("sum_to", fn=lambda g, like: apply(math_ops._sum_to, g, like), ref=_sum_to_ref,
           cases=_pair_cases([((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((2, 3), ()),
                              ((4,), (4,)), ((2, 3, 4), (3, 1)), ((2, 0), (1, 0))],
                             (np.float32, np.float64, np.int32), seed=90),
           grad=True, grad_args=(0,), rtol=1e-5),
    OpSpec("broadcast_like", fn=lambda x, like: apply(math_ops._broadcast_like, x, like),
           ref=_broadcast_like_ref,
           cases=_pair_cases([((3,), (2, 3)), ((2, 1), (1, 3)), ((), (2, 2)), ((3,), (3,)),
                              ((1,), (0,))], (np.float32, np.float64, np.int32, np.bool_),
                             seed=91),
           grad=True, grad_args=(0,)),
]
