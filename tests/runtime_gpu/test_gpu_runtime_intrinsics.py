"""The emulator's host versions of the NVVM math intrinsics: all of them compile, and a sample
gives the GPU's results (directed rounding brackets the exact value, conversions saturate)."""
import ctypes

import numpy as np
import pytest

from autograph_jit.runtime import cpu_engine
from autograph_jit.runtime.gpu import emu_intrinsics


@pytest.fixture(scope="module")
def compiled():
    defs = emu_intrinsics.definitions()
    text = emu_intrinsics.helpers() + "".join(
        d.replace("alwaysinline", "") for d in defs.values())
    return cpu_engine.compile_ir(text, opt_level=1, use_cache=False)


def _fn(compiled, name, restype, *argtypes):
    return ctypes.CFUNCTYPE(restype, *argtypes)(compiled.address("__emu_nvvm_" + name))


def test_every_definition_compiles(compiled):
    assert len(emu_intrinsics.definitions()) > 200
    assert compiled.address("__emu_nvvm_fma.rn.f")


def test_directed_rounding_brackets_the_exact_result(compiled):
    f = ctypes.c_float
    down = _fn(compiled, "fma.rm.f", f, f, f, f)
    up = _fn(compiled, "fma.rp.f", f, f, f, f)
    near = _fn(compiled, "fma.rn.f", f, f, f, f)
    a, b, c = np.float32(1 / 3), np.float32(1 / 7), np.float32(0.1)
    exact = float(a) * float(b) + float(c)
    lo, hi = np.float32(down(a, b, c)), np.float32(up(a, b, c))
    assert lo <= exact <= hi and lo < hi and np.nextafter(lo, np.float32(1)) == hi
    assert near(a, b, c) in (lo, hi)
    # the rounding mode is restored afterwards
    assert np.float32(near(np.float32(1), np.float32(1 / 3), 0)) == np.float32(1 / 3)
    add_down = _fn(compiled, "add.rm.d", ctypes.c_double, ctypes.c_double, ctypes.c_double)
    add_up = _fn(compiled, "add.rp.d", ctypes.c_double, ctypes.c_double, ctypes.c_double)
    assert add_down(1.0, 1e-20) == 1.0 and add_up(1.0, 1e-20) == np.nextafter(1.0, 2.0)
    assert 0.1 + 0.2 == 0.30000000000000004  # (this process still rounds to nearest)


def test_float_to_int_conversions_saturate_and_map_nan_to_zero(compiled):
    f2i = _fn(compiled, "f2i.rn", ctypes.c_int32, ctypes.c_float)
    assert f2i(2.5) == 2 and f2i(3.5) == 4  # round half to even
    assert f2i(1e20) == 2 ** 31 - 1 and f2i(-1e20) == -2 ** 31 and f2i(float("nan")) == 0
    d2ui = _fn(compiled, "d2ui.rz", ctypes.c_uint32, ctypes.c_double)
    assert d2ui(-5.0) == 0 and d2ui(7.9) == 7


def test_ftz_flushes_subnormals(compiled):
    add = _fn(compiled, "add.rn.ftz.f", ctypes.c_float, ctypes.c_float, ctypes.c_float)
    tiny = float(np.float32(1e-40))  # subnormal
    assert add(tiny, 0.0) == 0.0
    assert _fn(compiled, "add.rn.f", ctypes.c_float, ctypes.c_float, ctypes.c_float)(
        tiny, 0.0) == pytest.approx(tiny)


def test_integer_helpers(compiled):
    mulhi = _fn(compiled, "mulhi.ull", ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64)
    assert mulhi(2 ** 63, 6) == 3
    hi = _fn(compiled, "d2i.hi", ctypes.c_int32, ctypes.c_double)
    lohi = _fn(compiled, "lohi.i2d", ctypes.c_double, ctypes.c_int32, ctypes.c_int32)
    assert lohi(0, hi(1.5)) == 1.5
