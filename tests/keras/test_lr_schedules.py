"""tf.keras.optimizers.schedules: every Keras 3 schedule against a NumPy re-implementation of
Keras's formula, eagerly and inside a tf.function (the optimizer's step is a Variable), and
their config/serialize round trips."""
import math

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras.optimizers import schedules

STEPS = np.arange(0, 45)


def _polynomial(step, initial, decay_steps, end, power, cycle):
    if cycle:
        decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (initial - end) * (1 - step / decay_steps) ** power + end


def _cosine(step, initial, decay_steps, alpha, target=None, warmup=0):
    def decay(s, peak):
        return peak * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
    if target is None:
        return decay(min(step, decay_steps), initial)
    step = min(step, decay_steps + warmup)
    if step < warmup:
        return (target - initial) * step / warmup + initial
    return decay(step - warmup, target)


def _restarts(step, initial, first, t_mul, m_mul, alpha):
    # walk the periods one by one (the schedule computes the period in closed form)
    start, length, peak = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, peak = start + length, length * t_mul, peak * m_mul
    fraction = (step - start) / length
    return initial * ((1 - alpha) * 0.5 * peak * (1 + math.cos(math.pi * fraction)) + alpha)


CASES = {
    "polynomial_linear": (schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01),
                          lambda s: _polynomial(s, 0.1, 10, 0.01, 1.0, False)),
    "polynomial_power_2": (schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0),
                           lambda s: _polynomial(s, 0.1, 10, 0.01, 2.0, False)),
    "polynomial_cycle": (schedules.PolynomialDecay(0.1, 10, 0.01, power=0.5, cycle=True),
                         lambda s: _polynomial(s, 0.1, 10, 0.01, 0.5, True)),
    "cosine": (schedules.CosineDecay(0.1, 20, alpha=0.1),
               lambda s: _cosine(s, 0.1, 20, 0.1)),
    "cosine_warmup": (schedules.CosineDecay(0.01, 20, alpha=0.1, warmup_target=0.2,
                                            warmup_steps=6),
                      lambda s: _cosine(s, 0.01, 20, 0.1, 0.2, 6)),
    "restarts_growing": (schedules.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.5, alpha=0.05),
                         lambda s: _restarts(s, 0.1, 5, 2.0, 0.5, 0.05)),
    "restarts_equal_periods": (schedules.CosineDecayRestarts(0.1, 5, t_mul=1.0, m_mul=0.9),
                               lambda s: _restarts(s, 0.1, 5, 1.0, 0.9, 0.0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_matches_keras_formula_eagerly(case):
    schedule, reference = CASES[case]
    got = [float(schedule(tf.constant(s, tf.int64))) for s in STEPS]
    np.testing.assert_allclose(got, [reference(float(s)) for s in STEPS], rtol=2e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_inside_tf_function_follows_a_step_variable(case):
    schedule, reference = CASES[case]
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def rate():
        return schedule(step)
    got = []
    for s in (0, 3, 5, 11, 17, 40):
        step.assign(s)
        got.append(float(rate()))
    np.testing.assert_allclose(got, [reference(float(s)) for s in (0, 3, 5, 11, 17, 40)],
                               rtol=2e-6, atol=1e-8)
    assert len(rate.cached_concrete_functions()) == 1


def test_cosine_decay_warmup_rises_linearly_to_the_target_then_decays():
    s = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    got = [float(s(step)) for step in (0, 2, 4, 9, 14, 100)]
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0, 0.5, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("cls,kwargs,keys", [
    (schedules.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=10),
     ["initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name"]),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, decay_steps=10),
     ["initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"]),
    (schedules.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=10),
     ["initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name"]),
])
def test_schedule_config_has_keras_keys_and_round_trips(cls, kwargs, keys):
    s = cls(**kwargs)
    assert list(s.get_config()) == keys
    back = schedules.deserialize(schedules.serialize(s))
    assert type(back) is cls and back.get_config() == s.get_config()
    assert float(back(7)) == float(s(7))


def test_optimizer_with_restarts_schedule_saves_and_restores_its_config():
    opt = tf.keras.optimizers.SGD(learning_rate=schedules.CosineDecayRestarts(0.1, 5))
    again = tf.keras.optimizers.SGD.from_config(opt.get_config())
    config = again.get_config()["learning_rate"]
    assert config["class_name"] == "CosineDecayRestarts"
    assert config == opt.get_config()["learning_rate"]
    # as in Keras 3, `learning_rate` reads the schedule's current value
    assert float(again.learning_rate) == pytest.approx(0.1)
