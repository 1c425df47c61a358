"""Vector math for the LLVM CPU backend: exp, log, log1p, expm1, tanh, sigmoid, softplus and erf
for float32 and float64, as LLVM IR text; plus exp_nonpositive, exp for arguments known to be
<= 0 (exp(-x*x), exp(-|x|): the fusion emitter proves the sign, codegen/llvm/k_map.py).

Each function is a scalar, branch-free (select-based) definition marked `alwaysinline`, so a
loop calling it is inlined first and then vectorized by LLVM's loop vectorizer for the host
(AVX2 / AVX-512): a scalar `expf` call per element would stop vectorization and lose to NumPy.

Interface (used by the backend):
- `FUNCTIONS`: op name -> function name template, e.g. "exp" -> "ag_vm_exp_{suffix}", suffix
  "f32" / "f64"; `function_name("exp", "float32")` -> "ag_vm_exp_f32".
- `ir_text(dtype_names, ops=None)`: the definitions, `linkonce_odr` (unused ones vanish, two
  copies merge), with no declarations, intrinsics, attribute groups or metadata, so the text can
  be pasted into any module (opaque pointers, LLVM >= 16). Call as
  `%y = call float @ag_vm_exp_f32(float %x)`.
- `map_kernel_ir(op, dtype_name, name)`: `void @name(ptr x, ptr y, i64 n)` computing
  y[i] = op(x[i]), the loop the tests and benchmarks compile.

Algorithms (textbook facts; coefficients are Taylor series or our own Chebyshev fits):
- exp: n = round(x/ln2) with the 1.5*2^p shifter trick, Cody-Waite r = x - n*ln2_hi - n*ln2_lo
  (ln2_hi has trailing zero bits, so n*ln2_hi is exact), a polynomial on |r| <= ln2/2 (float32:
  our degree-6 Chebyshev interpolant; float64: Taylor), then
  scaling by 2^(n//2) * 2^(n - n//2) so that denormal results are rounded once and overflow
  gives inf. Inputs are clamped first, so inf/-inf give inf/0 and NaN propagates. For x <= 0
  (exp_nonpositive, sigmoid, softplus, erf) the scaling is (P * 2^(n+k)) * 2^-k with a fixed k
  (26 / 56) that keeps the first product normal: exact (bit-equal to exp), one rounding into
  denormals, and four operations fewer.
- log: x = m*2^e with m in [sqrt(1/2), sqrt(2)) by integer arithmetic on the bits (denormals
  pre-scaled), f = m-1, s = f/(2+f), log(1+f) = f - hfsq + s*(hfsq + R(s^2)) with R the atanh
  series, plus e*ln2 in two parts.
- log1p: u = 1+x, log(u) + (x-(u-1))/u (the rounding of 1+x corrected to first order).
- expm1: same reduction as exp, expm1(r) = r + r^2*Q(r) (float32: our degree-4 Chebyshev
  interpolant of Q; float64: Taylor), 2^n*expm1(r) + (2^n - 1) for small n.
- tanh: e = expm1(2|x|) (|x| clamped, so without expm1's overflow path), e/(e+2) with x's
  sign bit or-ed in; sigmoid: t = exp(-|x|), 1/(1+t) or t/(1+t);
  softplus: max(x,0) + log1p(exp(-|x|)).
- erf: |x| < 1: Taylor series; beyond, 1 - exp(-x^2)*erfcx(x) with erfcx a Chebyshev series
  (Clenshaw) fitted to high-precision erfcx on [1,2] and, in 1/x, on [2,6] (float64) or [1,4]
  (float32); erf is exactly +-1 beyond 6 (4).
Accuracy (tests/codegen/test_vecmath.py, ~1e5 points each over the whole range, denormals
included): at most 2 ULP from the correctly rounded value (extended-precision NumPy; SciPy's erf)
for both dtypes (float64 tanh: 3, near |x| ~ 0.2); every float32 in the busy ranges of exp,
expm1, tanh and sigmoid checked once: <= 2 ULP. inf, nan, signed zeros and denormal results as
NumPy. The bodies rely on IEEE rounding (the shifter trick, Cody-Waite): never compile them with
reassociating fast-math flags.
"""
import functools
import math
import re
import struct
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

