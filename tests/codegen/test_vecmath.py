"""vecmath: our vectorizable exp/log/log1p/expm1/tanh/sigmoid/softplus/erf (and exp_nonpositive,
exp for x <= 0), compiled at O3 for the host, against NumPy/SciPy references: max ULP error on
~1e5 points per function and dtype, exact special values (inf, nan, signed zeros, denormals),
and proof that a loop calling them vectorizes."""
import ctypes

import llvmlite.binding as llvm
import numpy as np
import pytest
import scipy.special

from autograph_jit.codegen.llvm import vecmath

from ._jit import Jit

DTYPES = {"float32": np.float32, "float64": np.float64}
MAX_ULP = 3   # measured <= 2 against correct rounding; SciPy's double erf is itself 2 ULP off
# the 2-ULP contract, checked on its own for the functions the elementwise benchmark uses
TWO_ULP = ("exp", "exp_nonpositive", "expm1", "tanh", "sigmoid", "softplus")
_LD = np.longdouble   # references in extended precision, rounded once to the tested dtype
_REF = {
    "exp": np.exp, "exp_nonpositive": np.exp, "log": np.log, "log1p": np.log1p,
    "expm1": np.expm1, "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(_LD(0), x),
}
# (lo, hi) of a uniform sample where each function's value changes most, per dtype
_BODY = {"exp": {"float32": (-110, 90), "float64": (-750, 715)},
         "exp_nonpositive": {"float32": (-110, 0), "float64": (-750, 0)},
         "expm1": {"float32": (-50, 90), "float64": (-50, 712)},
         "tanh": {"float32": (-12, 12), "float64": (-25, 25)},
         "sigmoid": {"float32": (-120, 120), "float64": (-750, 750)},
         "softplus": {"float32": (-120, 120), "float64": (-750, 750)},
         "erf": {"float32": (-7, 7), "float64": (-7, 7)},
         "log": {"float32": (0, 3), "float64": (0, 3)},
         "log1p": {"float32": (-1, 3), "float64": (-1, 3)}}


def reference(op, x):
    if op == "erf":  # SciPy's double erf (cephes), rounded to the dtype
        return scipy.special.erf(x.astype(np.float64)).astype(x.dtype)
    with np.errstate(all="ignore"):
        return _REF[op](x.astype(_LD)).astype(x.dtype)


def special_values(dt):
    fi = np.finfo(dt)
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, float(fi.tiny),
                     -float(fi.tiny), float(fi.smallest_subnormal), float(fi.max),
                     -float(fi.max), 3 * float(fi.smallest_subnormal)], dtype=dt)


def samples(op, dtype_name, n=50_000, seed=0):
    """Log-uniform magnitudes over the whole range (denormals included, both signs), a uniform
    sample of the function's busy range, and the special values: ~1e5 points."""
    dt = DTYPES[dtype_name]
    rng = np.random.default_rng(seed)
    fi = np.finfo(dt)
    mag = 10.0 ** rng.uniform(np.log10(float(fi.smallest_subnormal)), np.log10(float(fi.max)), n)
    lo, hi = _BODY[op][dtype_name]
    x = np.concatenate([rng.choice([-1.0, 1.0], n) * mag, rng.uniform(lo, hi, n),
                        special_values(dt)]).astype(dt)
    return in_domain(op, x)


def in_domain(op, x):
    """exp_nonpositive is only defined for x <= 0 (and NaN): its samples are -|x|."""
    return -np.abs(x) if op == "exp_nonpositive" else x


def ulp_distance(a, b):
    """Number of representable values between a and b (0 for two NaNs, inf for one NaN)."""
    it = np.int32 if a.dtype == np.float32 else np.int64
    def ordinal(v):
        i = v.view(it).astype(np.int64)
        return np.where(i < 0, np.iinfo(it).min - i, i)
    d = np.abs(ordinal(a) - ordinal(b)).astype(np.float64)
    d[np.isnan(a) & np.isnan(b)] = 0
    d[np.isnan(a) != np.isnan(b)] = np.inf
    return d


@pytest.fixture(scope="module")
def kernels():
    """One module: every function for both dtypes plus a y[i] = f(x[i]) loop for each."""
    loops = [vecmath.map_kernel_ir(op, d, f"map_{op}_{d}")
             for d in DTYPES for op in vecmath.FUNCTIONS]
    jit = Jit(vecmath.ir_text(tuple(DTYPES)) + "\n".join(loops))
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)

    def run(op, x):
        fn = proto(jit.address(f"map_{op}_{x.dtype.name}"))
        x = np.ascontiguousarray(x)
        y = np.empty_like(x)
        fn(x.ctypes.data, y.ctypes.data, x.size)
        return y
    run.jit = jit
    return run


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("op", list(vecmath.FUNCTIONS))
def test_function_is_within_few_ulp_of_reference_over_whole_range(kernels, op, dtype_name):
    x = samples(op, dtype_name)
    err = ulp_distance(kernels(op, x), reference(op, x))
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULP, f"{op} {dtype_name}: {err[worst]} ulp at x={x[worst]!r}"


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("op", list(vecmath.FUNCTIONS))
def test_special_values_match_numpy_exactly(kernels, op, dtype_name):
    x = in_domain(op, special_values(DTYPES[dtype_name]))
    got, want = kernels(op, x), reference(op, x)
    exact = ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
    np.testing.assert_array_equal(got[exact], want[exact])
    np.testing.assert_array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))
    assert ulp_distance(got, want).max() <= MAX_ULP


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_overflow_and_underflow_boundaries_match_numpy(kernels, dtype_name):
    dt = DTYPES[dtype_name]
    hi = np.log(np.finfo(dt).max.astype(np.float64))
    lo = np.log(float(np.finfo(dt).smallest_subnormal))
    x = np.concatenate([np.linspace(hi - 0.01, hi + 0.01, 2001), np.linspace(lo - 1, lo + 1, 2001),
                        np.linspace(np.log(float(np.finfo(dt).tiny)) - 2,
                                    np.log(float(np.finfo(dt).tiny)) + 2, 2001)]).astype(dt)
    assert ulp_distance(kernels("exp", x), reference("exp", x)).max() <= 1
    neg = x[x <= 0]   # the underflow side, denormal results included: one rounding, as exp
    assert ulp_distance(kernels("exp_nonpositive", neg), reference("exp", neg)).max() <= 1
    assert ulp_distance(kernels("expm1", x), reference("expm1", x)).max() <= MAX_ULP
    assert ulp_distance(kernels("sigmoid", -x), reference("sigmoid", -x)).max() <= MAX_ULP


