"""Math OpDefs: elementwise arithmetic, comparisons, logic, casts, reductions, cumsum, matmul.

Each op: an OpDef (type rule, NumPy kernel, VJP, effects) and the public TF function(s) using it.
VJPs use the public functions, so they run eagerly and trace into graphs alike.
"""
import math

import numpy as np

from .. import dtypes
from ..ir.types import TensorType
from ..tensor import EagerTensor, scalar_operand
from ..tracing import context as _context
from ..tensor_shape import TensorShape
from . import op_docs, type_rules as tr
from ._args import match_dtypes, static_axis, static_ints, to_tensor
from ..errors import InvalidArgumentError, UnimplementedError
from ..runtime import serial_gemm as _serial_gemm
from .opdef import apply, defop

_LOCAL = _context._local

# ----------------------------------------------------------------------------------------------
# broadcasting helpers (ops of their own, so shapes unknown until run time work in graphs)
# ----------------------------------------------------------------------------------------------


def _sum_to_kernel(g, like):
    return sum_to_shape(g, like.shape)


def sum_to_shape(g, shape):
    """Sum `g` over the axes along which an array of `shape` was broadcast to g's shape."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape)
                                      if d == 1 and g.shape[i + lead] != 1)
    out = g.sum(axis=axes, keepdims=True) if axes else g
    return out.reshape(shape)


def _sum_to_infer(in_types):
    g, like = in_types
    return TensorType(g.dtype, like.shape)


_sum_to = defop("sum_to", _sum_to_infer, _sum_to_kernel,
                vjp=lambda c, g: (broadcast_like(g, c.inputs[0]), None),
                doc="Reduce input 0 to the shape of input 1 (inverse of broadcasting).",
                speculatable=True)


def _broadcast_like_infer(in_types):
    x, like = in_types
    return TensorType(x.dtype, tr.broadcast_shapes("broadcast_like", x.shape, like.shape))


_broadcast_like = defop(
    "broadcast_like", _broadcast_like_infer,
    lambda x, like: np.broadcast_to(x, np.broadcast_shapes(x.shape, like.shape)),
    vjp=lambda c, g: (unbroadcast(g, c.inputs[0]), None),
    doc="Broadcast input 0 against the shape of input 1.", speculatable=True)


def unbroadcast(g, x):
    """The gradient `g` (of a broadcast result) reduced to `x`'s shape; no op when they match."""
    if type(g) is EagerTensor and type(x) is EagerTensor:
        if g._value.shape == x._value.shape:
            return g
    elif g.shape.is_fully_defined() and g.shape == x.shape:
        return g
    return apply(_sum_to, g, x)


def broadcast_like(x, like):
    if type(x) is EagerTensor and type(like) is EagerTensor:
        if x._value.shape == like._value.shape:
            return x
    elif x.shape.is_fully_defined() and x.shape == like.shape:
        return x
    return apply(_broadcast_like, x, like)


# ----------------------------------------------------------------------------------------------
# elementwise binary arithmetic
# ----------------------------------------------------------------------------------------------


def _shape_checked(infer, kernel):
    """`kernel`, re-running the type rule `infer` on the actual shapes when NumPy refuses them:
    a trace with unknown dims leaves the shape check to run time (the interpreter, host kernels),
    where it must raise eager's InvalidArgumentError, not NumPy's ValueError."""
    def run(*arrays, **attrs):
        try:
            return kernel(*arrays, **attrs)
        except InvalidArgumentError:
            raise
        except ValueError:
            infer([TensorType(dtypes.as_dtype(np.asarray(a).dtype), TensorShape(np.shape(a)))
                   for a in arrays], **attrs)
            raise
    run.__name__ = getattr(kernel, "__name__", "kernel")
    run.without_shape_check = kernel   # (OpDef.checked_kernel: for shapes the rule accepted)
    return run


def _binary(name, kernel, vjp=None, allowed=tr.NUMERIC, out_dtype=None, **kw):
    infer = tr.make_elementwise(name, allowed, out_dtype)
    return defop(name, infer, _shape_checked(infer, kernel), vjp=vjp, elementwise=True, **kw)


def _check_int_div(x, y):
    # as TF, only a division actually performed fails: an empty result divides nothing (when
    # the result is not empty, broadcasting uses every element of y)
    if y.dtype.kind in "iu" and not np.all(y) and 0 not in np.broadcast_shapes(x.shape, y.shape):
        raise InvalidArgumentError("Integer division by zero")


def _floordiv_kernel(x, y):
    _check_int_div(x, y)
    return np.floor_divide(x, y)


def _floormod_kernel(x, y):
    if x.dtype.kind in "iu":
        _check_int_div(x, y)
        return np.mod(x, y)
    r = np.fmod(x, y)  # TF keeps the sign of fmod's zero (-3 % 3 == -0.0)
    adjust = (r != 0) & ((r < 0) != (y < 0))
    return np.where(adjust, r + y, r)


def _div_kernel(x, y):
    if x.dtype.kind in "iu":
        _check_int_div(x, y)
        # C-style integer division (truncation toward zero), as TF's Div on integers
        with np.errstate(over="ignore"):  # INT_MIN // -1 wraps, as in the compiled code
            q = x // y  # floor, stepped up where it rounded a negative quotient down (no abs():
            return np.where((x % y != 0) & ((x < 0) != (y < 0)), q + 1, q)  # INT_MIN overflows)
    return np.true_divide(x, y)


