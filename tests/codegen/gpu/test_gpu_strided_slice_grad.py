"""strided_slice_grad on the GPU (codegen/gpu/k_index.py: the CPU backend's lowering rebound to
grid-stride kernels) for every slice spec the CPU backend lowers: static specs with negative
steps, run-time indices (negative ones wrap, out-of-range ones raise eager's error), run-time
slice bounds (wrapped and clamped as slice.indices(), with positive and negative static steps,
beside new axes, ellipses and indices; a length that does not match the gradient raises), in
float32, float64 and int32; emulator against eager, ptxas sm_75/80/90 on every module. Also the
user-level case: the gradient of `x[i:j]` inside a tf.function, whose forward slice has a
data-dependent shape."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import errors
from autograph_jit.ops.opdef import apply
from autograph_jit.ops.slicing import _strided_slice_grad

from .conftest import run_both

A, B = ("arg", 0), ("arg", 1)
IN_SHAPE = (7, 6)
# name: (spec, gradient shape for i = 2, j = 5 and a 7 x 6 input)
SPECS = {
    "static_negative_steps": ((("slice", 1, 6, 2), ("slice", None, None, -2)), (3, 3)),
    "run_time_index": ((("index", A),), (6,)),
    "run_time_index_in_a_column": ((("slice", None, None, None), ("index", B)), (7,)),
    "run_time_bounds": ((("slice", A, B, None),), (3, 6)),
    "run_time_bounds_step_2": ((("slice", A, B, 2),), (2, 6)),
    "run_time_bounds_negative_step": ((("slice", B, A, -1),), (3, 6)),
    "run_time_start_only": ((("slice", A, None, None),), (5, 6)),
    "run_time_stop_only_negative_step": ((("slice", None, A, -2),), (2, 6)),
    "run_time_bounds_two_dims": ((("slice", A, B, None), ("slice", 1, A, None)), (3, 1)),
    "run_time_bounds_and_new_axis": ((("slice", A, B, None), ("new",)), (3, 1, 6)),
    "run_time_bounds_and_index": ((("slice", A, B, None), ("index", A)), (3,)),
    "ellipsis_then_run_time_bounds": ((("...",), ("slice", A, B, None)), (7, 3)),
    "new_axis_index_and_static_slice": ((("new",), ("index", A), ("slice", 1, 3, None)),
                                        (1, 2)),
}


def _grad(spec):
    def f(g, i, j):
        return apply(_strided_slice_grad, g, tf.constant(list(IN_SHAPE)), i, j, spec=spec)
    return f


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_every_spec_the_cpu_lowers_runs_on_the_gpu(device, name, dtype):
    spec, gshape = SPECS[name]
    g = tf.constant((np.arange(np.prod(gshape)) + 1).reshape(gshape).astype(dtype))
    run_both(_grad(spec), g, tf.constant(2), tf.constant(5))


def test_negative_run_time_bounds_wrap_like_python(device):
    spec, gshape = SPECS["run_time_bounds"]
    g = tf.constant(np.ones(gshape, np.float32))
    run_both(_grad(spec), g, tf.constant(-5), tf.constant(-2))     # rows 2..4, as 2:5


def test_out_of_range_run_time_index_raises_eagers_error(device):
    spec, gshape = SPECS["run_time_index"]
    f = tf.function(_grad(spec), backend="gpu", strict=True)
    g = tf.constant(np.ones(gshape, np.float32))
    f(g, tf.constant(6), tf.constant(0))
    with pytest.raises(errors.InvalidArgumentError, match="slice index 7 of dimension 0"):
        f(g, tf.constant(7), tf.constant(0))


def test_bounds_whose_length_differs_from_the_gradient_raise(device):
    spec, gshape = SPECS["run_time_bounds"]
    f = tf.function(_grad(spec), backend="gpu", strict=True)
    g = tf.constant(np.ones(gshape, np.float32))
    with pytest.raises(errors.InvalidArgumentError, match="has 4 elements but the value has 3"):
        f(g, tf.constant(1), tf.constant(5))


def _gradient_of_a_run_time_slice(a, i, j):
    with tf.GradientTape() as tape:
        tape.watch(a)
        b = tf.tanh(a * 0.1)
        y = tf.reduce_sum(b[i:j] * b[i:j])
    return tape.gradient(y, a)


@pytest.mark.filterwarnings("ignore:.*run on the host")
def test_gradient_of_a_run_time_slice_runs_on_the_gpu_around_the_slice(device):
    x = tf.constant(np.arange(42, dtype=np.float32).reshape(IN_SHAPE))
    gpu = tf.function(_gradient_of_a_run_time_slice, backend="gpu")
    for i, j in [(2, 5), (1, 6), (2, 5), (-3, 7), (5, 2)]:
        got = gpu(x, tf.constant(i), tf.constant(j))
        want = _gradient_of_a_run_time_slice(x, tf.constant(i), tf.constant(j))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    lines = gpu.get_concrete_function(x, tf.constant(2), tf.constant(5)).explain().splitlines()
    assert any("cut at strided_slice" in line and "between two GPU segments" in line
               for line in lines), lines
    plan = gpu.get_concrete_function(x, tf.constant(2), tf.constant(5))._gpu.plans[0]
    assert plan.prefix.last_plan().launches()           # tanh(a * 0.1) on the GPU
    rest = plan.suffix.last_plan()
    assert not rest.host_steps() and not rest.fallbacks
    assert any("strided_slice_grad" in k for k in rest.annotations), rest.annotations
    with pytest.raises(errors.FallbackError, match="whole function would run on the host"):
        tf.function(_gradient_of_a_run_time_slice, backend="gpu", strict=True)(
            x, tf.constant(2), tf.constant(5))


@pytest.mark.filterwarnings("ignore:.*run on the host")
def test_boolean_mask_between_two_gpu_segments_matches_eager(device):
    x = tf.constant(np.linspace(-2, 2, 30, dtype=np.float32).reshape(5, 6))

    def f(a):
        b = a * 3.0 + 1.0
        kept = tf.boolean_mask(b, b > 0.5)
        return tf.reduce_sum(kept * kept), b
    gpu = tf.function(f, backend="gpu")
    for _ in range(2):
        got, want = gpu(x), f(x)
        for g_, w_ in zip(got, want):
            np.testing.assert_allclose(g_.numpy(), w_.numpy(), rtol=1e-5)


@pytest.mark.filterwarnings("ignore:.*run on the host", "ignore:.*run on the interpreter")
@pytest.mark.parametrize("backend", ["gpu", "cpu"])
def test_a_run_time_step_is_one_reported_host_op_not_a_broken_module(device, backend):
    spec = (("slice", None, None, A),)           # neither backend has a kernel for it

    def f(g, i):
        return apply(_strided_slice_grad, g * 2.0, tf.constant(list(IN_SHAPE)), i, spec=spec)
    g = tf.constant(np.ones((4, 6), np.float32))
    fn = tf.function(f, backend=backend)
    np.testing.assert_array_equal(fn(g, tf.constant(2)).numpy(), f(g, tf.constant(2)).numpy())
    np.testing.assert_array_equal(fn(g, tf.constant(-2)).numpy(), f(g, tf.constant(-2)).numpy())
    text = fn.get_concrete_function(g, tf.constant(2)).explain()
    assert "strided_slice_grad with a run-time or zero step" in text
    assert "could not compile" not in text


@pytest.mark.filterwarnings("ignore:.*run on the host")
def test_new_shapes_past_the_variant_limit_run_the_rest_on_the_interpreter(device, monkeypatch):
    from autograph_jit.codegen.llvm import variants
    monkeypatch.setattr(variants, "EAGER_VARIANTS", 1)
    x = tf.constant(np.arange(42, dtype=np.float32).reshape(IN_SHAPE))
    gpu = tf.function(_gradient_of_a_run_time_slice, backend="gpu")
    for i, j in [(2, 5), (1, 6), (1, 6), (1, 6)]:
        got = gpu(x, tf.constant(i), tf.constant(j))
        want = _gradient_of_a_run_time_slice(x, tf.constant(i), tf.constant(j))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    plan = gpu.get_concrete_function(x, tf.constant(2), tf.constant(5))._gpu.plans[0]
    assert plan.interpreted                       # (1, 6): interpreted on its first two calls
    assert len(plan.suffix.plans) == 2            # then compiled on its third
    assert any("distinct data-dependent input shapes" in line for line in plan.report_lines())
