"""tf.keras.metrics beyond the basics: accuracy variants, top-k, Precision/Recall/AUC against
NumPy references (AUC also against sklearn's exact ROC AUC on a fine grid), regression metrics,
update_state compiled, config round trips, get() and resolve_metric()."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import losses, metrics

rng = np.random.default_rng(1)
PROBS = rng.dirichlet(np.ones(5), size=40).astype(np.float32)
LABELS = rng.integers(0, 5, size=40)
ONEHOT = np.eye(5, dtype=np.float32)[LABELS]
SCORES = rng.uniform(size=200).astype(np.float32)
BINARY = (rng.uniform(size=200) < SCORES).astype(np.float32)


def test_binary_accuracy_thresholds_predictions():
    m = metrics.BinaryAccuracy(threshold=0.6)
    m.update_state(BINARY, SCORES)
    assert m.result().numpy() == pytest.approx(np.mean((SCORES > 0.6) == BINARY), rel=1e-6)


def test_categorical_and_sparse_categorical_accuracy_agree_with_argmax():
    want = np.mean(PROBS.argmax(-1) == LABELS)
    c = metrics.CategoricalAccuracy()
    c.update_state(ONEHOT, PROBS)
    s = metrics.SparseCategoricalAccuracy()
    s.update_state(LABELS[:, None], PROBS)
    assert c.result().numpy() == pytest.approx(want) and s.result().numpy() == pytest.approx(want)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracies_match_numpy(k):
    rank = (PROBS > PROBS[np.arange(40), LABELS][:, None]).sum(-1)
    want = np.mean(rank < k)
    a = metrics.TopKCategoricalAccuracy(k=k)
    a.update_state(ONEHOT, PROBS)
    b = metrics.SparseTopKCategoricalAccuracy(k=k)
    b.update_state(LABELS, PROBS)
    assert a.result().numpy() == pytest.approx(want) and b.result().numpy() == pytest.approx(want)


def test_precision_and_recall_match_counts_with_weights():
    w = rng.uniform(size=200).astype(np.float32)
    pred = SCORES > 0.5
    tp = (w * (pred & (BINARY == 1))).sum()
    fp = (w * (pred & (BINARY == 0))).sum()
    fn = (w * (~pred & (BINARY == 1))).sum()
    p, r = metrics.Precision(), metrics.Recall()
    p.update_state(BINARY, SCORES, sample_weight=w)
    r.update_state(BINARY, SCORES, sample_weight=w)
    assert p.result().numpy() == pytest.approx(tp / (tp + fp), rel=1e-5)
    assert r.result().numpy() == pytest.approx(tp / (tp + fn), rel=1e-5)


def test_precision_with_several_thresholds_returns_a_vector():
    p = metrics.Precision(thresholds=[0.3, 0.7])
    p.update_state(BINARY, SCORES)
    want = [((SCORES > t) & (BINARY == 1)).sum() / (SCORES > t).sum() for t in (0.3, 0.7)]
    np.testing.assert_allclose(p.result().numpy(), want, rtol=1e-5)


def test_precision_top_k_and_class_id():
    p = metrics.Precision(top_k=1)
    p.update_state(ONEHOT, PROBS)
    assert p.result().numpy() == pytest.approx(np.mean(PROBS.argmax(-1) == LABELS))
    r = metrics.Recall(class_id=2)
    r.update_state(ONEHOT, PROBS)
    col = PROBS[:, 2] > 0.5
    assert r.result().numpy() == pytest.approx((col & (LABELS == 2)).sum() / (LABELS == 2).sum())


def _roc_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg))


def test_auc_roc_approaches_the_exact_area():
    m = metrics.AUC(num_thresholds=2000)
    m.update_state(BINARY, SCORES)
    assert m.result().numpy() == pytest.approx(_roc_auc(BINARY, SCORES), abs=2e-3)


def test_auc_documented_keras_values():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert m.result().numpy() == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert m.result().numpy() == pytest.approx(1.0)


def test_auc_pr_and_summation_methods_order():
    vals = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = metrics.AUC(curve="PR", summation_method=method, num_thresholds=50)
        m.update_state(BINARY, SCORES)
        vals[method] = float(m.result().numpy())
    assert vals["minoring"] <= vals["majoring"]
    assert 0.0 < vals["interpolation"] <= 1.0
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")


def test_regression_metrics_match_numpy():
    t = rng.normal(size=(10, 3)).astype(np.float32)
    p = rng.normal(size=(10, 3)).astype(np.float32)
    for m, want in [(metrics.MeanAbsoluteError(), np.abs(t - p).mean()),
                    (metrics.RootMeanSquaredError(), np.sqrt(((t - p) ** 2).mean())),
                    (metrics.MeanSquaredError(), ((t - p) ** 2).mean())]:
        m.update_state(t, p)
        assert m.result().numpy() == pytest.approx(want, rel=1e-5)


def test_update_state_inside_tf_function_matches_eager():
    eager, compiled = metrics.AUC(), metrics.AUC()
    eager.update_state(BINARY, SCORES)
    tf.function(lambda y, s: compiled.update_state(y, s))(tf.constant(BINARY),
                                                            tf.constant(SCORES))
    assert compiled.result().numpy() == pytest.approx(eager.result().numpy(), rel=1e-6)
    e, c = metrics.TopKCategoricalAccuracy(k=2), metrics.TopKCategoricalAccuracy(k=2)
    e.update_state(ONEHOT, PROBS)
    tf.function(lambda y, p: c.update_state(y, p))(tf.constant(ONEHOT), tf.constant(PROBS))
    assert c.result().numpy() == pytest.approx(e.result().numpy())


def test_metric_config_round_trip_and_get():
    m = metrics.BinaryAccuracy(name="acc", threshold=0.3)
    again = metrics.BinaryAccuracy.from_config(m.get_config())
    assert again.name == "acc" and again.threshold == 0.3
    auc = metrics.deserialize(metrics.serialize(metrics.AUC(num_thresholds=50, curve="PR")))
    assert auc.num_thresholds == 50 and auc.curve == "PR"
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)   # (Keras 3: an instance)
    with pytest.raises(ValueError, match="Unknown metric function: 'acuracy'"):
        metrics.get("acuracy")


@pytest.mark.parametrize("loss, cls", [
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    (losses.categorical_crossentropy, metrics.CategoricalAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    ("mse", metrics.Accuracy),
])
def test_resolve_accuracy_by_loss(loss, cls):
    m = metrics.resolve_metric("accuracy", loss=loss)
    assert type(m) is cls and m.name == "accuracy"
    assert metrics.resolve_metric("acc", loss=loss).name == "acc"


def test_resolve_accuracy_by_shapes_as_keras_3():
    def r(t, p):
        return type(metrics.resolve_metric("accuracy", y_true=np.zeros(t), y_pred=np.zeros(p)))
    assert r((8,), (8, 1)) is metrics.BinaryAccuracy
    assert r((8,), (8, 10)) is metrics.SparseCategoricalAccuracy
    assert r((8, 1), (8, 10)) is metrics.SparseCategoricalAccuracy
    assert r((8, 10), (8, 10)) is metrics.CategoricalAccuracy


def test_resolve_function_names_are_wrapped_under_the_given_name():
    m = metrics.resolve_metric("mae")
    m.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    assert m.name == "mae" and m.result().numpy() == pytest.approx(1.5)
    assert metrics.resolve_metric("AUC").name == "AUC"   # (Keras 3 keeps the string as given)
    assert metrics.resolve_metric(losses.mean_squared_error).name == "mean_squared_error"


def test_masked_predictions_leave_padding_steps_out_of_the_metric():
    y_true = np.array([[1, 2, 0], [3, 0, 0]])
    y_pred = tf.constant(np.eye(4, dtype=np.float32)[[[1, 0, 0], [3, 1, 1]]])
    tf.keras.backend.set_keras_mask(y_pred, tf.constant([[True, True, False],
                                                         [True, False, False]]))
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(y_true, y_pred)
    # unmasked steps: (1 vs 1) right, (2 vs 0) wrong, (3 vs 3) right
    assert m.result().numpy() == pytest.approx(2 / 3)


def test_multi_label_auc_averages_the_per_label_areas():
    y = (rng.uniform(size=(60, 3)) < 0.5).astype(np.float32)
    s = np.clip(y * 0.3 + rng.uniform(size=(60, 3)) * 0.7, 0, 1).astype(np.float32)
    per = []
    for j in range(3):
        m = metrics.AUC(num_thresholds=50)
        m.update_state(y[:, j], s[:, j])
        per.append(float(m.result().numpy()))
    multi = metrics.AUC(num_thresholds=50, multi_label=True)
    multi.update_state(y, s)
    assert multi.result().numpy() == pytest.approx(np.mean(per), rel=1e-5)
    weighted = metrics.AUC(num_thresholds=50, multi_label=True, num_labels=3,
                           label_weights=[1.0, 0.0, 3.0])
    tf.function(lambda a, b: weighted.update_state(a, b))(tf.constant(y), tf.constant(s))
    assert weighted.result().numpy() == pytest.approx((per[0] + 3 * per[2]) / 4, rel=1e-5)
    pr = metrics.AUC(curve="PR", multi_label=True)
    pr.update_state(y, s)
    assert 0 < pr.result().numpy() <= 1