FUNCTIONS = {op: "ag_vm_%s_{suffix}" % op
             for op in ("exp", "log", "log1p", "expm1", "tanh", "sigmoid", "softplus", "erf",
                        "exp_nonpositive")}

_SUFFIX = {"float32": "f32", "float64": "f64"}


@dataclass(frozen=True)
class _Flt:
    """Per-dtype facts: IR type names, bit layout, range limits, polynomial degrees."""
    ty: str
    ity: str
    np_type: type
    mant: int            # explicit mantissa bits
    bias: int
    exp_lo: float        # exp input clamp: result is 0 below, inf above
    exp_hi: float
    ln2_hi: float        # ln2 split for Cody-Waite; ln2_hi has trailing zero bits
    ln2_lo: float
    exp_degree: int      # Taylor degree of e^r on |r| <= ln2/2 (float64; see _exp_poly)
    expm1_degree: int
    log_terms: int       # terms of the atanh series R(z)
    tanh_clamp: float    # tanh(x) rounds to +-1 beyond this
    erf_terms: int       # Taylor terms of erf on |x| < 1
    erf_clamp: float     # erf(x) rounds to +-1 beyond this


_F32 = _Flt("float", "i32", np.float32, 23, 127, -104.0, 89.0,
            0.693145751953125, float(np.float32(math.log(2) - 0.693145751953125)),
            7, 8, 4, 10.0, 12, 4.0)
_F64 = _Flt("double", "i64", np.float64, 52, 1023, -746.0, 710.0,
            6.93147180369123816490e-01, 1.90821492927058770002e-10,
            13, 14, 10, 20.0, 20, 6.0)
_TYPES = {"float32": _F32, "float64": _F64}

# erfcx(x) = exp(x^2) erfc(x) as Chebyshev series c0 + c1 T1(u) + ..., fitted (mpmath, 50 digits,
# Chebyshev interpolation) on: A: x in [1,2], u = 2x-3; B: 1/x in [1/6,1/2], u = 6/x-2;
# C (float32): 1/x in [1/4,1], u = 8/(3x) - 5/3.
_ERFCX_A = [0.331427281639452, -0.0850021377067432, 0.009951127341466115, -0.0010810888102208325,
            0.0001102324363119495, -1.0636830518218601e-05, 9.775012680479055e-07,
            -8.597922867888315e-08, 7.2677084117248425e-09, -5.923543840592542e-10,
            4.6683928572294154e-11, -3.56612770156775e-12, 2.6458779519104523e-13,
            -1.9101658673527567e-14, 1.343976588479829e-15, -9.228790549094326e-17,
            6.19267308464391e-18]
_ERFCX_B = [0.1765281179363382, 0.08137379533782715, -0.0024575013733779674,
            -6.324093536658628e-05, 1.5519910419454142e-05, -1.010830675654802e-06,
            -1.319732774701922e-08, 1.063536598865954e-08, -1.2284967356346472e-09,
            4.9703371897498055e-11, 7.773829791968737e-12, -1.8655371570026014e-12,
            1.951320431027466e-13, -5.514953789857361e-15, -2.066788515569011e-15,
            4.676537859503358e-16, -5.316412861139965e-17]
_ERFCX_C = [0.2940421029636535, 0.14485638147754065, -0.011834441958428029,
            0.00046025841298545194, 8.017337860008265e-05, -2.4291552362189145e-05,
            3.70784718788591e-06, -3.0454400513468816e-07, -2.1712168039230794e-08,
            1.4908572927511504e-08, -3.582520522561345e-09]
_TWO_OVER_SQRT_PI = 1.1283791670955126
_LOG2E = 1.4426950408889634


def _inv_factorials(first, last):
    return [float(Fraction(1, math.factorial(k))) for k in range(first, last + 1)]