def _pow_kernel(x, y):
    if x.dtype.kind in "iu" and np.any(y < 0):
        raise InvalidArgumentError("Integers to negative integer powers are not allowed")
    if x.dtype.kind == "f" and np.size(y) == 1:
        # NumPy computes x ** 0.5 as sqrt(x) when the exponent is one value (sqrt(-inf) is nan,
        # C's pow(-inf, 0.5) is inf, as in TF and the compiled code): a full exponent array
        if x.ndim == 0 and np.ndim(y) == 0:   # (scalars: the same, without broadcast_shapes)
            return np.power(x.reshape(1), np.reshape(y, 1)).reshape(())
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        return np.power(x, np.full(shape or (1,), y, np.result_type(y))).reshape(shape)
    return np.power(x, y)


def _add_vjp(c, g):
    x, y = c.inputs
    return unbroadcast(g, x), unbroadcast(g, y)


def _sub_vjp(c, g):
    x, y = c.inputs
    return unbroadcast(g, x), unbroadcast(negative(g), y)


def _mul_vjp(c, g):
    x, y = c.inputs
    return unbroadcast(multiply(g, y), x), unbroadcast(multiply(g, x), y)


def _div_vjp(c, g):
    x, y = c.inputs
    gx = unbroadcast(divide_(g, y), x) if 0 not in c.skip_input_indices else None
    if 1 in c.skip_input_indices:   # (a divisor no tape asks about: `x / n`)
        return gx, None
    gy = negative(multiply(g, divide_(divide_(x, y), y)))
    return gx, unbroadcast(gy, y)


def _pow_vjp(c, g):
    x, y = c.inputs
    out = c.outputs[0]
    gx = multiply(g, multiply(y, pow(x, subtract(y, 1))))
    positive = greater(x, 0)
    safe_x = where(positive, x, ones_like_(x))
    gy = multiply(g, where(positive, multiply(out, log(safe_x)), zeros_like_(out)))
    return unbroadcast(gx, x), unbroadcast(gy, y)


def _maxmin_vjp(pick_x):
    def vjp(c, g):
        x, y = c.inputs
        mask = pick_x(x, y)
        zero = zeros_like_(g)
        return (unbroadcast(where(mask, g, zero), x), unbroadcast(where(mask, zero, g), y))
    return vjp


def _floormod_vjp(c, g):
    x, y = c.inputs
    return unbroadcast(g, x), unbroadcast(negative(multiply(g, floordiv(x, y))), y)


_add = _binary("add", np.add, _add_vjp, allowed=tr.WITH_COMPLEX + (dtypes.string,))
_sub = _binary("subtract", np.subtract, _sub_vjp, allowed=tr.WITH_COMPLEX)
_mul = _binary("multiply", np.multiply, _mul_vjp, allowed=tr.WITH_COMPLEX)
_div = _binary("divide", _div_kernel, _div_vjp, traps_on_integers=True,
               allowed=tr.WITH_COMPLEX)
_floordiv = _binary("floordiv", _floordiv_kernel, traps_on_integers=True)
_floormod = _binary("floormod", _floormod_kernel, _floormod_vjp, traps_on_integers=True)
_pow = _binary("pow", _pow_kernel, _pow_vjp, traps_on_integers=True, heavy=True,
               allowed=tr.WITH_COMPLEX)
_maximum = _binary("maximum", np.maximum, _maxmin_vjp(lambda x, y: greater_equal(x, y)))
_minimum = _binary("minimum", np.minimum, _maxmin_vjp(lambda x, y: less_equal(x, y)))


def _binary_fn(op):
    def fn(x, y, name=None):
        if type(x) is EagerTensor:   # eager `x + y`, `x + 1`: match_dtypes's cases, inline
            ty = type(y)
            if ty is EagerTensor:
                return apply(op, x, y)
            if (ty is float or ty is int) and _LOCAL.builder is None:
                return apply(op, x, scalar_operand(y, x.dtype))
        x, y = match_dtypes(x, y)
        return apply(op, x, y)
    fn.__name__ = fn.__qualname__ = op.name  # errors name the public function
    fn.__doc__ = op_docs.binary_doc(op.name)
    return fn


add = _binary_fn(_add)
subtract = _binary_fn(_sub)
multiply = _binary_fn(_mul)


def divide_(x, y):
    """Division in the inputs' own dtype (TF's `div`: floats divide, integers truncate)."""
    x, y = match_dtypes(x, y)
    return apply(_div, x, y)


_TRUEDIV_FLOAT = {"int8": dtypes.float32, "int16": dtypes.float32, "uint8": dtypes.float32,
                  "int32": dtypes.float64, "int64": dtypes.float64}


def truediv(x, y, name=None):
    """Python 3 division: integers are cast to float first (int32 -> float64, as TF).

    >>> tf.truediv([1, 2], 4).numpy()
    array([0.25, 0.5 ])
    >>> (tf.constant([1.0]) / 4).numpy()
    array([0.25], dtype=float32)
    """
    x, y = match_dtypes(x, y)
    target = _TRUEDIV_FLOAT.get(x.dtype.name)
    if target is not None:
        if y.dtype is not x.dtype:
            tr.same_dtype("truediv", [x.type, y.type])
        x, y = cast(x, target), cast(y, target)
    return apply(_div, x, y)


