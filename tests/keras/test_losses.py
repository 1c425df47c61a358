"""tf.keras.losses: every loss against a NumPy reference, its gradient against finite differences,
compiled against eager; reductions, sample weights, config round trips, get(), and the errors for
mismatched label shapes."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import losses

from .zoo_checks import check_compiled, check_grad

EPS = 1e-7
rng = np.random.default_rng(0)
P = rng.uniform(0.05, 0.95, (4, 3))                       # probabilities / positive predictions
T = rng.uniform(0.05, 0.95, (4, 3))                       # real-valued targets
ONEHOT = np.eye(3)[[0, 2, 1, 2]]
LOGITS = rng.normal(size=(4, 3))
PM = rng.normal(size=(4, 3))                              # signed predictions (hinge)
SIGNS = np.sign(rng.normal(size=(4, 3)))


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _huber(t, p, d=1.0):
    e = np.abs(p - t)
    return np.where(e <= d, 0.5 * e ** 2, d * e - 0.5 * d * d).mean(-1)


def _xent(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _cos(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return -(tn * pn).sum(-1)


CASES = {
    # name: (class, y_true, y_pred, numpy per-sample reference)
    "mse": (losses.MeanSquaredError, T, P, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mae": (losses.MeanAbsoluteError, T, P, lambda t, p: np.abs(t - p).mean(-1)),
    "mape": (losses.MeanAbsolutePercentageError, T, P,
             lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "msle": (losses.MeanSquaredLogarithmicError, T, P,
             lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    "huber": (losses.Huber, T * 3, PM * 2, _huber),
    "log_cosh": (losses.LogCosh, T, PM, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "bce": (losses.BinaryCrossentropy, T, P, _bce),
    "cce": (losses.CategoricalCrossentropy, ONEHOT, P, _xent),
    "hinge": (losses.Hinge, SIGNS, PM, lambda t, p: np.maximum(1 - t * p, 0).mean(-1)),
    "squared_hinge": (losses.SquaredHinge, SIGNS, PM,
                      lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (losses.CategoricalHinge, ONEHOT, PM, lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    "kld": (losses.KLDivergence, _softmax(LOGITS), _softmax(PM),
            lambda t, p: (t * np.log(t / p)).sum(-1)),
    "poisson": (losses.Poisson, T, P, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "cosine": (losses.CosineSimilarity, PM, T, _cos),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_matches_numpy_per_sample_and_reduced(case):
    cls, t, p, ref = CASES[case]
    want = ref(t, p)
    got = cls(reduction="none")(t.astype(np.float32), p.astype(np.float32)).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)
    assert cls()(t, p).numpy() == pytest.approx(want.mean(), rel=2e-5, abs=2e-5)
    assert cls(reduction="sum")(t, p).numpy() == pytest.approx(want.sum(), rel=2e-5, abs=2e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_gradient_matches_finite_differences(case):
    cls, t, p, _ = CASES[case]
    loss = cls(reduction="none", dtype="float64")
    check_grad(lambda yt, yp: loss(yt, yp), t, p, wrt=1, rtol=1e-4, atol=1e-5, eps=1e-6)


@pytest.mark.parametrize("case", ["mse", "bce", "cce", "huber", "kld", "cosine"])
def test_loss_compiled_matches_eager(case):
    cls, t, p, _ = CASES[case]
    loss = cls()
    check_compiled(lambda yt, yp: loss(yt, yp), t.astype(np.float32), p.astype(np.float32))


def test_from_logits_and_label_smoothing_match_numpy():
    got = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)(ONEHOT, LOGITS)
    smooth = ONEHOT * 0.8 + 0.2 / 3
    want = -(smooth * np.log(_softmax(LOGITS))).sum(-1).mean()
    assert got.numpy() == pytest.approx(want, rel=1e-5)
    got = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(T, LOGITS)
    t = T * 0.9 + 0.05
    s = 1 / (1 + np.exp(-LOGITS))
    want = -(t * np.log(s) + (1 - t) * np.log(1 - s)).mean()
    assert got.numpy() == pytest.approx(want, rel=1e-5)
    check_grad(lambda yt, yp: losses.categorical_crossentropy(yt, yp, from_logits=True,
                                                              label_smoothing=0.1),
               ONEHOT, LOGITS, wrt=1, eps=1e-6)


def test_sparse_categorical_crossentropy_probabilities_and_logits():
    labels = np.array([0, 2, 1, 2])
    want = _xent(ONEHOT, P).mean()
    assert losses.SparseCategoricalCrossentropy()(labels, P).numpy() == pytest.approx(want,
                                                                                     rel=1e-5)
    assert losses.SparseCategoricalCrossentropy()(labels[:, None], P).numpy() == \
        pytest.approx(want, rel=1e-5)
    got = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, LOGITS).numpy()
    assert got == pytest.approx(-np.log(_softmax(LOGITS))[range(4), labels].mean(), rel=1e-5)
    check_grad(lambda yp: losses.sparse_categorical_crossentropy(labels, yp, from_logits=True),
               LOGITS, eps=1e-6)
    check_compiled(lambda yp: losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, yp), LOGITS.astype(np.float32))


def test_sparse_categorical_crossentropy_ignore_class_contributes_zero():
    labels = np.array([0, -1, 1, 2])
    per = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")(labels, P)
    assert per.numpy()[1] == 0.0
    assert per.numpy()[0] == pytest.approx(-np.log(P[0, 0] / P[0].sum()), rel=1e-5)


def test_sample_weight_scales_each_sample_and_reductions():
    w = np.array([1.0, 0.0, 2.0, 0.5])
    per = ((T - P) ** 2).mean(-1)
    assert losses.MeanSquaredError()(T, P, sample_weight=w).numpy() == \
        pytest.approx((per * w).sum() / 4, rel=1e-5)
    assert losses.MeanSquaredError(reduction="sum")(T, P, sample_weight=w[:, None]).numpy() == \
        pytest.approx((per * w).sum(), rel=1e-5)
    assert losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        T, P, sample_weight=w).numpy() == pytest.approx((per * w).sum() / w.sum(), rel=1e-5)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(
        T, P, sample_weight=w).numpy(), per * w, rtol=1e-5)


def test_labels_of_rank_one_below_predictions_are_expanded():
    y = np.array([1.0, 2.0, 3.0])
    p = np.array([[1.5], [2.0], [2.0]])
    assert losses.mse(y, p).shape == (3,)
    assert losses.MeanSquaredError()(y, p).numpy() == pytest.approx((0.25 + 0 + 1) / 3)


def test_integer_labels_with_categorical_crossentropy_name_the_sparse_loss():
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy"):
        losses.CategoricalCrossentropy()(np.array([0, 2, 1, 2]), P)
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy"):
        losses.CategoricalCrossentropy()(np.array([[0], [2], [1], [2]]), P)


def test_one_hot_labels_with_sparse_crossentropy_name_the_categorical_loss():
    with pytest.raises(ValueError, match="CategoricalCrossentropy"):
        losses.SparseCategoricalCrossentropy()(ONEHOT, P)


def test_disagreeing_shapes_are_an_error_naming_the_loss():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 3\).*\(4, 2\)"):
        losses.MeanSquaredError()(T, P[:, :2])


def test_custom_loss_subclass_uses_reduction_and_sample_weight():
    class AbsLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    loss = AbsLoss(reduction="sum", name="abs")
    assert loss.name == "abs"
    assert loss(T, P, sample_weight=[1.0, 1.0, 0.0, 0.0]).numpy() == pytest.approx(
        np.abs(T - P).mean(-1)[:2].sum(), rel=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        AbsLoss(reduction="average")


def test_config_round_trip_and_get():
    loss = losses.Huber(delta=2.0, reduction="sum", name="h")
    again = losses.Huber.from_config(loss.get_config())
    assert again.get_config() == {"name": "h", "reduction": "sum", "delta": 2.0}
    d = losses.deserialize(losses.serialize(losses.CategoricalCrossentropy(from_logits=True)))
    assert isinstance(d, losses.CategoricalCrossentropy) and d.from_logits
    assert losses.get("mse") is losses.mean_squared_error
    assert isinstance(losses.get("SparseCategoricalCrossentropy"),
                      losses.SparseCategoricalCrossentropy)
    assert losses.get(losses.Hinge).name == "hinge"
    with pytest.raises(ValueError, match="Unknown loss function: 'msee'.*'mse'"):
        losses.get("msee")


def test_crossentropy_on_softmax_output_uses_its_logits_like_keras():
    logits = tf.constant([[100.0, 0.0]])
    labels = np.array([1])
    # eagerly, tf.nn.softmax's probabilities are clipped at epsilon ...
    eager = losses.sparse_categorical_crossentropy(labels, tf.nn.softmax(logits)).numpy()
    assert eager[0] == pytest.approx(-np.log(1e-7), rel=1e-4)
    # ... in a graph the loss sees the softmax op and uses its logits (as TF's Keras)

    @tf.function
    def graph(z):
        return (losses.sparse_categorical_crossentropy(labels, tf.nn.softmax(z)),
                losses.categorical_crossentropy([[0.0, 1.0]], tf.nn.softmax(z)),
                losses.binary_crossentropy([[0.0, 0.0]], tf.sigmoid(z)))
    sparse, cat, binary = graph(logits)
    assert sparse.numpy()[0] == pytest.approx(100.0, rel=1e-5)
    assert cat.numpy()[0] == pytest.approx(100.0, rel=1e-5)
    assert binary.numpy()[0] == pytest.approx((100.0 + np.log(2.0)) / 2, rel=1e-4)
    # keras.activations.softmax remembers its logits eagerly too (Keras's _keras_logits)
    probs = tf.keras.activations.softmax(logits)
    assert losses.sparse_categorical_crossentropy(labels, probs).numpy()[0] == \
        pytest.approx(100.0, rel=1e-5)
    dense = tf.keras.layers.Dense(2, activation="softmax",
                                  kernel_initializer=tf.keras.initializers.Constant([[0.0, 2.0]]))
    out = dense(tf.constant([[50.0]]))
    assert losses.categorical_crossentropy([[1.0, 0.0]], out).numpy()[0] == pytest.approx(
        100.0, rel=1e-5)


def test_a_keras_mask_on_predictions_weights_the_loss_like_keras_3():
    y_pred = tf.constant([[0.0, 1.0, 5.0], [2.0, 2.0, 9.0]])
    y_true = np.zeros((2, 3), np.float32)
    tf.keras.backend.set_keras_mask(y_pred, tf.constant([[True, True, False],
                                                         [True, False, False]]))
    # per-step squared errors [0, 1, 25], [4, 4, 81] -> mean over the 3 unmasked entries
    got = losses.LossFunctionWrapper(lambda t, p: tf.square(t - p))(y_true, y_pred)
    assert got.numpy() == pytest.approx((0 + 1 + 4) / 3, rel=1e-5)
    summed = losses.LossFunctionWrapper(lambda t, p: tf.square(t - p), reduction="sum")(
        y_true, y_pred)
    assert summed.numpy() == pytest.approx(5.0, rel=1e-5)