def _erf_taylor(terms):
    # erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    c = Fraction(_TWO_OVER_SQRT_PI)
    return [float(c * Fraction((-1) ** n, math.factorial(n) * (2 * n + 1))) for n in range(terms)]


class _Body:
    """Emits the instructions of one function body; values are SSA names or literal text."""

    def __init__(self, t):
        self.t = t
        self.lines = []
        self._n = 0
        self._names = {}

    def named(self, value, hint):
        """Give an emitted value a readable name (%r, %n, ...) in the printed IR."""
        if not value.startswith("%v"):
            return value
        k = self._names.get(hint, 0)
        self._names[hint] = k + 1
        new = f"%{hint}" if k == 0 else f"%{hint}.{k}"
        pattern = re.compile(re.escape(value) + r"\b")
        self.lines = [pattern.sub(new, line) for line in self.lines]
        return new

    def _emit(self, text):
        self._n += 1
        name = f"%v{self._n}"
        self.lines.append(f"  {name} = {text}")
        return name

    # literals
    def c(self, value):
        """A float literal of this dtype (LLVM spells float constants as the double's hex)."""
        v = float(self.t.np_type(value))
        return "0x%016X" % struct.unpack("<Q", struct.pack("<d", v))[0]

    # float arithmetic; `contract` lets the backend fuse a*b+c into an FMA where the host has one
    def fadd(self, a, b, flags=""):
        return self._emit(f"fadd {flags} {self.t.ty} {a}, {b}".replace("  ", " "))

    def fsub(self, a, b):
        return self._emit(f"fsub {self.t.ty} {a}, {b}")

    def fmul(self, a, b, flags=""):
        return self._emit(f"fmul {flags} {self.t.ty} {a}, {b}".replace("  ", " "))

    def fdiv(self, a, b):
        return self._emit(f"fdiv {self.t.ty} {a}, {b}")

    def fneg(self, a):
        return self._emit(f"fneg {self.t.ty} {a}")

    def mad(self, a, b, c):
        return self.fadd(self.fmul(a, b, "contract"), c, "contract")

    def fcmp(self, pred, a, b):
        return self._emit(f"fcmp {pred} {self.t.ty} {a}, {b}")

    def select(self, cond, a, b):
        return self._emit(f"select i1 {cond}, {self.t.ty} {a}, {self.t.ty} {b}")

    def sitofp(self, i):
        return self._emit(f"sitofp {self.t.ity} {i} to {self.t.ty}")

    # integer views of the bits
    def bits(self, a):
        return self._emit(f"bitcast {self.t.ty} {a} to {self.t.ity}")

    def from_bits(self, i):
        return self._emit(f"bitcast {self.t.ity} {i} to {self.t.ty}")

    def iop(self, op, a, b):
        return self._emit(f"{op} {self.t.ity} {a}, {b}")

    def iselect(self, cond, a, b):
        return self._emit(f"select i1 {cond}, {self.t.ity} {a}, {self.t.ity} {b}")

    def icmp(self, pred, a, b):
        return self._emit(f"icmp {pred} {self.t.ity} {a}, {b}")

    def lit_bits(self, value):
        """The bit pattern of a float literal, as a signed integer literal."""
        v = self.t.np_type(value)
        return str(int(v.view(np.int32 if self.t.ity == "i32" else np.int64)))

    # helpers built on the above
    def sign_mask(self):
        return str(-(1 << (self.t.mant + (8 if self.t.ity == "i32" else 11))))

    def fabs(self, a):
        return self.from_bits(self.iop("and", self.bits(a), str(~int(self.sign_mask()))))

    def copysign(self, mag, sgn):
        m = self.iop("and", self.bits(mag), str(~int(self.sign_mask())))
        s = self.iop("and", self.bits(sgn), self.sign_mask())
        return self.from_bits(self.iop("or", m, s))

    def clamp(self, x, lo, hi):
        """x limited to [lo, hi]; NaN passes through (ordered compares are false for NaN)."""
        x = self.select(self.fcmp("ogt", x, self.c(hi)), self.c(hi), x)
        return self.select(self.fcmp("olt", x, self.c(lo)), self.c(lo), x)

    def horner(self, x, coeffs):
        """coeffs[0] + x*(coeffs[1] + x*(...))."""
        acc = self.c(coeffs[-1])
        for k in reversed(coeffs[:-1]):
            acc = self.mad(acc, x, self.c(k))
        return acc

    def clenshaw(self, u, coeffs):
        """sum c_k T_k(u); coeffs may be values (already emitted) or Python floats."""
        cs = [k if isinstance(k, str) else self.c(k) for k in coeffs]
        two_u = self.fadd(u, u)
        b1, b2 = cs[-1], self.c(0.0)
        for ck in reversed(cs[1:-1]):
            b1, b2 = self.fsub(self.mad(two_u, b1, ck), b2), b1
        return self.fsub(self.mad(u, b1, cs[0]), b2)

    def pow2(self, k):
        """2^k for an integer k in the normal exponent range."""
        return self.from_bits(self.iop("shl", self.iop("add", k, str(self.t.bias)),
                                       str(self.t.mant)))