def divide(x, y, name=None):
    """Computes Python-style division of `x` by `y` (integers give float64, as TF).

    >>> tf.divide(tf.constant([6.0]), tf.constant([4.0])).numpy()
    array([1.5], dtype=float32)
    """
    return truediv(x, y)


def floordiv(x, y, name=None):
    """Divides `x / y` elementwise, rounding toward the most negative integer.

    >>> tf.math.floordiv(tf.constant([7, -7]), 2).numpy()
    array([ 3, -4], dtype=int32)
    """
    x, y = match_dtypes(x, y)
    if x.dtype.is_floating:
        return floor(divide_(x, y))
    return apply(_floordiv, x, y)


floormod = _binary_fn(_floormod)
mod = floormod
pow = _binary_fn(_pow)  # noqa: A001 - TF's name
maximum = _binary_fn(_maximum)
minimum = _binary_fn(_minimum)


def squared_difference(x, y, name=None):
    """Returns `(x - y)(x - y)` elementwise.

    >>> tf.math.squared_difference(tf.constant([1.0, 4.0]), 2.0).numpy()
    array([1., 4.], dtype=float32)
    """
    d = subtract(x, y)
    return multiply(d, d)


def divide_no_nan(x, y, name=None):
    """Computes `x / y`, returning 0 where `y` is zero.

    >>> tf.math.divide_no_nan(tf.constant([1.0, 2.0]), tf.constant([0.0, 4.0])).numpy()
    array([0. , 0.5], dtype=float32)
    """
    x, y = match_dtypes(x, y)
    if (x.dtype.is_floating and type(x) is EagerTensor and type(y) is EagerTensor
            and _context.current_builder() is None and np.all(y._value != 0)):
        return truediv(x, y)  # eager, no zero divisor: the same values and gradients, one op
    zero = zeros_like_(y)
    safe = where(equal(y, zero), ones_like_(y), y)
    return where(equal(y, zero), zeros_like_(divide_(x, safe)), truediv(x, safe))


def add_n(inputs, name=None):
    """Returns the elementwise sum of a list of tensors of one shape and dtype.

    >>> tf.add_n([tf.constant([1, 2]), tf.constant([3, 4])]).numpy()
    array([4, 6], dtype=int32)
    """
    try:
        inputs = list(inputs)
    except TypeError:
        inputs = []
    if not inputs:
        raise ValueError("add_n: inputs must be a list of at least one tensor, all of one dtype "
                         "and shape")
    out = to_tensor(inputs[0])
    for t in inputs[1:]:
        out = add(out, t)
    return out


# ----------------------------------------------------------------------------------------------
# elementwise unary
# ----------------------------------------------------------------------------------------------


def _unary(name, kernel, vjp=None, allowed=tr.NUMERIC, **kw):
    return defop(name, tr.make_elementwise(name, allowed), kernel, vjp=vjp, elementwise=True,
                 **kw)


def _sigmoid_kernel(x):
    # exp of a non-positive number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _out(c):
    return c.outputs[0]


def _x(c):
    return c.inputs[0]


_neg = _unary("negative", np.negative, lambda c, g: negative(g), allowed=tr.WITH_COMPLEX)
_abs = _unary("abs", np.abs, lambda c, g: multiply(g, sign(_x(c))))
_sign = _unary("sign", np.sign, lambda c, g: zeros_like_(g))
_square = _unary("square", np.square, lambda c, g: multiply(g, multiply(_x(c), 2)),
                 allowed=tr.WITH_COMPLEX)
_sqrt = _unary("sqrt", np.sqrt, lambda c, g: divide_(g, multiply(_out(c), 2)),
               allowed=tr.FLOATS_COMPLEX)
_rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x),
                lambda c, g: multiply(g, multiply(pow(_out(c), 3), -0.5)), allowed=tr.FLOATS)
_exp = _unary("exp", np.exp, lambda c, g: multiply(g, _out(c)), allowed=tr.FLOATS_COMPLEX,
              heavy=True)
_log = _unary("log", np.log, lambda c, g: divide_(g, _x(c)), allowed=tr.FLOATS_COMPLEX,
              heavy=True)
_log1p = _unary("log1p", np.log1p, lambda c, g: divide_(g, add(_x(c), 1)), allowed=tr.FLOATS,
                heavy=True)
_expm1 = _unary("expm1", np.expm1, lambda c, g: multiply(g, add(_out(c), 1)), allowed=tr.FLOATS,
                heavy=True)
_sin = _unary("sin", np.sin, lambda c, g: multiply(g, cos(_x(c))), allowed=tr.FLOATS, heavy=True)
_cos = _unary("cos", np.cos, lambda c, g: negative(multiply(g, sin(_x(c)))), allowed=tr.FLOATS,
              heavy=True)
_tanh = _unary("tanh", np.tanh,
               lambda c, g: multiply(g, subtract(1, square(_out(c)))), allowed=tr.FLOATS,
               heavy=True)
_sigmoid = _unary("sigmoid", _sigmoid_kernel,
                  lambda c, g: multiply(g, multiply(_out(c), subtract(1, _out(c)))),
                  allowed=tr.FLOATS, heavy=True)
_reciprocal = _unary("reciprocal", lambda x: 1 / x,
                     lambda c, g: negative(multiply(g, square(_out(c)))),
                     allowed=tr.FLOATS_COMPLEX)
