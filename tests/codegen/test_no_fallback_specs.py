"""The op-spec cases (tests/ops/specs_*.py) of ops that used to run through host callbacks —
softmax_cross_entropy_with_logits, float16 conv2d and pooling — compile to native code on the CPU
backend with no fallback, and agree with eager (the differential harness's own check)."""
import pytest

import autograph_jit as tf
from tests.ops.test_registry import ALL_SPECS

from .test_ops_differential import _runnable_cases, assert_agrees, batched

NATIVE_SPECS = ["softmax_cross_entropy_with_logits", "conv2d/float16", "avg_pool2d/float16",
                "max_pool2d", "avg_pool2d", "conv2d", "conv2d_transpose",
                "conv2d_backprop_filter"]


@pytest.mark.parametrize("name", NATIVE_SPECS)
def test_spec_cases_compile_without_a_fallback_and_agree_with_eager(name):
    spec = next(s for s in ALL_SPECS if s.name == name)
    cases = _runnable_cases(spec)
    assert cases
    batch, flat, want = batched(spec, cases)
    cf = tf.function(batch, backend="cpu", autograph=False).get_concrete_function(*flat)
    got = cf(*flat)
    assert not cf.fallbacks, [reason for _, reason in cf.fallbacks]
    assert all(not exe.host_nodes for exe in cf.native_executables)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_agrees(g.numpy(), w, f"{name} output {k}")