# ------------------------------------------------------------------------------------------
# the algorithms, each emitting into a body and returning the result value
# ------------------------------------------------------------------------------------------

def _reduce_ln2(b, x):
    """x = n*ln2 + r with |r| <= ln2/2: (n as integer, n as float, r). |x| < 2^(mant-1)/ln2."""
    shifter = 1.5 * 2.0 ** b.t.mant
    # t = x*log2e + shifter rounds to an integer either way; fused into one FMA it is the
    # integer nearest the exact product (|r| may then exceed ln2/2 by an ulp: harmless)
    t = b.mad(x, b.c(_LOG2E), b.c(shifter))
    nf = b.fsub(t, b.c(shifter))
    n = b.named(b.iop("sub", b.bits(t), b.lit_bits(shifter)), "n")
    # x - n*ln2_hi is exact with or without FMA (ln2_hi's trailing zeros); `contract` lets the
    # host fuse both steps into FMAs, which only makes them more exact
    r = b.mad(b.fneg(nf), b.c(b.t.ln2_hi), x)
    r = b.named(b.mad(b.fneg(nf), b.c(b.t.ln2_lo), r), "r")
    return n, nf, r


def _scale_pow2_split(b, p, n):
    """p * 2^n as p * 2^(n>>1) * 2^(n - n>>1): one rounding into denormals, inf on overflow."""
    h = b.iop("ashr", n, "1")
    return b.fmul(b.fmul(p, b.pow2(h)), b.pow2(b.iop("sub", n, h)))


def _scale_pow2_nonpositive(b, p, n):
    """p * 2^n for the n of an x <= 0 that is clamped at exp_lo: p * 2^(n+k) is exact (normal)
    for every such n, and the constant 2^-k rounds once into denormals; 2 multiplies and 2
    integer ops instead of _scale_pow2_split's 2 and 6."""
    k = _nonpositive_shift(b.t)
    return b.fmul(b.fmul(p, b.pow2(b.iop("add", n, str(k)))), b.c(2.0 ** -k))


def _nonpositive_shift(t):
    """k with p*2^(n+k) normal for p >= 1/sqrt(2)-ish and the smallest n of exp(exp_lo)."""
    n_min = math.floor(t.exp_lo * _LOG2E)
    return -n_min - (t.bias - 2)


# The float32 polynomials: our own Chebyshev interpolants, converted to monomial coefficients
# (numpy.polynomial: `Chebyshev.interpolate(f, degree, domain=[-h, h]).convert(kind=Polynomial)`),
# written out so that lowering neither imports numpy.polynomial nor fits them again in each
# process; tests/codegen/test_vecmath.py fits them again and compares.
# e^r, degree 6, h = ln2/2
_EXP_F32 = [1.0, 1.0000000377162153, 0.5000000047117972, 0.16666415514649002,
            0.041666352896198126, 0.008375126398416404, 0.001394110846934711]
# (expm1(r) - r)/r^2, degree 4, h = ln2/2 * 1.001 (the FMA-rounded n may leave |r| an ulp past
# ln2/2)
_EXPM1_F32 = [0.4999999999999999, 0.16666576666120062, 0.04166655421299759, 0.00836323288367248,
              0.0013926250830164739]