_round = _unary("round", np.round, lambda c, g: None)  # half to even, as TF
_floor = _unary("floor", np.floor, lambda c, g: None, allowed=tr.FLOATS)
_ceil = _unary("ceil", np.ceil, lambda c, g: None, allowed=tr.FLOATS)


def _erf_kernel(x):
    # Abramowitz-Stegun 7.1.26 is too coarse; use math.erf elementwise (exact to 1 ulp).
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


_erf = _unary("erf", _erf_kernel,
              lambda c, g: multiply(g, multiply(exp(negative(square(_x(c)))),
                                                2 / np.sqrt(np.pi))), allowed=tr.FLOATS, heavy=True)


def _unary_fn(op):
    def fn(x, name=None):
        return apply(op, to_tensor(x))
    fn.__name__ = fn.__qualname__ = op.name  # errors name the public function
    fn.__doc__ = op_docs.unary_doc(op.name)
    return fn


def _complex_abs_infer(in_types):
    x = in_types[0]
    tr.check_dtype("complex_abs", x, tr.COMPLEX)
    return TensorType(x.dtype.real_dtype, x.shape)


_complex_abs = defop("complex_abs", _complex_abs_infer, np.abs, elementwise=True)
_abs_real = _unary_fn(_abs)


def abs(x, name=None):  # noqa: A001 - TF's name
    """Computes the absolute value of a tensor (the magnitude, as a float, for complex input).

    >>> tf.abs(tf.constant([-1.5, 2.0])).numpy()
    array([1.5, 2. ], dtype=float32)
    >>> float(tf.abs(tf.constant(3 + 4j)))
    5.0
    """
    x = to_tensor(x)
    if x.dtype.is_complex:
        return apply(_complex_abs, x)
    return apply(_abs, x)


negative = _unary_fn(_neg)
sign = _unary_fn(_sign)
square = _unary_fn(_square)
sqrt = _unary_fn(_sqrt)
rsqrt = _unary_fn(_rsqrt)
exp = _unary_fn(_exp)
log = _unary_fn(_log)
log1p = _unary_fn(_log1p)
expm1 = _unary_fn(_expm1)
sin = _unary_fn(_sin)
cos = _unary_fn(_cos)
tanh = _unary_fn(_tanh)
sigmoid = _unary_fn(_sigmoid)
reciprocal = _unary_fn(_reciprocal)
floor = _unary_fn(_floor)
ceil = _unary_fn(_ceil)
erf = _unary_fn(_erf)


def round(x, name=None):  # noqa: A001
    """Rounds to the nearest integer, halves to even (banker's rounding, as TF).

    >>> tf.round(tf.constant([0.5, 1.5, 2.4])).numpy()
    array([0., 2., 2.], dtype=float32)
    """
    x = to_tensor(x)
    return x if x.dtype.is_integer else apply(_round, x)


def log_sigmoid(x, name=None):
    """Computes `log(sigmoid(x))` elementwise, stably for large |x|.

    >>> round(float(tf.math.log_sigmoid(tf.constant(0.0))), 4)
    -0.6931
    """
    x = to_tensor(x)
    return negative(softplus_(negative(x)))


def softplus_(x):
    from . import nn_ops
    return nn_ops.softplus(x)


# ----------------------------------------------------------------------------------------------
# comparisons and logic
# ----------------------------------------------------------------------------------------------


def _compare(name, kernel, allowed=tr.ALL):
    return _binary(name, kernel, allowed=allowed, out_dtype=dtypes.bool)


_equal = _compare("equal", np.equal, tr.COMPARABLE_FOR_EQUALITY)
_not_equal = _compare("not_equal", np.not_equal, tr.COMPARABLE_FOR_EQUALITY)
_less = _compare("less", np.less)
_less_equal = _compare("less_equal", np.less_equal)
_greater = _compare("greater", np.greater)
_greater_equal = _compare("greater_equal", np.greater_equal)
_logical_and = _binary("logical_and", np.logical_and, allowed=(dtypes.bool,))
_logical_or = _binary("logical_or", np.logical_or, allowed=(dtypes.bool,))
_logical_xor = _binary("logical_xor", np.logical_xor, allowed=(dtypes.bool,))
_logical_not = _unary("logical_not", np.logical_not, allowed=(dtypes.bool,))
_is_nan = defop("is_nan", tr.make_elementwise("is_nan", tr.FLOATS, dtypes.bool), np.isnan,
                elementwise=True)
_is_finite = defop("is_finite", tr.make_elementwise("is_finite", tr.FLOATS, dtypes.bool),
                   np.isfinite, elementwise=True)
_is_inf = defop("is_inf", tr.make_elementwise("is_inf", tr.FLOATS, dtypes.bool), np.isinf,
                elementwise=True)


equal = _binary_fn(_equal)
not_equal = _binary_fn(_not_equal)
less = _binary_fn(_less)
less_equal = _binary_fn(_less_equal)
greater = _binary_fn(_greater)
greater_equal = _binary_fn(_greater_equal)
logical_and = _binary_fn(_logical_and)
logical_or = _binary_fn(_logical_or)
logical_xor = _binary_fn(_logical_xor)
logical_not = _unary_fn(_logical_not)
is_nan = _unary_fn(_is_nan)
is_finite = _unary_fn(_is_finite)
is_inf = _unary_fn(_is_inf)


