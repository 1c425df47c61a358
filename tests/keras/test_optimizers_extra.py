"""Nadam, Adadelta and AdamW against NumPy re-implementations of Keras 3's formulas (eagerly
and inside a tf.function), the optimizer names `compile` accepts, and a settable
learning rate."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import optimizers

GRADS = [(np.array([[0.5, -1.0], [2.0, 0.1]]), np.array(0.3)),
         (np.array([[-0.2, 0.4], [1.5, -0.7]]), np.array(-1.2)),
         (np.array([[0.9, 0.0], [-0.3, 2.5]]), np.array(0.05))]
INIT = (np.array([[1.0, -2.0], [0.5, 3.0]]), np.array(0.7))


def ref_nadam(dt, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    lr, b1, b2 = dt(np.float32(learning_rate)), dt(np.float32(beta_1)), dt(np.float32(beta_2))
    state = {"u": dt(1.0)}

    def begin(i):
        state["u"] = state["u"] * b1 * (dt(1) - dt(0.5) * dt(np.float32(0.96)) ** dt(i + 1))

    def step(i, k, var, g):
        t, t1 = dt(i + 1), dt(i + 2)
        decay = dt(np.float32(0.96))
        u_t = b1 * (dt(1) - dt(0.5) * decay ** t)
        u_t1 = b1 * (dt(1) - dt(0.5) * decay ** t1)
        u_prod = state["u"]
        m, v = state.get(k, (np.zeros_like(var),) * 2)
        m = m + (g - m) * (dt(1) - b1)
        v = v + (g * g - v) * (dt(1) - b2)
        state[k] = (m, v)
        m_hat = u_t1 * m / (dt(1) - u_prod * u_t1) + (dt(1) - u_t) * g / (dt(1) - u_prod)
        v_hat = v / (dt(1) - b2 ** t)
        return var - (m_hat * lr) / (np.sqrt(v_hat) + dt(epsilon))
    return begin, step


def ref_adadelta(dt, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    lr = dt(np.float32(learning_rate))
    state = {}

    def step(i, k, var, g):
        ag, ad = state.get(k, (np.zeros_like(var),) * 2)
        ag = dt(rho) * ag + dt(1 - rho) * g * g
        delta = -(np.sqrt(ad + dt(epsilon)) * g) / np.sqrt(ag + dt(epsilon))
        ad = dt(rho) * ad + dt(1 - rho) * delta * delta
        state[k] = (ag, ad)
        return var + lr * delta
    return (lambda i: None), step


def ref_adamw(dt, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
              epsilon=1e-7):
    lr = dt(np.float32(learning_rate))
    state = {}

    def step(i, k, var, g):
        var = var - var * dt(np.float32(weight_decay)) * lr
        t = dt(i + 1)
        m, v = state.get(k, (np.zeros_like(var),) * 2)
        alpha = lr * np.sqrt(dt(1) - dt(np.float32(beta_2)) ** t) / \
            (dt(1) - dt(np.float32(beta_1)) ** t)
        m = m + (g - m) * dt(1 - beta_1)
        v = v + (g * g - v) * dt(1 - beta_2)
        state[k] = (m, v)
        return var - (m * alpha) / (np.sqrt(v) + dt(epsilon))
    return (lambda i: None), step


CASES = {
    "nadam": (optimizers.Nadam, ref_nadam, dict(learning_rate=0.01)),
    "adadelta": (optimizers.Adadelta, ref_adadelta, dict(learning_rate=1.0)),
    "adamw": (optimizers.AdamW, ref_adamw, dict(learning_rate=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_three_steps_match_keras3_formulas(case, dtype, compiled):
    cls, ref, kwargs = CASES[case]
    dt = np.dtype(dtype).type
    opt = cls(**kwargs)
    variables = [tf.Variable(x, dtype=dtype) for x in INIT]
    expected = [x.astype(dtype) for x in INIT]
    begin, step = ref(dt, **kwargs)

    def apply(g0, g1):
        opt.apply_gradients(zip([g0, g1], variables))
    if compiled:
        apply = tf.function(apply)
    for i, grads in enumerate(GRADS):
        gs = [g.astype(dtype) for g in grads]
        apply(tf.constant(gs[0]), tf.constant(gs[1]))
        begin(i)
        expected = [step(i, k, e, g) for k, (e, g) in enumerate(zip(expected, gs))]
    tol = 2e-6 if dtype == "float32" else 1e-12
    for var, want in zip(variables, expected):
        np.testing.assert_allclose(var.numpy(), want, rtol=tol, atol=tol)
    assert int(opt.iterations.numpy()) == 3


@pytest.mark.parametrize("name,cls", [("sgd", "SGD"), ("adam", "Adam"), ("rmsprop", "RMSprop"),
                                      ("adagrad", "Adagrad"), ("nadam", "Nadam"),
                                      ("adadelta", "Adadelta"), ("adamw", "AdamW")])
def test_names_resolve_to_optimizer_classes(name, cls):
    assert type(optimizers.get(name)).__name__ == cls
    assert type(tf.keras.optimizers.get(name)).__name__ == cls


def test_unknown_optimizer_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="adamw"):
        optimizers.get("adamx")


def test_adamw_requires_weight_decay_and_learning_rate_is_settable():
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    opt = optimizers.Nadam(learning_rate=0.1)
    opt.learning_rate = 0.01
    assert np.isclose(float(opt.learning_rate.numpy()), 0.01)


def test_global_clipnorm_scales_all_gradients_together():
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    a, b = tf.Variable([0.0, 0.0]), tf.Variable([0.0])
    opt.apply_gradients([(tf.constant([3.0, 0.0]), a), (tf.constant([4.0]), b)])
    np.testing.assert_allclose(a.numpy(), [-0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-0.8], rtol=1e-6)