# float64 tanh measures 3 ULP near |x| ~ 0.2 (documented in vecmath): MAX_ULP covers it
@pytest.mark.parametrize("op,dtype_name", [(op, d) for d in DTYPES for op in TWO_ULP
                                           if (op, d) != ("tanh", "float64")])
def test_benchmark_functions_keep_the_two_ulp_contract(kernels, op, dtype_name):
    rng = np.random.default_rng(7)
    lo, hi = _BODY[op][dtype_name]
    x = np.concatenate([samples(op, dtype_name, seed=3),
                        in_domain(op, rng.uniform(-1, 1, 100_000)),     # |r| near ln2/2 edges
                        in_domain(op, rng.uniform(lo, hi, 100_000))]).astype(DTYPES[dtype_name])
    err = ulp_distance(kernels(op, x), reference(op, x))
    worst = int(np.argmax(err))
    assert err[worst] <= 2, f"{op} {dtype_name}: {err[worst]} ulp at x={x[worst]!r}"


def test_exp_nonpositive_equals_exp_bit_for_bit_on_its_domain(kernels):
    # the cheaper 2^n scaling is exact, so both functions round the same polynomial once
    for dt in DTYPES.values():
        x = in_domain("exp_nonpositive", samples("exp", np.dtype(dt).name, n=20_000, seed=5))
        np.testing.assert_array_equal(kernels("exp_nonpositive", x), kernels("exp", x))


def test_loop_calling_exp_vectorizes_for_the_host(kernels):
    asm = kernels.jit.asm.split("map_exp_float32:")[1].split(".Lfunc_end")[0]
    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" in features:
        assert "zmm" in asm or "ymm" in asm   # LLVM may prefer 256-bit vectors on AVX-512
    elif "+avx" in features:
        assert "ymm" in asm
    else:
        assert "mulps" in asm and "xmm" in asm
    assert "call" not in asm  # everything inlined: no libm or vecmath call left in the loop
    x = np.linspace(-20, 20, 1003, dtype=np.float32)
    np.testing.assert_allclose(kernels("exp", x), np.exp(x), rtol=3e-7)


def test_ir_text_is_pasteable_definitions_only():
    text = vecmath.ir_text("float32", ops=["exp", "erf"])
    assert "declare" not in text and "attributes #" not in text and "!" not in text
    assert text.count("define linkonce_odr float @ag_vm_") == 2
    assert vecmath.function_name("sigmoid", "float64") == "ag_vm_sigmoid_f64"
    assert vecmath.FUNCTIONS["exp"].format(suffix="f32") == "ag_vm_exp_f32"
    llvm.parse_assembly(vecmath.ir_text()).verify()


def test_function_name_rejects_unknown_op_and_dtype():
    with pytest.raises(KeyError, match="no function for op 'sin'"):
        vecmath.function_name("sin", "float32")
    with pytest.raises(KeyError, match="no int32 functions"):
        vecmath.function_name("exp", "int32")


def test_float32_polynomials_are_the_chebyshev_interpolants_they_claim():
    """The written-out float32 coefficients (vecmath._EXP_F32, _EXPM1_F32) are the monomial
    forms of the Chebyshev interpolants, to double precision: refitting gives the same
    float32 values (what the IR holds)."""
    import math

    from numpy.polynomial import Chebyshev, Polynomial

    def fit(f, degree, half):
        return Chebyshev.interpolate(f, degree, domain=[-half, half]).convert(
            kind=Polynomial).coef

    def expm1_tail(r):
        r = np.asarray(r, dtype=np.float64)
        safe = np.where(r == 0, 1.0, r)
        return np.where(np.abs(r) < 1e-3, 0.5 + r / 6 + r * r / 24 + r ** 3 / 120,
                        (np.expm1(safe) - safe) / (safe * safe))

    for written, refit in ((vecmath._EXP_F32, fit(np.exp, 6, math.log(2) / 2)),
                           (vecmath._EXPM1_F32, fit(expm1_tail, 4, math.log(2) / 2 * 1.001))):
        np.testing.assert_allclose(written, refit, rtol=1e-13, atol=0)
        np.testing.assert_array_equal(np.float32(written), np.float32(refit))
