"""The eager train step's shortcuts give exactly the values and gradients of the general path:
`divide_no_nan` with no zero divisor is one division eagerly (losses' and metrics' means), and
a division's VJP skips the divisor's gradient when no tape asks for it."""
import numpy as np
import pytest

import autograph_jit as tf


def _grads(fn, x, y):
    with tf.GradientTape() as tape:
        tape.watch(x)
        tape.watch(y)
        out = fn(x, y)
        loss = tf.reduce_sum(out * out)
    gx, gy = tape.gradient(loss, [x, y])
    return out, gx, gy


@pytest.mark.parametrize("y", [[2.0, 3.0, 7.0], [2.0, 0.0, 7.0], [[3.0], [0.5]], 4.0])
def test_divide_no_nan_eager_matches_traced_values_and_gradients(y):
    x = tf.constant([[1.0, -2.0, 5.0], [0.25, 3.0, -1.5]])
    y = tf.constant(y)
    eager = [t.numpy() for t in _grads(tf.math.divide_no_nan, x, y)]
    traced = tf.function(lambda a, b: _grads(tf.math.divide_no_nan, a, b), backend="eager")(x, y)
    for a, b in zip(eager, traced):
        np.testing.assert_array_equal(a, b.numpy())
    safe = np.where(y.numpy() == 0, 1.0, y.numpy())
    expected = np.where(y.numpy() == 0, 0.0, x.numpy() / safe).astype(np.float32)
    np.testing.assert_array_equal(eager[0], expected)


def test_division_gradient_for_an_unwatched_divisor_equals_the_full_vjp():
    x = tf.Variable([1.0, 2.0, 3.0])
    n = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(n)
        mean = tf.reduce_sum(x) / n
    full = tape.gradient(mean, [x, n])
    with tf.GradientTape() as tape:
        mean = tf.reduce_sum(x) / n
    only_x = tape.gradient(mean, x)
    np.testing.assert_array_equal(only_x.numpy(), full[0].numpy())
    np.testing.assert_allclose(full[1].numpy(), -2.0 / 3.0, rtol=1e-6)
