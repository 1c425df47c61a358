"""BinaryFocalCrossentropy and CategoricalFocalCrossentropy (classes and function forms) against
NumPy references of Keras 3's formulas and numbers recorded once from TF 2.21 / Keras 3.15,
gradients against finite differences, compiled against eager, names and config round trips."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import losses

from .zoo_checks import check_compiled, check_grad

rng = np.random.default_rng(3)
YT = (rng.random((4, 3)) > 0.5).astype(np.float32)
YP = (rng.random((4, 3)) * 0.98 + 0.01).astype(np.float32)
ONE_HOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
LOGITS = rng.normal(size=(4, 3)).astype(np.float32)
EPS = 1e-7

# recorded from TF 2.21 with the arrays above
TF_BFCE = [0.14293, 0.153595, 1.654311, 1.218546]
TF_BFCE_OPTIONS = [0.152265, 0.247592, 0.059942, 0.184745]
TF_CFCE = [0.198394, 0.115358, 0.150263, 0.256709]
TF_CFCE_OPTIONS = [0.664736, 0.057457, 0.309064, 0.091465]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def bfce_ref(y, p, balance=False, alpha=0.25, gamma=2.0, logits=False, smoothing=0.0):
    y, p = y.astype(np.float64), p.astype(np.float64)
    y = y * (1 - smoothing) + 0.5 * smoothing
    if logits:
        p = _sigmoid(p)
    c = np.clip(p, EPS, 1 - EPS)
    bce = -(y * np.log(c) + (1 - y) * np.log(1 - c))
    p_t = y * p + (1 - y) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = (y * alpha + (1 - y) * (1 - alpha)) * out
    return out.mean(-1)


def cfce_ref(y, p, alpha=0.25, gamma=2.0, logits=False, smoothing=0.0):
    y, p = y.astype(np.float64), p.astype(np.float64)
    y = y * (1 - smoothing) + smoothing / y.shape[-1]
    if logits:
        p = np.exp(p - p.max(-1, keepdims=True))
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -y * np.log(p)).sum(-1)


def test_binary_focal_crossentropy_function_matches_numpy_and_tf():
    got = losses.binary_focal_crossentropy(YT, YP).numpy()
    np.testing.assert_allclose(got, bfce_ref(YT, YP), rtol=1e-5)
    np.testing.assert_allclose(got, TF_BFCE, atol=2e-6)
    kwargs = dict(apply_class_balancing=True, alpha=0.3, gamma=1.5, from_logits=True,
                  label_smoothing=0.1)
    got = losses.binary_focal_crossentropy(YT, LOGITS, **kwargs).numpy()
    np.testing.assert_allclose(got, bfce_ref(YT, LOGITS, True, 0.3, 1.5, True, 0.1), rtol=1e-5)
    np.testing.assert_allclose(got, TF_BFCE_OPTIONS, atol=2e-6)
    # gamma=0 without balancing is the binary cross-entropy
    np.testing.assert_allclose(losses.binary_focal_crossentropy(YT, YP, gamma=0.0).numpy(),
                               losses.binary_crossentropy(YT, YP).numpy(), rtol=1e-5)


def test_categorical_focal_crossentropy_function_matches_numpy_and_tf():
    got = losses.categorical_focal_crossentropy(ONE_HOT, YP).numpy()
    np.testing.assert_allclose(got, cfce_ref(ONE_HOT, YP), rtol=1e-5)
    np.testing.assert_allclose(got, TF_CFCE, atol=2e-6)
    got = losses.categorical_focal_crossentropy(ONE_HOT, LOGITS, alpha=0.4, gamma=3.0,
                                                from_logits=True, label_smoothing=0.2).numpy()
    np.testing.assert_allclose(got, cfce_ref(ONE_HOT, LOGITS, 0.4, 3.0, True, 0.2), rtol=1e-5)
    np.testing.assert_allclose(got, TF_CFCE_OPTIONS, atol=2e-6)
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        losses.categorical_focal_crossentropy([[1.0]], [[0.7]])


def test_focal_loss_classes_reduce_weight_and_match_tf():
    y, p = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    loss = losses.BinaryFocalCrossentropy(gamma=2.0, apply_class_balancing=True)
    assert abs(float(loss(y, p)) - 0.15964056551456451) < 1e-6    # TF 2.21
    loss = losses.CategoricalFocalCrossentropy()
    y3 = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    p3 = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    assert abs(float(loss(y3, p3)) - 0.23315276205539703) < 1e-6   # TF 2.21
    summed = losses.BinaryFocalCrossentropy(from_logits=True, reduction="sum")(
        YT, LOGITS, sample_weight=[1, 2, 0, 1])
    want = (bfce_ref(YT, LOGITS, logits=True) * [1, 2, 0, 1]).sum()
    np.testing.assert_allclose(float(summed), want, rtol=1e-5)
    assert abs(float(summed) - 1.1220970153808594) < 1e-5          # TF 2.21


def test_focal_losses_gradients_compiled_and_config():
    check_grad(lambda p: losses.binary_focal_crossentropy(YT, p, apply_class_balancing=True,
                                                          from_logits=True), LOGITS,
               rtol=1e-4, atol=1e-6)
    check_grad(lambda p: losses.categorical_focal_crossentropy(ONE_HOT, p, from_logits=True,
                                                               label_smoothing=0.1), LOGITS,
               rtol=1e-4, atol=1e-6)
    check_compiled(lambda t, p: losses.BinaryFocalCrossentropy(label_smoothing=0.2)(t, p), YT,
                   YP)
    check_compiled(lambda t, p: losses.CategoricalFocalCrossentropy(gamma=1.0)(t, p), ONE_HOT,
                   YP)
    config = losses.BinaryFocalCrossentropy().get_config()
    assert config == {"name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
                      "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0,
                      "from_logits": False, "label_smoothing": 0.0, "axis": -1}
    clone = losses.deserialize(losses.serialize(losses.CategoricalFocalCrossentropy(alpha=0.5)))
    assert isinstance(clone, losses.CategoricalFocalCrossentropy) and clone.alpha == 0.5
    assert losses.get("binary_focal_crossentropy") is losses.binary_focal_crossentropy
    assert losses.get("categorical_focal_crossentropy") is losses.categorical_focal_crossentropy


def test_focal_loss_in_compiled_fit():
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=losses.CategoricalFocalCrossentropy(from_logits=True))
    h = model.fit(LOGITS, ONE_HOT, epochs=5, batch_size=4, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
