"""Differential harness on the GPU: every registered op's OpSpec cases (tests/ops/specs_*.py),
batched into one function per op as tests/codegen/test_ops_differential.py does, run with
backend='gpu' on the grid emulator and compared with eager. Ops without a GPU kernel run as
host steps here (reported, allowed); everything else runs as kernels. Long: marked soak."""
import pytest

import autograph_jit as tf
from tests.codegen.test_ops_differential import _runnable_cases, assert_agrees, batched
from tests.ops.test_registry import ALL_SPECS

pytestmark = [pytest.mark.soak, pytest.mark.filterwarnings("ignore:.*run on the host")]


@pytest.mark.parametrize("spec", [s for s in ALL_SPECS if not getattr(s, "marks", ())],
                         ids=lambda s: s.name)
def test_gpu_op_matches_eager(spec, device):
    cases = _runnable_cases(spec)
    if not cases:
        pytest.skip("no case runs eagerly")
    batch, flat, want = batched(spec, cases)
    compiled = tf.function(batch, backend="gpu", autograph=False)
    got = compiled(*flat)
    assert len(got) == len(want)
    k = 0
    for case, _, _, ws in cases:
        for j in range(len(ws)):
            assert_agrees(got[k].numpy(), want[k], f"{spec.name}{case!r} output {j}")
            k += 1
