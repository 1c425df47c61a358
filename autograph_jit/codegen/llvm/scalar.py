"""Scalar lowerings of elementwise ops: one table, op name -> function emitting one element.

Each entry is `fn(s, x_dtype, out_dtype, args, attrs) -> value` where `s` is a ScalarEmitter
(an IRBuilder plus math-function and error helpers), `args` the operands in registers (bool is
i1) and `x_dtype` the first operand's dtype. Semantics follow the NumPy kernels in
autograph_jit/ops (the reference): NaN-propagating maximum/minimum, C-truncating integer division
with a division-by-zero error, Python-style floormod, round-half-to-even, ...
"""
import numpy as np
from llvmlite import ir

from .emit import F16, F32, F64, I1, I64, reg_type

_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717

DIV_BY_ZERO = "Integer division by zero"
NEG_POW = "Integers to negative integer powers are not allowed"


def uniform_value(value):
    """The one element of a scalar or of an array that holds the same value everywhere (NaN
    included), else None (an empty array has no value)."""
    if np.ndim(value) == 0:
        return value[()] if isinstance(value, np.ndarray) else value
    a = np.asarray(value)
    if a.size == 0:
        return None
    first = a.flat[0]
    return first if np.array_equal(a, np.full_like(a, first), equal_nan=a.dtype.kind == "f") \
        else None


class ScalarEmitter:
    """Helpers for scalar code inside a Kernel: math calls, constants, error exits."""

    def __init__(self, kernel, errors, location=""):
        self.k = kernel
        self.module = kernel.fn.module
        self.errors = errors          # ErrorTable: code <- message template
        self.location = location
        self.math = None              # optional vector-math provider: name, type -> ir.Function

    @property
    def b(self):
        return self.k.b  # the kernel's current builder (a parallel chunk swaps it)

    # -- constants and functions ---------------------------------------------------------------
    def const(self, dtype, value):
        """An LLVM constant of `dtype`: `value` is a scalar or an array filled with one value."""
        value = uniform_value(value)
        if value is None:
            raise ValueError("a constant that varies by element has no scalar form")
        ty = reg_type(dtype)
        if isinstance(ty, ir.IntType):
            return ir.Constant(ty, int(value))
        return ir.Constant(ty, float(value))

    def declare(self, name, ret, args):
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
        return fn

    def intrinsic(self, name, x, *rest):
        suffix = {F16: "f16", F32: "f32", F64: "f64"}.get(x.type) or f"i{x.type.width}"
        fn = self.declare(f"llvm.{name}.{suffix}", x.type, [x.type] * (1 + len(rest)))
        return self.b.call(fn, [x, *rest])

    def libm(self, name, *args):
        """A libm call (`expf`/`exp`); half precision goes through float."""
        b = self.b
        ty = args[0].type
        if self.math is not None:
            got = self.math(self, name, args)
            if got is not None:
                return got
        if ty == F16:
            wide = [b.fpext(a, F32) for a in args]
            return b.fptrunc(self.libm(name, *wide), F16)
        cname = name + "f" if ty == F32 else name
        fn = self.declare(cname, ty, [ty] * len(args))
        return b.call(fn, list(args))

    def fail_if(self, cond, message, values=()):
        self.k.fail(cond, self.errors.code(message, self.location), values)


# err[0..3]: error code and values; err[7]: host callback address (executable.py fills it; kept
# here, beside the error table, so loading a cached lowering need not import the lowerer)
ERR_CALLBACK_SLOT = 7


class ErrorTable:
    """Error codes of one executable: code k (1-based) -> (message, location)."""

    def __init__(self):
        self.entries = []
        self._index = {}

    def code(self, message, location=""):
        key = (message, location)
        if key not in self._index:
            self.entries.append(key)
            self._index[key] = len(self.entries)
        return self._index[key]


def _kind(dt):
    if dt.is_floating:
        return "f"
    if dt.name == "bool" or dt.is_unsigned:
        return "u"
    return "i"


def _arith(fop, iop):
    def fn(s, dt, out, args, attrs):
        return getattr(s.b, fop if dt.is_floating else iop)(*args)
    return fn


def _int_div_guard(s, x, y):
    zero = ir.Constant(y.type, 0)
    s.fail_if(s.b.icmp_signed("==", y, zero), DIV_BY_ZERO)


def _divide(s, dt, out, args, attrs):
    b = s.b
    x, y = args
    if dt.is_floating:
        return b.fdiv(x, y)
    _int_div_guard(s, x, y)
    if dt.is_unsigned:
        return b.udiv(x, y)
    minus1 = b.icmp_signed("==", y, ir.Constant(y.type, -1))
    safe_y = b.select(minus1, ir.Constant(y.type, 1), y)  # INT_MIN / -1 traps in hardware
    return b.select(minus1, b.neg(x), b.sdiv(x, safe_y))


