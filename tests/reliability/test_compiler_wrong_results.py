"""Compiled code gives the eager answer where it used to be silently wrong (issue 11, defect 5):
a TensorArray grown in a loop written as an element of another, and gradients through
while/cond where an unused value meets 0 * inf in a VJP."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf


def _nested_arrays(x):
    outer = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    inner = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for j in tf.range(2):
        inner = inner.write(j, x)
    for j in tf.range(2):
        outer = outer.write(j, inner.stack())
    return outer.stack()


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_array_grown_in_a_loop_written_into_another_keeps_its_rows(backend):
    x = tf.constant([1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (the loop may run on the interpreter)
        got = tf.function(_nested_arrays, backend=backend)(x)
    want = _nested_arrays(x)
    assert got.shape == want.shape == (2, 2, 3)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def _loop_unused_feeds_next(a0, a1):
    # `unused` of the last iteration reaches no loss; a1 ** inf has infinite partials
    with tf.GradientTape() as t:
        t.watch([a0, a1])
        i = tf.constant(0)
        s = a1
        unused = a1
        while i < 2:
            s = s * 2.0 + unused
            unused = a1 ** a0
            i += 1
        loss = s
    return t.gradient(loss, [a0, a1])


def _loop_unused_carried(a0, a1):
    with tf.GradientTape() as t:
        t.watch([a0, a1])
        i = tf.constant(0)
        s = a1
        unused = a1 ** a0
        while i < 3:
            unused = unused * a1 ** a0
            s = s * 2.0
            i += 1
        loss = s
    return t.gradient(loss, [a0, a1])


def _cond_unused(a0, a1):
    with tf.GradientTape() as t:
        t.watch([a0, a1])
        if a1 > -1.0:
            unused = a1 ** a0
            s = a1 * 2.0
        else:
            unused = a1
            s = a1 * 3.0
        loss = s
    return t.gradient(loss, [a0, a1]) + [unused]  # (unused leaves the cond: not pruned)


def _as_np(gs):
    return [np.zeros(()) if g is None else g.numpy() for g in gs]


@pytest.mark.parametrize("fn", [_loop_unused_feeds_next, _loop_unused_carried,
                                _cond_unused])
@pytest.mark.parametrize("backend", ["cpu", "eager"])
@pytest.mark.parametrize("a1", [2.0, 0.0])
def test_gradient_through_control_flow_skips_zero_cotangents_like_eager(fn, backend, a1):
    a0 = tf.constant(np.inf, tf.float32)
    a1 = tf.constant(a1)
    want = _as_np(fn(a0, a1))
    got = _as_np(tf.function(fn, backend=backend)(a0, a1))
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("backend", ["eager", "cpu"])
def test_if_conversion_never_runs_a_branch_op_whose_shapes_are_unknown_at_trace_time(backend):
    # fuzz seed 107118: the untaken branch multiplies [0, 1] by [3, 1]; if-conversion computed
    # both branches, so the graph raised where eager (and TF) take the other branch
    @tf.function(input_signature=[tf.TensorSpec([None, 1]), tf.TensorSpec([3, 1])],
                 backend=backend)
    def f(a, b):
        if tf.reduce_all(a > 0.5):  # True for an empty `a`
            v = b - 2.5
        else:
            v = tf.floor(a * b)
        return v

    a, b = np.zeros((0, 1), np.float32), np.ones((3, 1), np.float32)
    np.testing.assert_array_equal(f(a, b).numpy(), b - 2.5)


@pytest.mark.parametrize("backend", ["eager", "cpu"])
def test_fusion_never_joins_values_whose_unknown_dims_may_broadcast(backend):
    # fuzz seed 109268: negative(a[3, ?]) and its product with pad(b)[?] printed the same shape
    # [3, ?] and were fused into one loop, but at run time they are [3, 1] and [3, 4]: the native
    # code read past `a` (garbage values)
    sig = [tf.TensorSpec([3, None], tf.int64), tf.TensorSpec([None], tf.int64)]

    @tf.function(input_signature=sig, backend=backend, autograph=False)
    def f(a, b):
        neg = tf.negative(a)
        return neg * tf.pad(b, [[0, 1]]), tf.pad(b, [[0, 1]]), neg

    a = np.array([[3], [-1], [5]], np.int64)
    b = np.array([7, -3, 3], np.int64)
    want = -a * np.pad(b, [0, 1])
    np.testing.assert_array_equal(f(a, b)[0].numpy(), want)
    # (the wrong loop read whatever lay past `a`, which can happen to look right: check the plan)
    assert "neg→mul" not in str(f.get_concrete_function().optimized_graph)
