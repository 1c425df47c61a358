"""Keras 3 optimizer options `use_ema` (+ `ema_overwrite_frequency`, `finalize_variable_values`)
and `gradient_accumulation_steps`: against NumPy re-implementations of Keras's rules, eagerly and
inside tf.function (the branches become tf.cond), and through `fit`. The figures were also
compared with TF 2.21's Keras on SGD/Adam/Nadam/RMSprop (bit-for-bit up to float rounding)."""
import numpy as np
import pytest

import autograph_jit as tf

GRADS = [np.array([0.3 * (i + 1), -0.2, 1.0 / (i + 1)], np.float32) for i in range(7)]
INIT = np.array([1.0, -2.0, 0.5], np.float32)


def _run(opt, traced):
    v = tf.Variable(INIT)

    def step(g):
        opt.apply_gradients([(g, v)])
    if traced:
        step = tf.function(step)
    values = []
    for g in GRADS:
        step(tf.constant(g))
        values.append(v.numpy().copy())
    return v, values


def _sgd_reference(lr, accumulate=None, momentum=None, overwrite=None):
    """Keras's SGD with gradient accumulation and EMA, one call at a time."""
    var, acc, avg, updates, out = INIT.astype(np.float64), np.zeros(3), None, 0, []
    for calls, g in enumerate(GRADS):
        if accumulate:
            if (calls + 1) % accumulate == 0:
                var = var - lr * (g + acc) / accumulate
                acc, updates = np.zeros(3), updates + 1
            else:
                acc = acc + g
            iterations = calls // accumulate
        else:
            var, iterations = var - lr * g, calls
        if momentum is not None:
            m = momentum if iterations != 0 else 0.0
            avg = var.copy() if avg is None else avg
            avg = m * avg + (1 - m) * var
            if overwrite and (iterations + 1) % overwrite == 0:
                var = avg.copy()
        out.append(var.copy())
    return out, avg


@pytest.mark.parametrize("traced", [False, True])
def test_gradient_accumulation_updates_with_the_mean_every_n_steps(traced):
    opt = tf.keras.optimizers.SGD(0.1, gradient_accumulation_steps=3)
    _, got = _run(opt, traced)
    want, _ = _sgd_reference(0.1, accumulate=3)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert int(opt.iterations) == len(GRADS) // 3     # updates, as Keras counts them


@pytest.mark.parametrize("traced", [False, True])
def test_use_ema_keeps_a_moving_average_that_finalize_writes_back(traced):
    opt = tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9)
    v, got = _run(opt, traced)
    want, average = _sgd_reference(0.1, momentum=0.9)
    np.testing.assert_allclose(got, want, rtol=1e-5)     # the model keeps its own values
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.numpy(), average, rtol=1e-5)


@pytest.mark.parametrize("traced", [False, True])
def test_ema_overwrite_frequency_copies_the_average_into_the_model(traced):
    opt = tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8,
                                  ema_overwrite_frequency=3)
    _, got = _run(opt, traced)
    want, _ = _sgd_reference(0.1, momentum=0.8, overwrite=3)
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("traced", [False, True])
def test_adam_with_accumulation_counts_updates_for_its_bias_correction(traced):
    # the first update moves each weight by about lr, as Adam's first step does
    opt = tf.keras.optimizers.Adam(0.1, gradient_accumulation_steps=3)
    _, got = _run(opt, traced)
    np.testing.assert_allclose(got[0], INIT)
    np.testing.assert_allclose(got[2], INIT - 0.1 * np.sign(GRADS[0] + GRADS[1] + GRADS[2]),
                               atol=1e-5)


def test_fit_with_ema_ends_with_the_averaged_weights():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    opt = tf.keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer=opt, loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    model.fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=2, verbose=0)
    averages = [a.numpy() for a in opt.variables if a.name.endswith("_average:0")]
    assert len(averages) == 2
    for w, a in zip(model.get_weights(), averages):
        np.testing.assert_allclose(w, a)


def test_invalid_accumulation_and_ema_arguments_are_value_errors():
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        tf.keras.optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum"):
        tf.keras.optimizers.Adam(use_ema=True, ema_momentum=1.5)