def _floordiv(s, dt, out, args, attrs):
    b = s.b
    x, y = args
    if dt.is_floating:
        return s.intrinsic("floor", b.fdiv(x, y))
    _int_div_guard(s, x, y)
    if dt.is_unsigned:
        return b.udiv(x, y)
    safe_y, minus1, r, adjust = _signed_floor_parts(b, x, y)
    q = b.sdiv(x, safe_y)
    q = b.select(adjust, b.sub(q, ir.Constant(q.type, 1)), q)
    return b.select(minus1, b.neg(x), q)


def _signed_floor_parts(b, x, y):
    """For signed x // y and x % y with Python's floor semantics: y with -1 replaced by 1 (sdiv
    and srem of INT_MIN by -1 trap), whether y is -1, the truncated remainder, and whether the
    truncated result needs the floor adjustment (remainder nonzero, signs of r and y differ)."""
    zero = ir.Constant(y.type, 0)
    minus1 = b.icmp_signed("==", y, ir.Constant(y.type, -1))
    safe_y = b.select(minus1, ir.Constant(y.type, 1), y)
    r = b.srem(x, safe_y)
    adjust = b.and_(b.icmp_signed("!=", r, zero),
                    b.xor(b.icmp_signed("<", r, zero), b.icmp_signed("<", y, zero)))
    return safe_y, minus1, r, adjust


def _floormod(s, dt, out, args, attrs):
    b = s.b
    x, y = args
    if dt.is_floating:
        zero = ir.Constant(x.type, 0.0)
        r = b.frem(x, y)
        adjust = b.and_(b.fcmp_ordered("!=", r, zero),
                        b.xor(b.fcmp_ordered("<", r, zero), b.fcmp_ordered("<", y, zero)))
        return b.select(adjust, b.fadd(r, y), r)
    _int_div_guard(s, x, y)
    if dt.is_unsigned:
        return b.urem(x, y)
    _, minus1, r, adjust = _signed_floor_parts(b, x, y)
    return b.select(minus1, ir.Constant(y.type, 0), b.select(adjust, b.add(r, y), r))


def _ipow_fn(s, ty, signed):
    name = f"agj_ipow_{'i' if signed else 'u'}{ty.width}"
    fn = s.module.globals.get(name)
    if fn is not None:
        return fn
    fn = ir.Function(s.module, ir.FunctionType(ty, [ty, ty]), name=name)
    fn.linkage = "internal"
    x, y = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    loop = fn.append_basic_block("loop")
    done = fn.append_basic_block("done")
    entry = b.block
    b.branch(loop)
    b.position_at_end(loop)
    acc = b.phi(ty)
    base = b.phi(ty)
    e = b.phi(ty)
    acc.add_incoming(ir.Constant(ty, 1), entry)
    base.add_incoming(x, entry)
    e.add_incoming(y, entry)
    odd = b.trunc(e, I1)
    acc2 = b.select(odd, b.mul(acc, base), acc)
    base2 = b.mul(base, base)
    e2 = b.lshr(e, ir.Constant(ty, 1))
    acc.add_incoming(acc2, loop)
    base.add_incoming(base2, loop)
    e.add_incoming(e2, loop)
    b.cbranch(b.icmp_unsigned("!=", e2, ir.Constant(ty, 0)), loop, done)
    b.position_at_end(done)
    b.ret(acc2)
    # y == 0 enters the loop once: acc2 = 1 (odd is false), e2 = 0 -> 1
    return fn


def _pow(s, dt, out, args, attrs):
    x, y = args
    if dt.is_floating:
        return s.libm("pow", x, y)
    if not dt.is_unsigned:
        s.fail_if(s.b.icmp_signed("<", y, ir.Constant(y.type, 0)), NEG_POW)
    return s.b.call(_ipow_fn(s, x.type, not dt.is_unsigned), [x, y])


def _minmax(fname, pred):
    def fn(s, dt, out, args, attrs):
        x, y = args
        if dt.is_floating:
            return s.intrinsic(fname, x, y)
        cmp = s.b.icmp_unsigned if _kind(dt) == "u" else s.b.icmp_signed
        return s.b.select(cmp(pred, x, y), x, y)
    return fn


def _compare(op):
    def fn(s, dt, out, args, attrs):
        x, y = args
        if dt.is_floating:
            if op == "!=":
                return s.b.fcmp_unordered("!=", x, y)
            return s.b.fcmp_ordered(op, x, y)
        cmp = s.b.icmp_unsigned if _kind(dt) == "u" else s.b.icmp_signed
        return cmp(op, x, y)
    return fn


def _negative(s, dt, out, args, attrs):
    return s.b.fneg(args[0]) if dt.is_floating else s.b.neg(args[0])