# ----------------------------------------------------------------------------------------------
# select (tf.where with x and y) and cast
# ----------------------------------------------------------------------------------------------


def _select_infer(in_types):
    c, x, y = in_types
    if c.dtype is not dtypes.bool:
        raise InvalidArgumentError(f"tf.where: condition must be a bool tensor, got "
                                   f"{c.dtype.name} [Op:select]", "select")
    dt = tr.same_dtype("select", [x, y])
    return TensorType(dt, tr.broadcast_shapes("select", c.shape, x.shape, y.shape))


def _select_vjp(c, g):
    cond, x, y = c.inputs
    zero = zeros_like_(g)
    return None, unbroadcast(where(cond, g, zero), x), unbroadcast(where(cond, zero, g), y)


_select = defop("select", _select_infer, np.where, vjp=_select_vjp, elementwise=True)


def where(condition, x=None, y=None, name=None):
    """tf.where: elementwise select with broadcasting, or the indices of true elements.

    >>> tf.where([True, False, True], [1, 2, 3], [10, 20, 30]).numpy()
    array([ 1, 20,  3], dtype=int32)
    >>> tf.where([[False, True], [True, False]]).numpy()
    array([[0, 1],
           [1, 0]])
    """
    if x is None and y is None:
        from . import array_ops
        return array_ops.where_indices(condition)
    if x is None or y is None:
        raise ValueError("tf.where: x and y must both be given, or neither")
    condition = to_tensor(condition, dtype=dtypes.bool) if not hasattr(condition, "dtype") \
        else to_tensor(condition)
    x, y = match_dtypes(x, y)
    return apply(_select, condition, x, y)


def _cast_infer(in_types, dtype):
    src = in_types[0].dtype
    if (src.name == "string") != (dtype.name == "string"):
        raise UnimplementedError(f"Cast {src.name} to {dtype.name} is not supported. Fix: use "
                                 "tf.strings.to_number / tf.strings.as_string.", "cast")
    return TensorType(dtype, in_types[0].shape)


def _cast_kernel(x, dtype):
    if x.dtype.kind == "c" and not dtype.is_complex:
        x = x.real  # as TF: the imaginary part is discarded
    if dtype.is_integer and x.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(dtype.np_dtype)
    return x.astype(dtype.np_dtype)


def _cast_vjp(c, g):
    x = c.inputs[0]
    return cast(g, x.dtype) if x.dtype.is_floating and g.dtype.is_floating else None


_cast = defop("cast", _cast_infer, _cast_kernel, vjp=_cast_vjp, elementwise=True)


def _dtype_arg(dtype, op):
    try:
        return dtypes.as_dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: dtype must be a tf.DType (e.g. tf.float32) or its name, got "
                        f"{dtype!r}") from None


def cast(x, dtype, name=None):
    """Casts a tensor to a new dtype (floats to ints truncate toward zero).

    >>> tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy()
    array([ 1, -1], dtype=int32)
    """
    dtype = _dtype_arg(dtype, "cast")
    x = to_tensor(x)
    if x.dtype is dtype:
        return x
    return apply(_cast, x, dtype=dtype)


def saturate_cast(value, dtype, name=None):
    """Casts to `dtype`, clamping values to the target type's range first.

    >>> tf.saturate_cast(tf.constant([300.0, -5.0]), tf.uint8).numpy()
    array([255,   0], dtype=uint8)
    """
    dtype = _dtype_arg(dtype, "saturate_cast")
    value = to_tensor(value)
    if dtype.is_integer or dtype.is_floating:
        lo, hi = dtype.min, dtype.max
        if value.dtype.is_floating or value.dtype.max > hi:
            value = clip_by_value(value, max(lo, value.dtype.min), min(hi, value.dtype.max))
    return cast(value, dtype)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips tensor values to the range [`clip_value_min`, `clip_value_max`].

    >>> tf.clip_by_value(tf.constant([-2.0, 0.5, 3.0]), -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    t = to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max)


def zeros_like_(x):
    from . import array_ops
    return array_ops.zeros_like(x)


def ones_like_(x):
    from . import array_ops
    return array_ops.ones_like(x)


# ----------------------------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------------------------


def _reduce_infer(name, allowed, out_dtype=None):
    def infer(in_types, axis, keepdims):
        x = in_types[0]
        tr.check_dtype(name, x, allowed)
        axes = tr.normalize_axes(name, axis, x.shape.rank)
        return TensorType(out_dtype or x.dtype, tr.reduced_shape(x.shape, axes, keepdims))
    return infer


def _np_axes(x, axis):
    if axis is None:
        return None
    return tuple(a % x.ndim for a in axis) if x.ndim else None


def _expand_reduced(g, x, axis, keepdims):
    """Reshape a reduction's gradient to broadcast against its input."""
    from . import array_ops
    if not keepdims:
        rank = x.shape.rank
        if rank is None:  # the reduced axes as 1s in x's run-time shape
            if axis is None:
                return broadcast_like(g, x)  # (g is a scalar)
            dims = array_ops.shape(x)
            n = array_ops.rank(x)
            hit = equal(array_ops.reshape(array_ops.range(n), [-1, 1]),
                        array_ops.reshape(floormod(array_ops.constant(list(axis), dtype="int32"),
                                                   n), [1, -1]))
            kept = where(reduce_any(hit, axis=1), array_ops.ones_like(dims), dims)
            return broadcast_like(array_ops.reshape(g, kept), x)
        axes = range(rank) if axis is None else sorted(a % rank for a in axis) if rank else ()
        for a in axes:
            g = array_ops.expand_dims(g, a)
    return broadcast_like(g, x)


