"""Adamax, Ftrl, Lion and Adafactor against NumPy re-implementations of Keras 3's update rules
and numbers recorded once from TF 2.21 / Keras 3.15 (three steps on a matrix and a vector),
eagerly and inside a tf.function, their names in `optimizers.get`, configs, and the base
class's use_ema / gradient_accumulation_steps on them."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import optimizers

GRADS = [(np.array([[0.5, -1.0, 0.2], [2.0, 0.1, -0.3]]), np.array([0.3, -0.2])),
         (np.array([[-0.2, 0.4, 0.0], [1.5, -0.7, 0.9]]), np.array([-1.2, 0.5])),
         (np.array([[0.9, 0.0, -0.4], [-0.3, 2.5, 0.1]]), np.array([0.05, 0.0]))]
INIT = (np.array([[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]]), np.array([0.7, -0.1]))

# recorded from TF 2.21: the weights after the three steps (matrix raveled, vector)
TF_RESULTS = {
    "adamax": ([0.827533, -1.857019, 0.37454, 0.26371, 2.917068, -0.964217],
               [0.665014, -0.05496]),
    "lion": ([0.95, -1.95, 0.45, 0.45, 2.95, -1.05], [0.65, -0.15]),
    "ftrl": ([0.14484, -1.142781, 0.093353, 0.119183, 0.002738, -0.277795],
             [0.200269, -0.063454]),
    "ftrl0": ([0.330829, -1.337266, 0.097, 0.275436, 0.104311, -0.305649],
              [0.21342, -0.042096]),
    "adafactor": ([0.876017, -1.946869, 0.540721, 0.365155, 2.951535, -1.050372],
                  [0.697656, -0.098608]),
    "adafactor_nr": ([0.367325, -1.73202, 0.716711, -0.170737, 2.744401, -1.250466],
                     [0.661482, -0.07503]),
}
FTRL = dict(learning_rate=0.2, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
            l2_shrinkage_regularization_strength=0.01, beta=0.1)
CASES = {
    "adamax": (lambda: optimizers.Adamax(0.1), lambda: ref_adamax(0.1)),
    "lion": (lambda: optimizers.Lion(0.05, beta_1=0.8), lambda: ref_lion(0.05, 0.8)),
    "ftrl": (lambda: optimizers.Ftrl(**FTRL), lambda: ref_ftrl(**FTRL)),
    "ftrl0": (lambda: optimizers.Ftrl(0.1), lambda: ref_ftrl(0.1)),
    "adafactor": (lambda: optimizers.Adafactor(0.05), lambda: ref_adafactor(0.05)),
    "adafactor_nr": (lambda: optimizers.Adafactor(0.5, relative_step=False, clip_threshold=0.5),
                     lambda: ref_adafactor(0.5, relative_step=False, clip_threshold=0.5)),
}


def ref_adamax(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(t, g, w, s):
        m, u = s.get("m", 0 * w), s.get("u", 0 * w)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        s.update(m=m, u=u)
        return w - lr * m / ((1 - b1 ** t) * (u + eps))
    return step


def ref_lion(lr, b1=0.9, b2=0.99):
    def step(t, g, w, s):
        m = s.get("m", 0 * w)
        w = w - lr * np.sign(m * b1 + g * (1 - b1))
        s["m"] = m * b2 + g * (1 - b2)
        return w
    return step


def ref_ftrl(learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
             l1_regularization_strength=0.0, l2_regularization_strength=0.0,
             l2_shrinkage_regularization_strength=0.0, beta=0.0):
    lr, p = learning_rate, -learning_rate_power
    l1, l2 = l1_regularization_strength, l2_regularization_strength + beta / (2.0 * lr)

    def step(t, g, w, s):
        n = s.get("n", 0 * w + initial_accumulator_value)
        z = s.get("z", 0 * w)
        new_n = n + g * g
        z = z + g + 2 * l2_shrinkage_regularization_strength * w - (new_n ** p - n ** p) / lr * w
        w = (np.clip(z, -l1, l1) - z) / (new_n ** p / lr + 2 * l2)
        s.update(n=new_n, z=z)
        return w
    return step


def ref_adafactor(lr, decay=-0.8, eps1=1e-30, eps2=1e-3, clip_threshold=1.0,
                  relative_step=True):
    def rms(x):
        return np.sqrt(np.mean(x * x))

    def step(t, g, w, s):
        lr_t = min(lr, 1 / np.sqrt(t)) if relative_step else lr
        rho = min(lr_t, 1 / np.sqrt(t))
        alpha = max(eps2, rms(w)) * rho
        g2 = g * g + eps1
        b2 = 1 - t ** decay
        if w.ndim >= 2:
            r = b2 * s.get("r", np.zeros(w.shape[:-1])) + (1 - b2) * g2.mean(-1)
            c = b2 * s.get("c", np.zeros(w.shape[:-2] + w.shape[-1:])) + (1 - b2) * g2.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
            s.update(r=r, c=c)
        else:
            v = b2 * s.get("v", 0 * w) + (1 - b2) * g2
            s["v"] = v
        u = g / np.sqrt(v)
        u = u / max(1.0, rms(u) / clip_threshold)
        return w - alpha * u
    return step


def _run_ref(make_step):
    steps = [make_step(), make_step()]
    states = [{}, {}]
    ws = [INIT[0].copy(), INIT[1].copy()]
    for t, grads in enumerate(GRADS, 1):
        for i in range(2):
            ws[i] = steps[i](t, grads[i], ws[i], states[i])
    return ws


def _run(opt, traced=False):
    w = tf.Variable(INIT[0].astype(np.float32))
    b = tf.Variable(INIT[1].astype(np.float32))

    def apply(g1, g2):
        opt.apply_gradients([(g1, w), (g2, b)])
    if traced:
        apply = tf.function(apply)
    for g1, g2 in GRADS:
        apply(tf.constant(g1.astype(np.float32)), tf.constant(g2.astype(np.float32)))
    return w.numpy(), b.numpy(), opt


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("traced", [False, True])
def test_update_rules_match_numpy_and_tf(case, traced):
    make_opt, make_ref = CASES[case]
    w, b, opt = _run(make_opt(), traced)
    want_w, want_b = _run_ref(make_ref)
    np.testing.assert_allclose(w, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, want_b, rtol=1e-5, atol=1e-6)
    tf_w, tf_b = TF_RESULTS[case]
    np.testing.assert_allclose(w.ravel(), tf_w, atol=2e-6)
    np.testing.assert_allclose(b, tf_b, atol=2e-6)
    assert int(opt.iterations) == 3


def test_slots_names_and_configs():
    _, _, opt = _run(optimizers.Adamax(0.1))
    assert len(opt.variables) == 2 + 4     # iteration, learning_rate, m and u per variable
    _, _, opt = _run(optimizers.Adafactor())
    # r and c for each variable (a vector's are int32 placeholders, saved as Keras 3 saves
    # them), velocity for both
    assert len(opt.variables) == 2 + 6
    for name, cls in (("adamax", optimizers.Adamax), ("ftrl", optimizers.Ftrl),
                      ("lion", optimizers.Lion), ("adafactor", optimizers.Adafactor)):
        opt = optimizers.get(name)
        assert type(opt) is cls and opt.name == name
        config = opt.get_config()
        clone = optimizers.deserialize(optimizers.serialize(opt))
        assert type(clone) is cls and clone.get_config() == config
    assert optimizers.Ftrl().get_config()["learning_rate_power"] == -0.5
    assert optimizers.Adafactor().get_config()["epsilon_1"] == 1e-30
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optimizers.Ftrl(initial_accumulator_value=-1.0)


def test_new_optimizers_get_use_ema_and_gradient_accumulation_from_the_base():
    w, b, opt = _run(optimizers.Lion(0.05, beta_1=0.8, use_ema=True, ema_momentum=0.5))
    ref = _run_ref(lambda: ref_lion(0.05, 0.8))
    np.testing.assert_allclose(w, ref[0], atol=1e-6)
    assert len(opt._model_variables_moving_average) == 2
    acc = optimizers.Adamax(0.1, gradient_accumulation_steps=3)
    v = tf.Variable([1.0, 2.0])
    for g in ([0.5, -0.5], [1.0, 1.0], [0.0, 0.3]):
        acc.apply_gradients([(tf.constant(g), v)])
    mean = np.mean([[0.5, -0.5], [1.0, 1.0], [0.0, 0.3]], axis=0)
    want = ref_adamax(0.1)(1, mean, np.array([1.0, 2.0]), {})
    np.testing.assert_allclose(v.numpy(), want, rtol=1e-5)
    assert int(acc.iterations) == 1


def test_lion_trains_a_model_with_compiled_fit():
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(3)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="lion", loss="mse")
    model.optimizer.learning_rate = 0.05
    h = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0] * 0.5


# --- LossScaleOptimizer -----------------------------------------------------------------------

LSO_GRADS = [[4.0, 8.0], [np.inf, 1.0], [2.0, -2.0], [1.0, 1.0], [np.nan, 0.0], [3.0, 3.0],
             [0.5, 0.5]]
# recorded from TF 2.21: LossScaleOptimizer(Adam(0.1), initial_scale=4, dynamic_growth_steps=2)
# on w = [1, -2]: (w, dynamic_scale, step_counter, iterations) after each step
TF_LSO = [([0.900001, -2.099999], 4.0, 1, 1), ([0.900001, -2.099999], 2.0, 0, 1),
          ([0.800002, -2.126633], 2.0, 1, 2), ([0.705821, -2.160676], 4.0, 0, 3),
          ([0.705821, -2.160676], 2.0, 0, 3), ([0.610187, -2.215856], 2.0, 1, 4),
          ([0.523519, -2.267269], 4.0, 0, 5)]


@pytest.mark.parametrize("traced", [False, True])
def test_loss_scale_optimizer_skips_non_finite_steps_and_rescales_as_tf(traced):
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=4.0,
                                        dynamic_growth_steps=2)
    w = tf.Variable(np.array([1.0, -2.0], np.float32))

    def apply(g):
        opt.apply_gradients([(g, w)])
    if traced:
        opt.build([w])
        apply = tf.function(apply)
    inner = optimizers.Adam(0.1)
    ref = tf.Variable(np.array([1.0, -2.0], np.float32))
    scale = 4.0
    for g, (tf_w, tf_scale, tf_counter, tf_iters) in zip(LSO_GRADS, TF_LSO):
        apply(tf.constant(np.array(g, np.float32)))
        if np.all(np.isfinite(g)):     # the reference: the inner optimizer on g / scale
            inner.apply_gradients([(tf.constant(np.array(g, np.float32) / scale), ref)])
        np.testing.assert_allclose(w.numpy(), ref.numpy(), rtol=1e-6)
        np.testing.assert_allclose(w.numpy(), tf_w, atol=2e-6)
        assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()),
                int(opt.iterations)) == (tf_scale, tf_counter, tf_iters)
        scale = tf_scale


def test_loss_scale_optimizer_config_delegation_and_fit():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.25), initial_scale=8.0)
    assert float(opt.scale_loss(tf.constant(2.0))) == 16.0
    assert abs(float(opt.learning_rate) - 0.25) < 1e-7
    opt.learning_rate = 0.5
    assert abs(float(opt.inner_optimizer.learning_rate) - 0.5) < 1e-7
    config = opt.get_config()
    assert config["inner_optimizer"]["class_name"] == "SGD"
    assert {k: config[k] for k in ("name", "initial_scale", "dynamic_growth_steps")} == {
        "name": "loss_scale_optimizer", "initial_scale": 8.0, "dynamic_growth_steps": 2000}
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(clone.inner_optimizer, optimizers.SGD) and clone.initial_scale == 8.0
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    # fit differentiates the scaled loss and the optimizer unscales: same as the inner alone
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-1.0], [0.5]], np.float32)
    weights = []
    for make in (lambda: optimizers.SGD(0.1),
                 lambda: optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=64.0),
                 lambda: optimizers.SGD(0.1, loss_scale_factor=16.0)):
        tf.keras.backend.clear_session()
        tf.keras.utils.set_random_seed(2)
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer=make(), loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        weights.append(model.get_weights())
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