def _abs(s, dt, out, args, attrs):
    x = args[0]
    if dt.is_floating:
        return s.intrinsic("fabs", x)
    if dt.is_unsigned:
        return x
    return s.b.select(s.b.icmp_signed("<", x, ir.Constant(x.type, 0)), s.b.neg(x), x)


def _sign(s, dt, out, args, attrs):
    b, x = s.b, args[0]
    one, m1 = s.const(dt, 1), s.const(dt, -1)
    if dt.is_floating:
        zero = ir.Constant(x.type, 0.0)
        nan_or_zero = b.select(b.fcmp_unordered("uno", x, x), x, zero)  # sign(-0.0) is +0.0
        return b.select(b.fcmp_ordered(">", x, zero), one,
                        b.select(b.fcmp_ordered("<", x, zero), m1, nan_or_zero))
    zero = ir.Constant(x.type, 0)
    if dt.is_unsigned:
        return b.select(b.icmp_unsigned("!=", x, zero), one, zero)
    return b.select(b.icmp_signed(">", x, zero), one,
                    b.select(b.icmp_signed("<", x, zero), m1, zero))


def _square(s, dt, out, args, attrs):
    x = args[0]
    return s.b.fmul(x, x) if dt.is_floating else s.b.mul(x, x)


def _libm(name):
    return lambda s, dt, out, args, attrs: s.libm(name, args[0])


def _intr(name):
    return lambda s, dt, out, args, attrs: s.intrinsic(name, args[0])


def _rsqrt(s, dt, out, args, attrs):
    return s.b.fdiv(s.const(dt, 1.0), s.intrinsic("sqrt", args[0]))


def _reciprocal(s, dt, out, args, attrs):
    return s.b.fdiv(s.const(dt, 1.0), args[0])


def _provided(s, name, x):
    """The vector-math library's own function for `name`, when it has one for x's type."""
    return s.math(s, name, [x]) if s.math is not None else None


def _sigmoid(s, dt, out, args, attrs):
    b, x = s.b, args[0]
    got = _provided(s, "sigmoid", x)
    if got is not None:
        return got
    e = s.libm("exp", b.fneg(x))
    return b.fdiv(s.const(dt, 1.0), b.fadd(s.const(dt, 1.0), e))


def _round(s, dt, out, args, attrs):
    return s.intrinsic("roundeven", args[0]) if dt.is_floating else args[0]


def _is_nan(s, dt, out, args, attrs):
    return s.b.fcmp_unordered("uno", args[0], args[0])


def _is_finite(s, dt, out, args, attrs):
    return s.b.fcmp_ordered("<", s.intrinsic("fabs", args[0]), s.const(dt, float("inf")))


def _is_inf(s, dt, out, args, attrs):
    return s.b.fcmp_ordered("==", s.intrinsic("fabs", args[0]), s.const(dt, float("inf")))


def _logical(op):
    return lambda s, dt, out, args, attrs: getattr(s.b, op)(*args)


def _logical_not(s, dt, out, args, attrs):
    return s.b.xor(args[0], ir.Constant(I1, 1))


def _select(s, dt, out, args, attrs):
    return s.b.select(*args)


def cast_value(s, x, src, dst):
    """Convert a register value between dtypes with NumPy's astype semantics."""
    b = s.b
    if src is dst:
        return x
    dty = reg_type(dst)
    if dst.name == "bool":
        if src.is_floating:
            return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
        return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))
    if src.name == "bool":
        return b.uitofp(x, dty) if dst.is_floating else b.zext(x, dty)
    if src.is_floating and dst.is_floating:
        if dty == x.type:
            return x
        widths = {F16: 16, F32: 32, F64: 64}
        return b.fpext(x, dty) if widths[dty] > widths[x.type] else b.fptrunc(x, dty)
    if src.is_floating:
        return _float_to_int(b, x, dty)
    if dst.is_floating:
        return b.uitofp(x, dty) if src.is_unsigned else b.sitofp(x, dty)
    if dty.width == x.type.width:
        return x
    if dty.width < x.type.width:
        return b.trunc(x, dty)
    return b.zext(x, dty) if src.is_unsigned else b.sext(x, dty)


def _float_to_int(b, x, dty):
    """NumPy on x86: truncate toward zero into int64 (for int64) or int32 (narrower types, then
    wrap); NaN and out-of-range values give that type's minimum (cvttss2si's "indefinite"),
    where LLVM's fptosi would give poison."""
    if x.type == F16:
        x = b.fpext(x, F32)
    via = I64 if dty.width == 64 else ir.IntType(32)
    limit = float(2 ** (via.width - 1))
    fits = b.and_(b.fcmp_ordered(">=", x, ir.Constant(x.type, -limit)),
                  b.fcmp_ordered("<", x, ir.Constant(x.type, limit)))
    wide = b.select(fits, b.fptosi(x, via), ir.Constant(via, -(2 ** (via.width - 1))))
    return wide if dty.width == via.width else b.trunc(wide, dty)