def _sum_vjp(c, g):
    return _expand_reduced(g, c.inputs[0], c.attrs["axis"], c.attrs["keepdims"])


def _mean_vjp(c, g):
    x, out = c.inputs[0], c.outputs[0]
    if x.shape.is_fully_defined() and out.shape.is_fully_defined():
        n_in, n_out = x.shape.num_elements(), out.shape.num_elements()
        g = multiply(g, n_out / n_in if n_in else 0.0)
    else:
        from . import array_ops
        # the same factor as the static path, n_out / n_in, computed in float64: an integer
        # n_in // n_out divides by zero when the result is empty
        n_in = cast(array_ops.size(x), "float64")
        ratio = divide_(cast(array_ops.size(out), "float64"), maximum(n_in, 1.0))
        g = multiply(g, cast(ratio, g.dtype))
    return _expand_reduced(g, x, c.attrs["axis"], c.attrs["keepdims"])


def _extreme_vjp(c, g):
    x, out = c.inputs[0], c.outputs[0]
    axis, keepdims = c.attrs["axis"], c.attrs["keepdims"]
    out_b = _expand_reduced(out, x, axis, keepdims)
    mask = cast(equal(x, out_b), g.dtype)
    ties = _expand_reduced(reduce_sum(mask, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return multiply(divide_(mask, ties), _expand_reduced(g, x, axis, keepdims))


def _prod_grad_kernel(x, axis):
    """d prod / d x_i = product of all other elements on the reduced axes (zeros handled)."""
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    if not axes or x.size == 0:
        return np.ones_like(x)
    keep = [i for i in range(x.ndim) if i not in axes]
    perm = keep + list(axes)
    xt = np.transpose(x, perm)
    flat = xt.reshape(xt.shape[:len(keep)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    others = (left * right).reshape(xt.shape)
    return np.transpose(others, np.argsort(perm))


_prod_grad = defop("reduce_prod_grad", lambda in_types, axis: in_types[0], _prod_grad_kernel,
                   doc="Product of the other elements along the reduced axes.")


def _prod_vjp(c, g):
    x = c.inputs[0]
    others = apply(_prod_grad, x, axis=c.attrs["axis"])
    return multiply(others, _expand_reduced(g, x, c.attrs["axis"], c.attrs["keepdims"]))


def _reduce_kernel(np_fn, **extra):
    def kernel(x, axis, keepdims):
        return np_fn(x, axis=_np_axes(x, axis), keepdims=keepdims, **extra)
    return kernel


def _extreme_kernel(np_fn, lowest):
    def kernel(x, axis, keepdims):
        init = lowest(x.dtype)
        return np_fn(x, axis=_np_axes(x, axis), keepdims=keepdims, initial=init)
    return kernel


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _highest(dt):
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


def _mean_kernel(x, axis, keepdims):
    axes = _np_axes(x, axis)
    if x.dtype.kind in "iu":
        s = np.sum(x, axis=axes, keepdims=keepdims, dtype=np.int64)
        n = x.size // max(np.size(s), 1) if x.size else 0
        if n == 0:
            return np.zeros_like(s)
        q = s // n  # floor; C's truncation toward zero rounds negative sums up (no abs():
        return np.where((s < 0) & (s - q * n != 0), q + 1, q)  # it overflows at INT64_MIN)
    return np.mean(x, axis=axes, keepdims=keepdims) if x.size else np.full(
        np.sum(x, axis=axes, keepdims=keepdims).shape, np.nan, x.dtype)


_reduce_sum = defop("reduce_sum", _reduce_infer("reduce_sum", tr.WITH_COMPLEX),
                    _reduce_kernel(np.sum), vjp=_sum_vjp, speculatable=True)
_reduce_mean = defop("reduce_mean", _reduce_infer("reduce_mean", tr.WITH_COMPLEX), _mean_kernel,
                     vjp=_mean_vjp, speculatable=True)
_reduce_max = defop("reduce_max", _reduce_infer("reduce_max", tr.NUMERIC),
                    _extreme_kernel(np.max, _lowest), vjp=_extreme_vjp, speculatable=True)
_reduce_min = defop("reduce_min", _reduce_infer("reduce_min", tr.NUMERIC),
                    _extreme_kernel(np.min, _highest), vjp=_extreme_vjp, speculatable=True)
_reduce_prod = defop("reduce_prod", _reduce_infer("reduce_prod", tr.WITH_COMPLEX),
                     _reduce_kernel(np.prod), vjp=_prod_vjp, speculatable=True)
_reduce_any = defop("reduce_any", _reduce_infer("reduce_any", (dtypes.bool,)),
                    _reduce_kernel(np.any), speculatable=True)
_reduce_all = defop("reduce_all", _reduce_infer("reduce_all", (dtypes.bool,)),
                    _reduce_kernel(np.all), speculatable=True)


def _axis_attr(axis):
    if axis is None:
        return None
    ax = static_ints(axis, "axis")
    if ax is None:
        raise TypeError("axis must be known when the function is traced (a Python int or list)")
    return (ax,) if isinstance(ax, int) else tuple(ax)


def _reduce_fn(op):
    def fn(input_tensor, axis=None, keepdims=False, name=None):
        x = to_tensor(input_tensor)
        return apply(op, x, axis=_axis_attr(axis), keepdims=bool(keepdims))
    fn.__name__ = fn.__qualname__ = op.name  # errors name the public function
    fn.__doc__ = op_docs.reduce_doc(op.name)
    return fn


reduce_sum = _reduce_fn(_reduce_sum)
reduce_mean = _reduce_fn(_reduce_mean)
reduce_max = _reduce_fn(_reduce_max)
reduce_min = _reduce_fn(_reduce_min)
reduce_prod = _reduce_fn(_reduce_prod)
reduce_any = _reduce_fn(_reduce_any)
reduce_all = _reduce_fn(_reduce_all)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """Computes `log(sum(exp(x)))` across dimensions, stably.

    >>> round(float(tf.reduce_logsumexp(tf.constant([0.0, 0.0]))), 4)
    0.6931
    """
    x = to_tensor(input_tensor)
    from .array_ops import stop_gradient
    m = stop_gradient(reduce_max(x, axis=axis, keepdims=True))
    m = where(is_finite(m), m, zeros_like_(m))
    s = log(reduce_sum(exp(subtract(x, m)), axis=axis, keepdims=True))
    out = add(s, m)
    if not keepdims:
        from . import array_ops
        axes = _axis_attr(axis)
        out = array_ops.squeeze(out, axis=list(axes) if axes is not None else None)
    return out


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Computes the variance of elements across dimensions of a tensor.

    >>> float(tf.math.reduce_variance(tf.constant([1.0, 3.0])))
    1.0
    """
    x = to_tensor(input_tensor)
    mean = reduce_mean(x, axis=axis, keepdims=True)
    return reduce_mean(square(subtract(x, mean)), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Computes the standard deviation of elements across dimensions of a tensor.

    >>> float(tf.math.reduce_std(tf.constant([1.0, 3.0])))
    1.0
    """
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


# -- argmax / argmin ---------------------------------------------------------------------------


def _arg_infer(name):
    def infer(in_types, axis, output_type):
        x = in_types[0]
        tr.check_dtype(name, x, tr.NUMERIC + (dtypes.bool,))
        if x.shape.rank == 0:
            raise InvalidArgumentError(f"{name}: input must have rank >= 1 [Op:{name}]", name)
        ax = tr.normalize_axis(name, axis, x.shape.rank)
        return TensorType(output_type, tr.reduced_shape(x.shape, (ax,), False))
    return infer


def _arg_kernel(np_fn):
    def kernel(x, axis, output_type):
        if x.shape[axis] == 0:
            raise InvalidArgumentError("Reduction axis is empty in argmax/argmin")
        return np_fn(x, axis=axis)
    return kernel


_argmax = defop("argmax", _arg_infer("argmax"), _arg_kernel(np.argmax))
_argmin = defop("argmin", _arg_infer("argmin"), _arg_kernel(np.argmin))


def argmax(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Returns the index of the largest value across an axis (int64 by default).

    >>> tf.argmax(tf.constant([[1, 5], [7, 2]]), axis=1).numpy()
    array([1, 0])
    """
    return apply(_argmax, to_tensor(input), axis=0 if axis is None else int(static_axis(axis)),
                 output_type=dtypes.as_dtype(output_type))


def argmin(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Returns the index of the smallest value across an axis (int64 by default).

    >>> tf.argmin(tf.constant([[1, 5], [7, 2]]), axis=0).numpy()
    array([0, 1])
    """
    return apply(_argmin, to_tensor(input), axis=0 if axis is None else int(static_axis(axis)),
                 output_type=dtypes.as_dtype(output_type))


# -- cumsum ------------------------------------------------------------------------------------


def _cumsum_infer(in_types, axis, exclusive, reverse):
    x = in_types[0]
    tr.check_dtype("cumsum", x, tr.NUMERIC)
    tr.normalize_axis("cumsum", axis, x.shape.rank)
    return x


def _cumsum_kernel(x, axis, exclusive, reverse):
    if x.ndim == 0 or x.shape[axis] == 0:
        return x.copy()
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive:
        out = np.roll(out, 1, axis=axis)
        idx = [slice(None)] * x.ndim
        idx[axis] = 0
        out[tuple(idx)] = 0
    if reverse:
        out = np.flip(out, axis)
    return out


_cumsum = defop("cumsum", _cumsum_infer, _cumsum_kernel,
                vjp=lambda c, g: cumsum(g, c.attrs["axis"], c.attrs["exclusive"],
                                        not c.attrs["reverse"]))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Computes the cumulative sum of `x` along `axis` (`exclusive`, `reverse` as TF).

    >>> tf.cumsum(tf.constant([1, 2, 3])).numpy()
    array([1, 3, 6], dtype=int32)
    """
    return apply(_cumsum, to_tensor(x), axis=int(static_axis(axis)), exclusive=bool(exclusive),
                 reverse=bool(reverse))


# ----------------------------------------------------------------------------------------------
# matmul
# ----------------------------------------------------------------------------------------------


def _matmul_infer(in_types, transpose_a, transpose_b):
    a, b = in_types
    dt = tr.same_dtype("matmul", in_types)
    tr.check_dtype("matmul", a, tr.NUMERIC)
    ra, rb = a.shape.rank, b.shape.rank
    if ra is None or rb is None:
        return TensorType(dt, TensorShape(None))
    if ra < 2 or rb < 2:
        raise InvalidArgumentError(
            f"In[0] and In[1] must have rank >= 2 for matmul, got shapes {a.shape} and {b.shape}."
            " Fix: reshape vectors to matrices, e.g. tf.reshape(v, [-1, 1]). [Op:matmul]",
            "matmul")
    m, ka = (a.shape[-1], a.shape[-2]) if transpose_a else (a.shape[-2], a.shape[-1])
    kb, n = (b.shape[-1], b.shape[-2]) if transpose_b else (b.shape[-2], b.shape[-1])
    if ka is not None and kb is not None and ka != kb:
        raise InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {a.shape.as_list()}, In[1]: {b.shape.as_list()}"
            f"{' (transpose_a)' if transpose_a else ''}{' (transpose_b)' if transpose_b else ''}"
            " [Op:matmul]", "matmul")
    batch = tr.broadcast_shapes("matmul", a.shape[:-2], b.shape[:-2])
    return TensorType(dt, batch.concatenate([m, n]))


def _matmul_kernel(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    if _serial_gemm.use_serial(a, b):
        # a thin product OpenBLAS would thread: one thread, as the compiled backend runs it
        # (runtime/serial_gemm.py: threads that wait on a busy machine cost 40x)
        return _serial_gemm.matmul(a, b)
    return np.matmul(a, b)


def _matmul_vjp(c, g):
    a, b = c.inputs
    ta, tb = c.attrs["transpose_a"], c.attrs["transpose_b"]
    skip = c.skip_input_indices   # (an input no tape asks about: its product is not computed)
    ga = gb = None
    if 0 not in skip:
        if not ta:
            ga = matmul(g, b) if tb else matmul(g, b, transpose_b=True)
        else:
            ga = matmul(b, g, transpose_a=True, transpose_b=True) if tb \
                else matmul(b, g, transpose_b=True)
        ga = unbroadcast(ga, a)
    if 1 not in skip:
        if not tb:
            gb = matmul(a, g, transpose_a=True) if not ta else matmul(a, g)
        else:
            gb = matmul(g, a, transpose_a=True, transpose_b=True) if ta \
                else matmul(g, a, transpose_a=True)
        gb = unbroadcast(gb, b)
    return ga, gb


_matmul = defop("matmul", _matmul_infer, _shape_checked(_matmul_infer, _matmul_kernel),
                vjp=_matmul_vjp, speculatable=True)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Multiplies matrix `a` by matrix `b` (batched over leading dims, broadcast).

    Args:
      transpose_a/transpose_b (or adjoint_a/adjoint_b): transpose the operand first.

    >>> tf.matmul(tf.ones([2, 3]), tf.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    a, b = match_dtypes(a, b)
    return apply(_matmul, a, b, transpose_a=bool(transpose_a or adjoint_a),
                 transpose_b=bool(transpose_b or adjoint_b))


def tensordot(a, b, axes, name=None):
    """Contraction over `axes` via transpose + reshape + matmul; dims unknown when traced are
    read at run time (tf.shape), as in TF. Inputs need a known rank.

    >>> a = tf.ones([2, 3])
    >>> b = tf.ones([3, 4])
    >>> tf.tensordot(a, b, axes=1).shape
    TensorShape([2, 4])
    >>> print(tf.tensordot([1.0, 2.0], [3.0, 4.0], axes=1))
    tf.Tensor(11.0, shape=(), dtype=float32)
    """
    from . import array_ops
    a, b = match_dtypes(a, b)
    if a.shape.rank is None or b.shape.rank is None:
        raise ValueError(f"tensordot: the inputs need a known rank, got shapes {a.shape} and "
                         f"{b.shape}. Fix: give the tf.function's input_signature a shape with a "
                         "known rank (None dims are fine), or tf.reshape the input.")
    if isinstance(axes, int):
        if not 0 <= axes <= min(a.shape.rank, b.shape.rank):
            raise ValueError(f"tensordot: axes must be in [0, {min(a.shape.rank, b.shape.rank)}]"
                             f" for shapes {a.shape} and {b.shape}, got {axes}")
        a_axes = list(range(a.shape.rank - axes, a.shape.rank))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = [list(x) if isinstance(x, (list, tuple)) else [x] for x in axes]
    a_axes = [x % a.shape.rank for x in a_axes]
    b_axes = [x % b.shape.rank for x in b_axes]
    a_free = [i for i in range(a.shape.rank) if i not in a_axes]
    b_free = [i for i in range(b.shape.rank) if i not in b_axes]
    sa, sb = a.shape.as_list(), b.shape.as_list()

    def dim(t, dims, i):  # a static size, else the size read at run time
        return dims[i] if dims[i] is not None else array_ops.shape(t)[i]

    if all(sa[i] is not None for i in a_axes):
        k = int(np.prod([sa[i] for i in a_axes]))
    else:
        k = reduce_prod(array_ops.stack([dim(a, sa, i) for i in a_axes]))
    at = array_ops.reshape(array_ops.transpose(a, a_free + a_axes), [-1, k])
    bt = array_ops.reshape(array_ops.transpose(b, b_axes + b_free), [k, -1])
    out = matmul(at, bt)
    return array_ops.reshape(out, [dim(a, sa, i) for i in a_free] +
                             [dim(b, sb, i) for i in b_free])