def _expm1_poly(t):
    """Coefficients of Q with r + r^2*Q(r) ~ expm1(r) on |r| <= ln2/2: float32 uses our own
    degree-4 Chebyshev interpolant of (expm1(r) - r)/r^2 (relative error 2.5e-8 of expm1, 1/5
    ULP; two FMAs fewer than the degree-8 Taylor series), float64 Taylor to expm1_degree."""
    return _EXPM1_F32 if t is _F32 else _inv_factorials(2, t.expm1_degree)


def _exp_poly(t):
    """Coefficients of P(r) ~ e^r on |r| <= ln2/2: float32 uses our own degree-6 Chebyshev
    interpolant (relative error 2.5e-9, 1/50 ULP; one FMA fewer than Taylor for the same
    accuracy), float64 the Taylor series of degree exp_degree."""
    return _EXP_F32 if t is _F32 else _inv_factorials(0, t.exp_degree)


def _exp(b, x, upper=True):
    """upper=False: the caller guarantees x <= 0 (or NaN), so the overflow clamp is left out."""
    x = b.clamp(x, b.t.exp_lo, b.t.exp_hi) if upper else \
        b.select(b.fcmp("olt", x, b.c(b.t.exp_lo)), b.c(b.t.exp_lo), x)
    n, _, r = _reduce_ln2(b, x)
    p = b.named(b.horner(r, _exp_poly(b.t)), "p")
    scale = _scale_pow2_split if upper else _scale_pow2_nonpositive
    return b.named(scale(b, p, n), "exp")


def _log(b, x):
    t = b.t
    tiny = b.fcmp("olt", x, b.c(2.0 ** (1 - t.bias)))
    xs = b.select(tiny, b.fmul(x, b.c(2.0 ** (t.mant + 2))), x)
    e_adj = b.iselect(tiny, str(-(t.mant + 2)), "0")
    ix = b.iop("sub", b.bits(xs), b.lit_bits(math.sqrt(0.5)))
    e = b.named(b.iop("add", b.iop("ashr", ix, str(t.mant)), e_adj), "e")
    m = b.named(b.from_bits(b.iop("add", b.iop("and", ix, str((1 << t.mant) - 1)),
                                  b.lit_bits(math.sqrt(0.5)))), "m")
    f = b.named(b.fsub(m, b.c(1.0)), "f")
    s = b.named(b.fdiv(f, b.fadd(f, b.c(2.0))), "s")
    z = b.fmul(s, s)
    big_r = b.fmul(z, b.horner(z, [2.0 / (2 * k + 1) for k in range(1, t.log_terms + 1)]))
    hfsq = b.fmul(b.fmul(f, f), b.c(0.5))
    ef = b.sitofp(e)
    lo = b.fadd(b.fmul(s, b.fadd(hfsq, big_r)), b.fmul(ef, b.c(t.ln2_lo)))
    core = b.fadd(b.fmul(ef, b.c(t.ln2_hi)), b.fsub(f, b.fsub(hfsq, lo)))
    # specials: log(+-0) = -inf, log(x<0) = log(nan) = nan, log(inf) = inf
    res = b.select(b.fcmp("oeq", x, b.c(0.0)), b.c(-math.inf), b.c(math.nan))
    res = b.select(b.fcmp("ogt", x, b.c(0.0)), core, res)
    return b.named(b.select(b.fcmp("oeq", x, b.c(math.inf)), x, res), "log")


def _log1p(b, x):
    u = b.fadd(x, b.c(1.0))
    corr = b.fdiv(b.fsub(x, b.fsub(u, b.c(1.0))), u)
    res = b.fadd(_log(b, u), corr)
    res = b.select(b.fcmp("oeq", x, b.c(-1.0)), b.c(-math.inf), res)
    res = b.select(b.fcmp("oeq", x, b.c(math.inf)), x, res)
    return b.select(b.fcmp("oeq", x, b.c(0.0)), x, res)   # keeps the sign of zero


