"""Gradients through a tf.while_loop traced inside a tf.function (the tape inside the function):
equal to the gradient of the same loop run eagerly, for loop variables, captured tensors and
variables read in the body, over zero, one and many iterations, nested loops, and with
tf.print in the body printing once per forward iteration."""
import numpy as np
import pytest

import autograph_jit as tf


def _loop(x, n, w):
    _, y = tf.while_loop(lambda i, y: i < n,
                         lambda i, y: (i + 1, tf.tanh(y * w) + x * 0.5), [0, x])
    return tf.reduce_sum(y * y)


def _grads_eager(x, n, w):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loop(x, n, w)
    return [loss] + tape.gradient(loss, [x, w])


@tf.function
def _grads_traced(x, n, w):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loop(x, n, w)
    return [loss] + tape.gradient(loss, [x, w])


@pytest.mark.parametrize("n", [0, 1, 4])
def test_while_gradient_in_function_matches_eager_for_vars_captures_and_variables(n):
    w = tf.Variable([0.7, -1.2, 0.3])
    x = tf.constant([0.5, -0.3, 2.0])
    eager = _grads_eager(x, tf.constant(n), w)
    traced = _grads_traced(x, tf.constant(n), w)
    if n == 0:
        # Known divergence (TF's too): eagerly a loop that never runs never reads `w`, so its
        # gradient is None; the traced loop reads `w` in its body region, so it is zeros.
        assert eager[2] is None
        eager[2] = tf.zeros_like(w)
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_while_gradient_traces_once_and_reruns_for_new_iteration_counts():
    w = tf.Variable([0.7, -1.2, 0.3])
    x = tf.constant([0.5, -0.3, 2.0])
    fn = tf.function(lambda x, n: _grads_traced.python_function(x, n, w))
    for n in (2, 5):
        eager = _grads_eager(x, tf.constant(n), w)
        traced = fn(x, tf.constant(n))
        np.testing.assert_allclose(eager[1].numpy(), traced[1].numpy(), rtol=1e-5)
    assert fn.experimental_get_tracing_count() == 1


def test_gradient_of_polynomial_built_by_while_loop_is_exact():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x + 1.0),
                                 [0, tf.constant(1.0)])
        return tape.gradient(y, x)
    # y = x^3 + x^2 + x + 1, dy/dx = 3x^2 + 2x + 1
    assert f(tf.constant(2.0)).numpy() == pytest.approx(17.0)


def test_gradient_through_nested_while_loops_matches_eager():
    def loss_fn(x):
        def outer(i, y):
            _, y = tf.while_loop(lambda j, z: j < 2, lambda j, z: (j + 1, tf.sin(z) * x), [0, y])
            return i + 1, y
        return tf.while_loop(lambda i, y: i < 3, outer, [0, x])[1]

    x = tf.constant(0.8)
    with tf.GradientTape() as tape:
        tape.watch(x)
        eager = loss_fn(x)
    g_eager = tape.gradient(eager, x)

    @tf.function
    def traced(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = loss_fn(x)
        return tape.gradient(y, x)
    np.testing.assert_allclose(traced(x).numpy(), g_eager.numpy(), rtol=1e-5)


def test_while_gradient_with_maximum_iterations_stops_where_the_forward_loop_stopped():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.while_loop(lambda y: y < 1e6, lambda y: y * x, [x], maximum_iterations=3)[0]
        return y, tape.gradient(y, x)
    y, g = f(tf.constant(2.0))
    # three iterations: y = x^4, dy/dx = 4x^3
    assert y.numpy() == pytest.approx(16.0)
    assert g.numpy() == pytest.approx(32.0)


def test_print_in_differentiated_loop_body_prints_once_per_forward_iteration(capfd):
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.while_loop(lambda i, y: i < 3,
                              lambda i, y: (i + 1, tf.identity(y * 2.0)), [0, x])[1]
            tf.print("done")
        return tape.gradient(y, x)

    @tf.function
    def g(x):
        def body(i, y):
            tf.print("step", i)
            return i + 1, y * 2.0
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.while_loop(lambda i, y: i < 3, body, [0, x])[1]
        return tape.gradient(y, x)
    assert f(tf.constant(1.0)).numpy() == 8.0
    assert g(tf.constant(1.0)).numpy() == 8.0
    err = capfd.readouterr().err
    assert err.count("step") == 3
    assert err.count("done") == 1


def test_gradient_through_loop_that_assigns_a_variable_raises_with_the_line():
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            def body(i, y):
                v.assign_add(1.0)
                return i + 1, y * x
            y = tf.while_loop(lambda i, y: i < 3, body, [0, x])[1]
        return tape.gradient(y, x)
    with pytest.raises(TypeError, match=r"assigns a variable \(test_while_gradient.py:\d+\)"):
        f(tf.constant(2.0))
