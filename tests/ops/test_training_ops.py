"""apply_adam (ops/training_ops.py): Keras Adam's eager update as one op, bit for bit the
op-by-op update, used only where it is that same computation."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras.optimizers import adam as adam_module
from autograph_jit.ops import training_ops
from autograph_jit.ops.opdef import apply


def _train(dtype, fused, monkeypatch, steps=4, **adam_kw):
    r = np.random.default_rng(0)
    params = [tf.Variable(r.normal(size=s).astype(dtype)) for s in ((5, 3), (3,), ())]
    grads = [[tf.constant(r.normal(size=p.shape.as_list()).astype(dtype)) for p in params]
             for _ in range(steps)]
    calls = []

    def spy(*args):
        ran = real(*args) if fused else False
        calls.append(ran)
        return ran
    real = training_ops.try_apply_adam
    monkeypatch.setattr(adam_module, "try_apply_adam", spy)
    opt = tf.keras.optimizers.Adam(learning_rate=0.01, **adam_kw)
    for g in grads:
        opt.apply_gradients(zip(g, params))
    monkeypatch.setattr(adam_module, "try_apply_adam", real)
    slots = [s.numpy() for s in opt._momentums + opt._velocities]
    return [p.numpy() for p in params] + slots, calls


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fused_adam_equals_the_op_by_op_update_bit_for_bit(dtype, monkeypatch):
    fused, calls = _train(dtype, True, monkeypatch)
    plain, _ = _train(dtype, False, monkeypatch)
    assert all(calls) and len(calls) == 12
    for a, b in zip(fused, plain):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_fused_adam_matches_a_compiled_step(monkeypatch):
    v1, v2 = tf.Variable([1.0, -2.0]), tf.Variable([1.0, -2.0])
    o1, o2 = tf.keras.optimizers.Adam(0.1), tf.keras.optimizers.Adam(0.1)
    g = tf.constant([0.5, 0.25])
    step = tf.function(lambda: o2.apply_gradients([(g, v2)]))
    for _ in range(3):
        o1.apply_gradients([(g, v1)])
        step()
    np.testing.assert_allclose(v1.numpy(), v2.numpy(), rtol=1e-6)


def test_the_fused_op_is_declined_where_it_is_not_the_same_computation():
    var, m, v = tf.Variable([1.0]), tf.Variable([0.0]), tf.Variable([0.0])
    g, alpha = tf.constant([0.5]), tf.constant(0.1)
    args = (0.9, 0.999, 1e-7)
    with tf.GradientTape():   # a recording tape must see the slots being read
        assert not training_ops.try_apply_adam(var, m, v, g, alpha, *args)
    assert not training_ops.try_apply_adam(var, m, v, g, alpha, tf.constant(0.9), 0.999, 1e-7)
    assert not training_ops.try_apply_adam(var, m, v, tf.constant([1, 2]), alpha, *args)
    assert not training_ops.try_apply_adam(var, m, v, tf.constant([0.5, 0.5]), alpha, *args)
    assert not training_ops.try_apply_adam(var, m, v, g, tf.constant([0.1]), *args)
    assert var.numpy().tolist() == [1.0]
    assert training_ops.try_apply_adam(var, m, v, g, alpha, *args)
    assert var.numpy()[0] < 1.0


def test_amsgrad_and_a_tape_take_the_op_by_op_update(monkeypatch):
    ran = []
    monkeypatch.setattr(adam_module, "try_apply_adam",
                        lambda *a: ran.append(training_ops.try_apply_adam(*a)) or ran[-1])
    var = tf.Variable([1.0])
    tf.keras.optimizers.Adam(0.1, amsgrad=True).apply_gradients([(tf.constant([1.0]), var)])
    assert ran == []   # (AMSGrad: never asked)
    opt = tf.keras.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        opt.apply_gradients([(tf.constant([1.0]), var)])
    assert ran == [False]
    accessed = {id(v) for v in tape._accessed.values()}
    assert id(opt._momentums[0]) in accessed and id(opt._velocities[0]) in accessed
    assert opt._momentums[0].numpy()[0] != 0.0


def test_apply_adam_rejects_mismatched_operands_with_a_clear_error():
    var, m, v = tf.Variable([1.0]), tf.Variable([0.0]), tf.Variable([0.0])
    kw = dict(var=var, m=m, v=v, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    with pytest.raises(tf.errors.InvalidArgumentError, match="gradient has dtype float64"):
        apply(training_ops.apply_adam, tf.constant([1.0], tf.float64), tf.constant(0.1), **kw)
    with pytest.raises(tf.errors.InvalidArgumentError, match="gradient has shape"):
        apply(training_ops.apply_adam, tf.constant([1.0, 2.0]), tf.constant(0.1), **kw)
    with pytest.raises(tf.errors.InvalidArgumentError, match="alpha must be a scalar"):
        apply(training_ops.apply_adam, tf.constant([1.0]), tf.constant([0.1]), **kw)
    assert var.numpy().tolist() == [1.0]