def _expm1(b, x):
    xc = b.clamp(x, -40.0, b.t.exp_hi)     # expm1(-40) rounds to -1 in both dtypes
    n, _, r = _reduce_ln2(b, xc)
    p = b.named(b.mad(b.fmul(r, r), b.horner(r, _expm1_poly(b.t)), r), "p")
    # small n: 2^n*p + (2^n - 1), exact at n = 0; large n: the -1 is below half an ulp
    limit = str(b.t.mant + 2)
    large = b.icmp("sgt", n, limit)
    s = b.pow2(b.iselect(large, limit, n))
    small = b.mad(s, p, b.fsub(s, b.c(1.0)))
    big = _scale_pow2_split(b, b.fadd(p, b.c(1.0)), n)
    res = b.select(large, big, small)
    return b.named(b.select(b.fcmp("oeq", x, b.c(0.0)), x, res), "expm1")


def _expm1_bounded(b, y):
    """expm1(y) for 0 <= y <= 2*tanh_clamp (or NaN): 2^n stays normal and 2^n*p + (2^n - 1)
    is accurate for every such n (for n > mant+1, 2^n - 1 rounds to 2^n, which is then right),
    so expm1's overflow path, clamps and zero fix-up are dropped (+0 gives +0 here)."""
    n, _, r = _reduce_ln2(b, y)
    p = b.named(b.mad(b.fmul(r, r), b.horner(r, _expm1_poly(b.t)), r), "p")
    s = b.pow2(n)
    return b.named(b.mad(s, p, b.fsub(s, b.c(1.0))), "expm1")


def _tanh(b, x):
    a = b.fabs(x)
    a = b.select(b.fcmp("ogt", a, b.c(b.t.tanh_clamp)), b.c(b.t.tanh_clamp), a)
    e = _expm1_bounded(b, b.fadd(a, a))
    # e/(e+2) >= 0 (or NaN): or-ing in x's sign bit is copysign without clearing one first
    m = b.bits(b.fdiv(e, b.fadd(e, b.c(2.0))))
    return b.from_bits(b.iop("or", m, b.iop("and", b.bits(x), b.sign_mask())))


def _sigmoid(b, x):
    t = _exp(b, b.fneg(b.fabs(x)), upper=False)
    d = b.fadd(t, b.c(1.0))
    return b.select(b.fcmp("oge", x, b.c(0.0)), b.fdiv(b.c(1.0), d), b.fdiv(t, d))


def _softplus(b, x):
    t = _exp(b, b.fneg(b.fabs(x)), upper=False)
    pos = b.select(b.fcmp("ogt", x, b.c(0.0)), x, b.c(0.0))
    return b.fadd(pos, _log1p(b, t))


def _erf(b, x):
    t = b.t
    a = b.fabs(x)
    near = b.named(b.fmul(a, b.horner(b.fmul(a, a), _erf_taylor(t.erf_terms))), "near")
    ac = b.select(b.fcmp("ogt", a, b.c(t.erf_clamp)), b.c(t.erf_clamp), a)
    inv = b.fdiv(b.c(1.0), ac)
    if t is _F32:
        u = b.fsub(b.fmul(inv, b.c(8.0 / 3.0)), b.c(5.0 / 3.0))
        erfcx = b.clenshaw(u, _ERFCX_C)
    else:
        in_a = b.fcmp("olt", ac, b.c(2.0))
        u = b.select(in_a, b.fsub(b.fadd(ac, ac), b.c(3.0)),
                     b.fsub(b.fmul(inv, b.c(6.0)), b.c(2.0)))
        coeffs = [b.select(in_a, b.c(ca), b.c(cb)) for ca, cb in zip(_ERFCX_A, _ERFCX_B)]
        erfcx = b.clenshaw(u, coeffs)
    erfc = b.fmul(_exp(b, b.fneg(b.fmul(ac, ac)), upper=False), erfcx)
    far = b.named(b.fsub(b.c(1.0), b.named(erfc, "erfc")), "far")
    return b.copysign(b.select(b.fcmp("olt", a, b.c(1.0)), near, far), x)


