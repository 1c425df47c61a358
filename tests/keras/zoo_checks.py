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


def check_layer_grads(layer, x, rtol=1e-4, atol=1e-5, eps=1e-6, **call_kwargs):
    """Gradients of sum(layer(x)) w.r.t. x and every trainable weight against finite differences
    (build the layer with dtype='float64')."""
    x = np.asarray(x, dtype=np.float64)
    layer(tf.constant(x), **call_kwargs)
    check_grad(lambda v: layer(v, **call_kwargs), x, rtol=rtol, atol=atol, eps=eps)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(xt, **call_kwargs))
    grads = tape.gradient(y, layer.trainable_weights)
    for var, got in zip(layer.trainable_weights, grads):
        base = var.numpy().copy()

        def f(w, var=var):
            var.assign(w)
            return layer(xt, **call_kwargs).numpy()
        want = numeric_grad(f, base, eps)
        var.assign(base)
        np.testing.assert_allclose(np.asarray(got.numpy() if hasattr(got, "numpy") else got),
                                   want, rtol=rtol, atol=atol, err_msg=var.name)


def check_layer_compiled(layer, x, rtol=1e-5, atol=1e-5, **call_kwargs):
    """layer(x) under @tf.function equals the eager call."""
    xt = tf.nest.map_structure(tf.constant, x)
    eager = layer(xt, **call_kwargs)

    @tf.function
    def run(v):
        return layer(v, **call_kwargs)
    compiled = run(xt)
    for e, c in zip(tf.nest.flatten(eager), tf.nest.flatten(compiled)):
        np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=rtol, atol=atol)
    return eager


def check_config_round_trip(layer, x, **call_kwargs):
    """from_config(get_config()) with the same weights computes the same outputs."""
    xt = tf.nest.map_structure(tf.constant, x)
    want = layer(xt, **call_kwargs)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone(xt, **call_kwargs)
    clone.set_weights(layer.get_weights())
    got = clone(xt, **call_kwargs)
    for e, c in zip(tf.nest.flatten(want), tf.nest.flatten(got)):
        np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=1e-6, atol=1e-6)
    assert clone.get_config() == config
    return clone
