"""backend='gpu' on the grid emulator: host-driven cond and while_loop (predicates read back),
variables as device mirrors written back after each call, and the MLP Adam training step
(test_training_step.py's model) equal to eager step by step."""

import numpy as np
import pytest

import autograph_jit as tf

from ...tracing.test_training_step import _model_and_data, _step_fn
from .conftest import assemble_all, run_both



def collatz(n):
    steps = tf.constant(0)
    while n > 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("start", [1, 6, 27])
def test_collatz_loop_runs_host_driven_and_matches_eager(device, start):
    run_both(collatz, tf.constant(start))


def test_cond_on_a_tensor_picks_the_branch_at_run_time(device):
    def f(x):
        if tf.reduce_sum(x) > 0:
            y = x * 2.0
        else:
            y = -x
        return y + 1.0
    g, _ = run_both(f, np.arange(-3, 4, dtype=np.float32))
    np.testing.assert_allclose(g(np.full(7, -1.0, np.float32)).numpy(), np.full(7, 2.0))


def test_while_loop_swapping_two_variables_keeps_both(device):
    def f(a, b):
        for _ in tf.range(3):
            a, b = b, a + b
        return a, b
    run_both(f, np.float32(1.0) * np.ones(5, np.float32), np.arange(5, dtype=np.float32))


def test_variables_stay_on_the_device_and_are_written_back_each_call(device):
    v = tf.Variable(np.arange(6, dtype=np.float32))
    w = tf.Variable(np.ones(6, np.float32))

    @tf.function(backend="gpu")
    def bump(x):
        old = v.read_value()
        v.assign(v * 2.0 + x)
        w.assign_add(old)
        return old
    expect_v, expect_w = np.arange(6, dtype=np.float32), np.ones(6, np.float32)
    for k in range(3):
        x = np.full(6, k, np.float32)
        got = bump(x).numpy()
        np.testing.assert_array_equal(got, expect_v)
        expect_w = expect_w + expect_v
        expect_v = expect_v * 2.0 + x
        np.testing.assert_array_equal(v.numpy(), expect_v)
        np.testing.assert_array_equal(w.numpy(), expect_w)
    v.assign(np.zeros(6, np.float32))   # an eager write: the next call uploads it again
    np.testing.assert_array_equal(bump(np.zeros(6, np.float32)).numpy(), np.zeros(6))


def test_mlp_adam_step_matches_eager_step_by_step_with_no_host_op(device):
    x, labels, eager_params = _model_and_data()
    _, _, gpu_params = _model_and_data()
    eager_step = _step_fn(eager_params, tf.keras.optimizers.Adam(0.01))
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(gpu_params)
    gpu_step = tf.function(_step_fn(gpu_params, opt), backend="gpu", strict=True)
    for _ in range(3):
        a = eager_step(x, labels)
        b = gpu_step(x, labels)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=2e-5, atol=1e-6)
    for p, q in zip(eager_params, gpu_params):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-4, atol=1e-5)
    cf = gpu_step.get_concrete_function(x, labels)
    assert cf._gpu.last_plan().host_steps() == []
    assemble_all(cf._gpu.last_plan())
    assert cf.ptx().isascii()


def test_training_step_updates_variables_in_place_without_copy_kernels(device):
    x, labels, params = _model_and_data()
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(params)
    step = tf.function(_step_fn(params, opt), backend="gpu", strict=True)
    step(x, labels)
    plan = step.get_concrete_function(x, labels)._gpu.last_plan()
    notes = list(plan.annotations.values())
    assert not [n for n in notes if n.startswith(("assign ", "read "))], notes
    assert len(plan.launches()) <= 17


@pytest.mark.parametrize("case", ["read_between", "transpose_self", "result_read",
                                  "broadcast_self"])
def test_in_place_variable_updates_keep_eager_read_order(device, case):
    init = np.arange(9, dtype=np.float32).reshape(3, 3)

    def body(v):
        if case == "read_between":       # the new value exists before a later read of v
            new = v * 2.0
            seen = v.read_value() + 1.0
            v.assign(new)
            return seen
        if case == "transpose_self":     # a view of the mirror assigned back onto it
            v.assign(tf.transpose(v))
            return v.read_value()
        if case == "result_read":        # the old value is a result
            old = v.read_value()
            v.assign(old * 3.0)
            return old
        v.assign(v * v[0:1, :])          # a broadcast read of the mirror in the same map
        return tf.constant(1.0)
    ve, vg = tf.Variable(init), tf.Variable(init)
    f = tf.function(lambda: body(vg), backend="gpu", strict=True)
    for _ in range(2):
        want, got = body(ve), f()
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        np.testing.assert_array_equal(vg.numpy(), ve.numpy())
