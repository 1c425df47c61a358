"""Differential harness, registered ops: every OpSpec case (tests/ops/specs_*.py) run inside a
tf.function on backend="cpu" agrees with the same call run eagerly.

Integers and booleans must match exactly; floats within RTOL[dtype] relative to the magnitude of
the eager result (vector math is within a few ULP and float reductions accumulate in a different
order, in float64). To keep compile time low, all cases of one spec are traced into one function
(one LLVM module). Cases whose eager call raises are left to the eager op tests.
"""
import numpy as np
import pytest

import autograph_jit as tf
from tests.ops.test_registry import ALL_SPECS, _arrays, _as_list, _tensor_indices

# ops without a native lowering (RNG, conv2d, ...) run through host callbacks here, by design
pytestmark = pytest.mark.filterwarnings("ignore:.*run on the interpreter")

RTOL = {np.dtype(np.float16): 2e-3, np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-10}


def _runnable_cases(spec):
    out = []
    for case in spec.cases:
        if getattr(case, "marks", ()):
            continue
        idx = _tensor_indices(spec, case)
        args = [tf.constant(a) if i in idx else a for i, a in enumerate(_arrays(case))]
        try:
            want = _as_list(spec.fn(*args, **case.kwargs))
        except Exception:  # noqa: BLE001 - errors are the eager op tests' business
            continue
        if not all(isinstance(w, tf.Tensor) for w in want):
            continue
        out.append((case, idx, args, [np.asarray(w.numpy()) for w in want]))
    return out


def assert_agrees(got, want, what):
    got = np.asarray(got)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} vs eager {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs eager {want.shape}"
    if want.dtype.kind == "f":
        rtol = RTOL[want.dtype]
        finite = want[np.isfinite(want)]
        scale = float(np.max(np.abs(finite))) if finite.size else 1.0
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                   atol=rtol * max(scale, 1.0), equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.fixture
def quick_llvm(monkeypatch):
    """LLVM at -O0 here: this harness checks op semantics over ~150 modules, and -O3 more than
    doubles its time; tests/codegen/test_random_graphs.py and test_cpu_backend.py run the full
    -O3 pipeline (vectorized loops, reassociated reductions) on the same lowerings."""
    monkeypatch.setenv("AUTOGRAPH_JIT_OPT_LEVEL", "0")


def batched(spec, cases):
    """(fn, tensor arguments, eager outputs): one function running every case of `spec`, its
    tensor arguments flattened in order, and the expected outputs, flattened the same way."""
    flat = [a for (_, idx, args, _) in cases for i, a in enumerate(args) if i in idx]

    def batch(*tensors):
        it = iter(tensors)
        outs = []
        for case, idx, args, _ in cases:
            call = [next(it) if i in idx else a for i, a in enumerate(args)]
            outs.extend(_as_list(spec.fn(*call, **case.kwargs)))
        return outs
    return batch, flat, [w for (_, _, _, ws) in cases for w in ws]


@pytest.mark.parametrize("spec", [s for s in ALL_SPECS if not getattr(s, "marks", ())],
                         ids=lambda s: s.name)
def test_compiled_op_matches_eager(spec, quick_llvm):
    cases = _runnable_cases(spec)
    if not cases:
        pytest.skip("no case runs eagerly")
    batch, flat, want = batched(spec, cases)
    compiled = tf.function(batch, backend="cpu", autograph=False)
    got = compiled(*flat)
    assert len(got) == len(want)
    k = 0
    for case, _, _, ws in cases:
        for j in range(len(ws)):
            assert_agrees(got[k].numpy(), want[k], f"{spec.name}{case!r} output {j}")
            k += 1
