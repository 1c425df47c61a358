"""Shared checks for the Keras layer/loss/metric tests: finite-difference gradients and
eager-vs-`tf.function` agreement."""
import numpy as np

import autograph_jit as tf


def numeric_grad(f, x, eps=1e-3):
    """Central differences of the scalar sum of f(x) in float64."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (np.sum(np.asarray(f(xp))) - np.sum(np.asarray(f(xm)))) / (2 * eps)
    return g


def check_grad(fn, *args, wrt=0, rtol=1e-4, atol=1e-4, eps=1e-4):
    """GradientTape's gradient of sum(fn(*args)) w.r.t. args[wrt] against finite differences
    (computed in float64)."""
    args = [np.asarray(a, dtype=np.float64) for a in args]

    def f_np(x):
        a = list(args)
        a[wrt] = x
        return fn(*[tf.constant(v) for v in a]).numpy()

    x = tf.constant(args[wrt])
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = [tf.constant(v) for v in args]
        a[wrt] = x
        y = tf.reduce_sum(fn(*a))
    got = tape.gradient(y, x).numpy()
    want = numeric_grad(f_np, args[wrt], eps)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def check_compiled(fn, *args, rtol=1e-5, atol=1e-6):
    """fn under @tf.function (default backend) gives the eager values."""
    tensors = [tf.constant(a) for a in args]
    eager = fn(*tensors)
    compiled = tf.function(fn)(*tensors)
    for e, c in zip(tf.nest.flatten(eager), tf.nest.flatten(compiled)):
        np.testing.assert_allclose(np.asarray(c.numpy() if hasattr(c, "numpy") else c),
                                   np.asarray(e.numpy() if hasattr(e, "numpy") else e),
                                   rtol=rtol, atol=atol)
    return eager