def _cast(s, dt, out, args, attrs):
    return cast_value(s, args[0], dt, out)


def _relu(s, dt, out, args, attrs):
    x = args[0]
    if dt.is_floating:
        return s.intrinsic("maximum", x, ir.Constant(x.type, 0.0))
    cmp = s.b.icmp_unsigned if dt.is_unsigned else s.b.icmp_signed
    zero = ir.Constant(x.type, 0)
    return s.b.select(cmp(">", x, zero), x, zero)


def _relu6(s, dt, out, args, attrs):
    b, x = s.b, args[0]
    if dt.is_floating:
        return s.intrinsic("minimum", s.intrinsic("maximum", x, ir.Constant(x.type, 0.0)),
                           ir.Constant(x.type, 6.0))
    cmp = b.icmp_unsigned if dt.is_unsigned else b.icmp_signed
    zero, six = ir.Constant(x.type, 0), ir.Constant(x.type, 6)
    lo = b.select(cmp(">", x, zero), x, zero)
    return b.select(cmp("<", lo, six), lo, six)


def _elu_core(s, x):
    b = s.b
    zero = ir.Constant(x.type, 0.0)
    neg = s.libm("expm1", s.intrinsic("minnum", x, zero))
    return b.fcmp_unordered(">", x, zero), neg  # NaN takes the x branch: elu(nan) is nan


def _elu(s, dt, out, args, attrs):
    pos, neg = _elu_core(s, args[0])
    return s.b.select(pos, args[0], neg)


def _selu(s, dt, out, args, attrs):
    b = s.b
    pos, neg = _elu_core(s, args[0])
    inner = b.select(pos, args[0], b.fmul(s.const(dt, _SELU_ALPHA), neg))
    return b.fmul(s.const(dt, _SELU_SCALE), inner)


def _softplus(s, dt, out, args, attrs):
    b, x = s.b, args[0]
    got = _provided(s, "softplus", x)
    if got is not None:
        return got
    zero = ir.Constant(x.type, 0.0)
    big = s.intrinsic("maxnum", x, zero)
    tail = s.libm("log1p", s.libm("exp", b.fneg(s.intrinsic("fabs", x))))
    return b.fadd(big, tail)


def _leaky_relu(s, dt, out, args, attrs):
    b, x = s.b, args[0]
    return b.select(b.fcmp_ordered(">", x, ir.Constant(x.type, 0.0)), x,
                    b.fmul(x, s.const(dt, attrs["alpha"])))


def _identity(s, dt, out, args, attrs):
    return args[0]


SCALAR_OPS = {
    "add": _arith("fadd", "add"),
    "subtract": _arith("fsub", "sub"),
    "multiply": _arith("fmul", "mul"),
    "divide": _divide,
    "floordiv": _floordiv,
    "floormod": _floormod,
    "pow": _pow,
    "maximum": _minmax("maximum", ">="),
    "minimum": _minmax("minimum", "<="),
    "negative": _negative,
    "abs": _abs,
    "sign": _sign,
    "square": _square,
    "sqrt": _intr("sqrt"),
    "rsqrt": _rsqrt,
    "exp": _libm("exp"),
    "log": _libm("log"),
    "log1p": _libm("log1p"),
    "expm1": _libm("expm1"),
    "sin": _libm("sin"),
    "cos": _libm("cos"),
    "tanh": _libm("tanh"),
    "erf": _libm("erf"),
    "sigmoid": _sigmoid,
    "reciprocal": _reciprocal,
    "round": _round,
    "floor": _intr("floor"),
    "ceil": _intr("ceil"),
    "equal": _compare("=="),
    "not_equal": _compare("!="),
    "less": _compare("<"),
    "less_equal": _compare("<="),
    "greater": _compare(">"),
    "greater_equal": _compare(">="),
    "logical_and": _logical("and_"),
    "logical_or": _logical("or_"),
    "logical_xor": _logical("xor"),
    "logical_not": _logical_not,
    "is_nan": _is_nan,
    "is_finite": _is_finite,
    "is_inf": _is_inf,
    "select": _select,
    "cast": _cast,
    "identity": _identity,
    "stop_gradient": _identity,
    "relu": _relu,
    "relu6": _relu6,
    "elu": _elu,
    "selu": _selu,
    "softplus": _softplus,
    "leaky_relu": _leaky_relu,
}


def emit_scalar(s, node_op, in_dtypes, out_dtype, args, attrs):
    """One element of op `node_op`; `in_dtypes[0]` picks the arithmetic (select: the values')."""
    fn = SCALAR_OPS[node_op]
    dt = in_dtypes[1] if node_op == "select" else in_dtypes[0]
    return fn(s, dt, out_dtype, args, attrs)
