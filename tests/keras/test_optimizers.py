"""tf.keras.optimizers: each update rule against a NumPy re-implementation of Keras 3's formulas,
plus the base-class behaviour (None gradients, iterations, minimize, learning-rate changes)."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import optimizers

GRADS = [  # three steps of gradients for a (2, 2) matrix and a scalar
    (np.array([[0.5, -1.0], [2.0, 0.1]]), np.array(0.3)),
    (np.array([[-0.2, 0.4], [1.5, -0.7]]), np.array(-1.2)),
    (np.array([[0.9, 0.0], [-0.3, 2.5]]), np.array(0.05)),
]
INIT = (np.array([[1.0, -2.0], [0.5, 3.0]]), np.array(0.7))


def _tf_cast(x, dt):
    """What `tf.cast(python_float, dt)` gives: the float becomes float32 first, as in TF."""
    return dt(np.float32(x))


def ref_sgd(dt, learning_rate=0.01, momentum=0.0, nesterov=False):
    lr = _tf_cast(learning_rate, dt)
    mom = _tf_cast(momentum, dt)
    state = {}

    def step(i, k, var, g):
        if momentum == 0:
            return var - g * lr
        m = state.get(k, np.zeros_like(var))
        m = m * mom - g * lr
        state[k] = m
        return var + (m * mom - g * lr if nesterov else m)
    return step


def ref_adam(dt, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    lr = _tf_cast(learning_rate, dt)
    state = {}

    def step(i, k, var, g):
        t = dt(i + 1)
        b1p = _tf_cast(beta_1, dt) ** t
        b2p = _tf_cast(beta_2, dt) ** t
        m, v, vh = state.get(k, (np.zeros_like(var),) * 3)
        alpha = lr * np.sqrt(dt(1) - b2p) / (dt(1) - b1p)
        m = m + (g - m) * dt(1 - beta_1)
        v = v + (g * g - v) * dt(1 - beta_2)
        vh = np.maximum(vh, v)
        state[k] = (m, v, vh)
        return var - (m * alpha) / (np.sqrt(vh if amsgrad else v) + dt(epsilon))
    return step


def ref_rmsprop(dt, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    lr = _tf_cast(learning_rate, dt)
    state = {}

    def step(i, k, var, g):
        v, a, mm = state.get(k, (np.zeros_like(var),) * 3)
        v = dt(rho) * v + dt(1 - rho) * (g * g)
        if centered:
            a = dt(rho) * a + dt(1 - rho) * g
            denom = v - a * a + dt(epsilon)
        else:
            denom = v + dt(epsilon)
        inc = (lr * g) / np.sqrt(denom)
        if momentum > 0:
            mm = dt(momentum) * mm + inc
            inc = mm
        state[k] = (v, a, mm)
        return var - inc
    return step


def ref_adagrad(dt, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    lr = _tf_cast(learning_rate, dt)
    state = {}

    def step(i, k, var, g):
        acc = state.get(k, np.full_like(var, initial_accumulator_value)) + g * g
        state[k] = acc
        return var - (lr * g) / np.sqrt(acc + dt(epsilon))
    return step


CASES = {
    "sgd": (optimizers.SGD, ref_sgd, dict(learning_rate=0.1)),
    "sgd_momentum": (optimizers.SGD, ref_sgd, dict(learning_rate=0.1, momentum=0.9)),
    "sgd_nesterov": (optimizers.SGD, ref_sgd, dict(learning_rate=0.1, momentum=0.9,
                                                   nesterov=True)),
    "adam": (optimizers.Adam, ref_adam, dict(learning_rate=0.01)),
    "adam_amsgrad": (optimizers.Adam, ref_adam, dict(learning_rate=0.01, amsgrad=True)),
    "rmsprop": (optimizers.RMSprop, ref_rmsprop, dict(learning_rate=0.01)),
    "rmsprop_momentum": (optimizers.RMSprop, ref_rmsprop, dict(learning_rate=0.01,
                                                               momentum=0.5)),
    "rmsprop_centered": (optimizers.RMSprop, ref_rmsprop, dict(learning_rate=0.01,
                                                               centered=True, momentum=0.3)),
    "adagrad": (optimizers.Adagrad, ref_adagrad, dict(learning_rate=0.1)),
    "adagrad_defaults": (optimizers.Adagrad, ref_adagrad, dict()),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_three_steps_match_keras3_formulas(case, dtype):
    cls, ref, kwargs = CASES[case]
    dt = np.dtype(dtype).type
    opt = cls(**kwargs)
    variables = [tf.Variable(x, dtype=dtype) for x in INIT]
    expected = [x.astype(dtype) for x in INIT]
    step = ref(dt, **kwargs)
    for i, grads in enumerate(GRADS):
        gs = [g.astype(dtype) for g in grads]
        opt.apply_gradients(zip([tf.constant(g) for g in gs], variables))
        expected = [step(i, k, e, g) for k, (e, g) in enumerate(zip(expected, gs))]
    tol = 1e-6 if dtype == "float32" else 1e-13
    for var, want in zip(variables, expected):
        assert var.dtype.name == dtype
        np.testing.assert_allclose(var.numpy(), want, rtol=tol, atol=tol)
    assert int(opt.iterations.numpy()) == 3


def test_defaults_match_keras3():
    assert float(optimizers.SGD().learning_rate.numpy()) == np.float32(0.01)
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    rms = optimizers.RMSprop()
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)
    ada = optimizers.Adagrad()
    assert (ada.initial_accumulator_value, ada.epsilon) == (0.1, 1e-7)
    assert [optimizers.SGD().name, adam.name, rms.name, ada.name] == \
        ["SGD", "adam", "rmsprop", "adagrad"]


def test_float32_gradient_is_cast_to_float64_variable():
    v = tf.Variable([1.0, 2.0], dtype="float64")
    optimizers.SGD(learning_rate=0.5).apply_gradients([(tf.constant([1.0, 2.0]), v)])
    assert v.dtype == tf.float64
    np.testing.assert_allclose(v.numpy(), [0.5, 1.0])


def test_none_gradients_are_skipped_with_a_warning():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt.apply_gradients([(tf.constant(1.0), a), (None, b)])
    assert a.numpy() == np.float32(0.9)
    assert b.numpy() == 2.0
    assert int(opt.iterations.numpy()) == 1


def test_all_none_gradients_raise():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, tf.Variable(1.0))])


def test_iterations_is_an_int64_non_trainable_variable_counting_steps():
    opt = optimizers.Adagrad()
    assert isinstance(opt.iterations, tf.Variable)
    assert opt.iterations.dtype == tf.int64 and not opt.iterations.trainable
    v = tf.Variable(1.0)
    for n in range(1, 4):
        assert opt.apply_gradients([(tf.constant(1.0), v)]) is opt.iterations
        assert int(opt.iterations.numpy()) == n


def test_slot_variables_are_created_lazily_and_not_trainable():
    opt = optimizers.Adam(amsgrad=True)
    assert len(opt.variables) == 2  # iterations, learning_rate
    a, b = tf.Variable([1.0, 2.0], name="w"), tf.Variable(3.0)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), a), (tf.constant(1.0), b)])
    slots = opt.variables[2:]
    assert len(slots) == 6
    assert not any(s.trainable for s in slots)
    assert slots[0].shape == a.shape and "adam/" in slots[0].name


def test_minimize_with_callable_loss():
    x = tf.Variable(1.0)
    opt = optimizers.SGD(learning_rate=0.1)
    opt.minimize(lambda: x * x, [x])
    assert x.numpy() == np.float32(0.8)


def test_minimize_with_tensor_loss_needs_a_tape():
    x = tf.Variable(2.0)
    opt = optimizers.SGD(learning_rate=0.25)
    with tf.GradientTape() as tape:
        loss = x * x
    opt.minimize(loss, [x], tape=tape)
    assert x.numpy() == 1.0
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(loss, [x])


def test_learning_rate_change_between_steps_takes_effect():
    x = tf.Variable(1.0)
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients([(tf.constant(1.0), x)])
    opt.learning_rate = 0.5
    assert float(opt.learning_rate.numpy()) == 0.5
    opt.apply_gradients([(tf.constant(1.0), x)])
    np.testing.assert_allclose(x.numpy(), 0.4, rtol=1e-6)


def test_adam_bias_correction_reads_the_iterations_variable():
    # A compiled step must not freeze the step count: the update reads `iterations` each time.
    fresh, jumped = optimizers.Adam(0.1), optimizers.Adam(0.1)
    a, b = tf.Variable(1.0), tf.Variable(1.0)
    fresh.apply_gradients([(tf.constant(1.0), a)])
    jumped.apply_gradients([(tf.constant(1.0), b)])
    jumped.iterations.assign(np.int64(0))
    fresh.iterations.assign(np.int64(99))
    fresh.apply_gradients([(tf.constant(1.0), a)])
    jumped.apply_gradients([(tf.constant(1.0), b)])
    assert a.numpy() != b.numpy()


def test_schedule_learning_rate_follows_iterations():
    sched = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=sched)
    x = tf.Variable(0.0)
    for _ in range(3):
        opt.apply_gradients([(tf.constant(1.0), x)])
    np.testing.assert_allclose(x.numpy(), -(1.0 + 0.5 + 0.25))
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_piecewise_constant_schedule():
    sched = optimizers.schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    got = [float(sched(tf.constant(s, dtype=tf.int64)).numpy()) for s in range(6)]
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 0.5, 0.5, 0.1])


def test_unknown_variable_after_build_raises():
    opt = optimizers.SGD()
    opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])


def test_clipvalue_and_clipnorm():
    v = tf.Variable([0.0, 0.0])
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(tf.constant([3.0, -0.2]), v)])
    np.testing.assert_allclose(v.numpy(), [-0.5, 0.2], rtol=1e-6)
    w = tf.Variable([0.0, 0.0])
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(tf.constant([3.0, 4.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-0.6, -0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_get_serialize_deserialize_round_trip():
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("adagrad"), optimizers.Adagrad)
    opt = optimizers.SGD(learning_rate=0.5, momentum=0.9, nesterov=True)
    assert optimizers.get(opt) is opt
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(again, optimizers.SGD) and again is not opt
    assert again.get_config() == opt.get_config()
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get("nope")


def test_reachable_as_tf_keras_optimizers():
    assert tf.keras.optimizers.SGD is optimizers.SGD
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.keras.optimizers.Adam(learning_rate=0.01)