def _exp_nonpositive(b, x):
    return _exp(b, x, upper=False)


_EMITTERS = {"exp": _exp, "exp_nonpositive": _exp_nonpositive, "log": _log, "log1p": _log1p,
             "expm1": _expm1, "tanh": _tanh, "sigmoid": _sigmoid, "softplus": _softplus,
             "erf": _erf}
_ATTRS = "alwaysinline nounwind willreturn nofree nosync memory(none)"
_SUMMARY = {   # one comment line above each definition, for readers of cf.llvm_ir()
    "exp": "2^n * P(r), n = round(x/ln2), r = x - n*ln2 (Cody-Waite), P(r) ~ e^r",
    "exp_nonpositive": "exp for x <= 0 (or NaN) only: no overflow clamp, cheaper 2^n scaling",
    "log": "e*ln2 + log(m), x = m*2^e, m in [sqrt(1/2), sqrt(2)), log(m) by the atanh series",
    "log1p": "log(u) + (x - (u-1))/u with u = 1+x",
    "expm1": "2^n*expm1(r) + (2^n - 1), n = round(x/ln2), expm1(r) = r + r^2*Q(r)",
    "tanh": "sign(x) * e/(e+2), e = expm1(2|x|)",
    "sigmoid": "1/(1+t) for x >= 0, t/(1+t) below, t = exp(-|x|)",
    "softplus": "max(x,0) + log1p(exp(-|x|))",
    "erf": "Taylor series for |x| < 1, else 1 - exp(-x^2)*erfcx(x) with a Chebyshev erfcx",
}


def function_name(op, dtype_name):
    """The IR function computing `op` for `dtype_name` ("float32"/"float64")."""
    if op not in FUNCTIONS:
        raise KeyError(f"vecmath has no function for op {op!r}; it has {sorted(FUNCTIONS)}")
    if dtype_name not in _SUFFIX:
        raise KeyError(f"vecmath has no {dtype_name} functions; it has {sorted(_SUFFIX)}")
    return FUNCTIONS[op].format(suffix=_SUFFIX[dtype_name])


@functools.lru_cache(maxsize=None)
def definition(op, dtype_name):
    """The IR text defining one function."""
    name = function_name(op, dtype_name)   # checks op and dtype first, with a clear message
    t = _TYPES[dtype_name]
    b = _Body(t)
    result = _EMITTERS[op](b, "%x")
    return "\n".join([f"; {name}: {op}(x) = {_SUMMARY[op]}",
                      f"define linkonce_odr {t.ty} @{name}({t.ty} %x) {_ATTRS} {{",
                      "entry:", *b.lines, f"  ret {t.ty} {result}", "}", ""])


def ir_text(dtype_names=("float32", "float64"), ops=None):
    """Definitions of `ops` (default: all of FUNCTIONS) for each dtype name, as one IR text."""
    if isinstance(dtype_names, str):
        dtype_names = (dtype_names,)
    return "\n".join(definition(op, d) for d in dtype_names for op in (ops or FUNCTIONS))


def map_kernel_ir(op, dtype_name, name):
    """`void @name(ptr noalias x, ptr noalias y, i64 n)`: y[i] = op(x[i]) for i < n, calling the
    vecmath function (whose definition must be in the same module)."""
    ty = _TYPES[dtype_name].ty
    fn = function_name(op, dtype_name)
    args = "ptr noalias nocapture readonly %x, ptr noalias nocapture %y, i64 %n"
    return f"""define void @{name}({args}) {{
entry:
  %nonempty = icmp sgt i64 %n, 0
  br i1 %nonempty, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %px = getelementptr inbounds {ty}, ptr %x, i64 %i
  %v = load {ty}, ptr %px
  %r = call {ty} @{fn}({ty} %v)
  %py = getelementptr inbounds {ty}, ptr %y, i64 %i
  store {ty} %r, ptr %py
  %next = add nuw nsw i64 %i, 1
  %done = icmp eq i64 %next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}}
"""
