"""F1Score, FBetaScore, R2Score, the IoU metrics and the metrics at a constrained threshold
(PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity)
against NumPy references of Keras 3's formulas and numbers recorded once from TF 2.21 /
Keras 3.15, updated eagerly and inside tf.function, in `compile(metrics=...)`, with config round
trips."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import metrics

rng = np.random.default_rng(5)
YT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2, 0, 1]]
YP = rng.random((6, 3)).astype(np.float32)
SW = np.array([1, 2, 0.5, 1, 1, 3], np.float32)

# recorded from TF 2.21 (F1: update with (YT, YP), then (YT[:3], YP[:3], SW[:3]);
# FBeta(beta=2, threshold=0.4): one update with SW)
TF_F1 = {None: [0.0, 0.0, 0.857143], "micro": 0.3157894, "macro": 0.28571427,
         "weighted": 0.36090225}
TF_FB = {None: [0.689655, 0.0, 0.0], "micro": 0.20618555, "macro": 0.22988509,
         "weighted": 0.16227183}


def fbeta_ref(batches, beta, threshold, average):
    tp = fp = fn = support = 0.0
    for yt, yp, sw in batches:
        w = np.ones(len(yt)) if sw is None else sw
        if threshold is None:
            pred = (yp >= yp.max(-1, keepdims=True)) & (np.abs(yp) > 1e-9)
        else:
            pred = yp > threshold
        pred = pred.astype(np.float64)
        axis = None if average == "micro" else 0
        tp = tp + (pred * yt * w[:, None]).sum(axis)
        fp = fp + (pred * (1 - yt) * w[:, None]).sum(axis)
        fn = fn + ((1 - pred) * yt * w[:, None]).sum(axis)
        support = support + (yt * w[:, None]).sum(axis)
    p, r = tp / (tp + fp + 1e-7), tp / (tp + fn + 1e-7)
    f = (1 + beta ** 2) * p * r / (beta ** 2 * p + r + 1e-7)
    if average == "weighted":
        return (f * support / (support.sum() + 1e-7)).sum()
    return f if average is None else np.mean(f)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_and_fbeta_match_numpy_and_tf(average):
    m = metrics.F1Score(average=average)
    m.update_state(YT, YP)
    m.update_state(YT[:3], YP[:3], sample_weight=SW[:3])
    want = fbeta_ref([(YT, YP, None), (YT[:3], YP[:3], SW[:3])], 1.0, None, average)
    np.testing.assert_allclose(m.result().numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.result().numpy(), TF_F1[average], atol=2e-6)
    m = metrics.FBetaScore(average=average, beta=2.0, threshold=0.4)
    m.update_state(YT, YP, sample_weight=SW)
    np.testing.assert_allclose(m.result().numpy(),
                               fbeta_ref([(YT, YP, SW)], 2.0, 0.4, average), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(m.result().numpy(), TF_FB[average], atol=2e-6)
    m.reset_state()
    assert float(np.sum(m.result().numpy())) == 0.0


def test_fbeta_arguments_config_and_compiled_update():
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="samples")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(YT[:, 0], YP[:, 0])
    assert metrics.F1Score().get_config() == {"name": "f1_score", "dtype": "float32",
                                              "average": None, "threshold": None}
    assert metrics.FBetaScore().get_config() == {"name": "fbeta_score", "dtype": "float32",
                                                 "average": None, "beta": 1.0,
                                                 "threshold": None}
    m = metrics.F1Score(average="macro")
    m.update_state(YT, YP)     # built eagerly, then updated inside a tf.function
    step = tf.function(lambda t, p: m.update_state(t, p))
    step(tf.constant(YT[:3]), tf.constant(YP[:3]))
    np.testing.assert_allclose(m.result().numpy(),
                               fbeta_ref([(YT, YP, None), (YT[:3], YP[:3], None)], 1.0, None,
                                         "macro"), rtol=1e-5)
    clone = metrics.FBetaScore.from_config(metrics.FBetaScore(beta=0.5, average="micro")
                                           .get_config())
    assert (clone.beta, clone.average) == (0.5, "micro")


R_TRUE = rng.normal(size=(6, 2)).astype(np.float32)
R_PRED = (R_TRUE + rng.normal(size=(6, 2)) * 0.5).astype(np.float32)
TF_R2 = {None: [0.259422, 0.342366], "uniform_average": 0.30089417,
         "variance_weighted_average": 0.2942895}
TF_R2_ADJUSTED = 0.328934    # num_regressors=2, no sample weights


def r2_ref(y, p, w, aggregation):
    w = np.broadcast_to(w[:, None], y.shape).astype(np.float64)
    mean = (w * y).sum(0) / w.sum(0)
    total = (w * (y - mean) ** 2).sum(0)
    raw = 1 - (w * (y - p) ** 2).sum(0) / total
    if aggregation == "uniform_average":
        return raw.mean()
    if aggregation == "variance_weighted_average":
        return (total * raw).sum() / total.sum()
    return raw


@pytest.mark.parametrize("aggregation", [None, "uniform_average", "variance_weighted_average"])
def test_r2_score_matches_numpy_and_tf(aggregation):
    m = metrics.R2Score(class_aggregation=aggregation)
    m.update_state(R_TRUE, R_PRED, sample_weight=SW)
    np.testing.assert_allclose(m.result().numpy(), r2_ref(R_TRUE, R_PRED, SW, aggregation),
                               rtol=1e-4)
    np.testing.assert_allclose(m.result().numpy(), TF_R2[aggregation], atol=2e-6)


def test_adjusted_r2_config_and_errors():
    m = metrics.R2Score(num_regressors=2)
    m.update_state(R_TRUE, R_PRED)
    r2 = r2_ref(R_TRUE, R_PRED, np.ones(6), "uniform_average")
    n = R_TRUE.size
    np.testing.assert_allclose(float(m.result()), 1 - (1 - r2) * (n - 1) / (n - 2 - 1),
                               rtol=1e-5)
    np.testing.assert_allclose(float(m.result()), TF_R2_ADJUSTED, atol=2e-6)
    few = metrics.R2Score(num_regressors=5)
    few.update_state(R_TRUE[:2, :1], R_PRED[:2, :1])
    with pytest.warns(UserWarning, match="More independent predictors"):
        few.result()
    assert metrics.R2Score().get_config() == {"name": "r2_score", "dtype": "float32",
                                              "class_aggregation": "uniform_average",
                                              "num_regressors": 0}
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")


def iou_ref(y_true, y_pred, n, ids, weights=None, ignore=None):
    w = np.ones(len(y_true)) if weights is None else np.asarray(weights, np.float64)
    cm = np.zeros((n, n))
    for t, p, wi in zip(y_true, y_pred, w):
        if 0 <= t < n and 0 <= p < n and t != ignore:
            cm[t, p] += int(wi)       # int64 accumulation, as Keras
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    vals = [tp[i] / (denom[i] + 1e-7) for i in ids if denom[i] > 1e-9]
    return sum(vals) / (len(vals) + 1e-7)


def test_iou_metrics_match_numpy_and_tf():
    t, p = [0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 0]
    m = metrics.MeanIoU(num_classes=3)
    m.update_state(t, p)
    np.testing.assert_allclose(float(m.result()), iou_ref(t, p, 3, [0, 1, 2]), rtol=1e-6)
    assert abs(float(m.result()) - 0.5555555820465088) < 1e-6            # TF 2.21
    m = metrics.IoU(num_classes=3, target_class_ids=[0, 2], ignore_class=1)
    m.update_state(t, p, sample_weight=[1, 2, 3, 1, 1, 2])
    np.testing.assert_allclose(float(m.result()),
                               iou_ref(t, p, 3, [0, 2], [1, 2, 3, 1, 1, 2], ignore=1), rtol=1e-6)
    assert abs(float(m.result()) - 0.875) < 1e-6                         # TF 2.21
    m = metrics.MeanIoU(num_classes=2)   # int64 by default: fractional weights truncate to 0
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(m.result()) == 0.0                                      # TF 2.21
    m = metrics.MeanIoU(num_classes=2, dtype="float32")
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert abs(float(m.result()) - 0.2380952) < 1e-5
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    assert abs(float(m.result()) - 0.3333333432674408) < 1e-6            # TF 2.21
    m = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    m.update_state(YT, YP)
    np.testing.assert_allclose(float(m.result()), iou_ref(YT.argmax(-1), YP.argmax(-1), 3,
                                                          [0, 2]), rtol=1e-6)
    assert abs(float(m.result()) - 0.25) < 1e-6                          # TF 2.21
    m = metrics.OneHotMeanIoU(num_classes=3)
    m.update_state(YT, YP, sample_weight=[1, 2, 1, 1, 2, 1])
    assert abs(float(m.result()) - 0.2222222238779068) < 1e-6            # TF 2.21
    m.reset_state()
    assert float(m.result()) == 0.0


def test_iou_configs_are_keras_and_round_trip():
    assert metrics.MeanIoU(3, name="m").get_config() == {
        "num_classes": 3, "name": "m", "dtype": "int64", "ignore_class": None,
        "sparse_y_true": True, "sparse_y_pred": True, "axis": -1}
    assert metrics.BinaryIoU(name="b").get_config() == {
        "target_class_ids": [0, 1], "threshold": 0.5, "name": "b", "dtype": "int64"}
    assert metrics.OneHotIoU(3, [1], name="o").get_config() == {
        "num_classes": 3, "target_class_ids": [1], "name": "o", "dtype": "int64",
        "ignore_class": None, "sparse_y_pred": False, "axis": -1}
    for m in (metrics.IoU(3, [0, 2]), metrics.MeanIoU(4), metrics.BinaryIoU(threshold=0.2),
              metrics.OneHotIoU(3, [1]), metrics.OneHotMeanIoU(3)):
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(2, [2])


# --- at a constrained threshold ----------------------------------------------------------------

R8 = np.random.default_rng(8)
BT = (R8.random(30) > 0.5).astype(np.float32)
BP = R8.random(30).astype(np.float32)
BP[:3] = [0.0, 1.0, 0.5]
BW = (R8.random(30) * 2).astype(np.float32)
# recorded from TF 2.21: update (BT, BP) then (BT[:10], BP[:10], BW[:10])
TF_AT = {("PrecisionAtRecall", 200): 0.336546, ("PrecisionAtRecall", 7): 0.314091,
         ("PrecisionAtRecall", 1): 0.0, ("RecallAtPrecision", 200): 0.103505,
         ("RecallAtPrecision", 7): 0.0, ("RecallAtPrecision", 1): 0.0,
         ("SensitivityAtSpecificity", 200): 0.103505, ("SensitivityAtSpecificity", 7): 0.103505,
         ("SensitivityAtSpecificity", 1): 0.103505, ("SpecificityAtSensitivity", 200): 0.351909,
         ("SpecificityAtSensitivity", 7): 0.309403, ("SpecificityAtSensitivity", 1): 0.0}
VALUES = {"PrecisionAtRecall": 0.6, "RecallAtPrecision": 0.6, "SensitivityAtSpecificity": 0.5,
          "SpecificityAtSensitivity": 0.4}


def at_ref(name, value, num_thresholds, batches):
    if num_thresholds == 1:
        thresholds = np.array([0.5])
    else:
        thresholds = np.array([0.0] + [(i + 1) / (num_thresholds - 1)
                                       for i in range(num_thresholds - 2)] + [1.0])
        thresholds[0] = -1e-7       # Keras's buckets count a prediction of 0 above threshold 0
    tp = fp = tn = fn = 0.0
    for y, p, w in batches:
        w = np.ones_like(y) if w is None else w
        above = p[:, None] > thresholds[None]
        pos = y[:, None] == 1
        tp = tp + (w[:, None] * (above & pos)).sum(0)
        fp = fp + (w[:, None] * (above & ~pos)).sum(0)
        tn = tn + (w[:, None] * (~above & ~pos)).sum(0)
        fn = fn + (w[:, None] * (~above & pos)).sum(0)
    div = np.divide
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.nan_to_num(div(tp, tp + fn))
        precision = np.nan_to_num(div(tp, tp + fp))
        specificity = np.nan_to_num(div(tn, tn + fp))
    constrained, dependent = {
        "PrecisionAtRecall": (recall, precision), "RecallAtPrecision": (precision, recall),
        "SensitivityAtSpecificity": (specificity, recall),
        "SpecificityAtSensitivity": (recall, specificity)}[name]
    return max(0.0, np.where(constrained >= value, dependent, 0.0).max())


@pytest.mark.parametrize("num_thresholds", [200, 7, 1])
@pytest.mark.parametrize("name", sorted(VALUES))
def test_metrics_at_threshold_match_numpy_and_tf(name, num_thresholds):
    m = getattr(metrics, name)(VALUES[name], num_thresholds=num_thresholds)
    m.update_state(BT, BP)
    m.update_state(BT[:10], BP[:10], sample_weight=BW[:10])
    want = at_ref(name, VALUES[name], num_thresholds,
                  [(BT, BP, None), (BT[:10], BP[:10], BW[:10])])
    np.testing.assert_allclose(float(m.result()), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(m.result()), TF_AT[(name, num_thresholds)], atol=2e-6)


def test_metrics_at_threshold_class_id_config_compile_and_errors():
    r = np.random.default_rng(8)
    r.random(30), r.random(30), r.random(30)    # the draws of BT, BP, BW
    yt = np.eye(3, dtype=np.float32)[r.integers(0, 3, 12)]
    yp = r.random((12, 3)).astype(np.float32)
    tf_values = {"PrecisionAtRecall": 0.285714, "RecallAtPrecision": 0.0,       # TF 2.21
                 "SensitivityAtSpecificity": 0.333333, "SpecificityAtSensitivity": 0.444444}
    for name, want in tf_values.items():
        m = getattr(metrics, name)(0.5, class_id=2)
        m.update_state(yt, yp)
        np.testing.assert_allclose(float(m.result()), want, atol=2e-6)
        config = m.get_config()
        assert config == {"name": m.name, "dtype": "float32", "class_id": 2,
                          "num_thresholds": 200, m._VALUE: 0.5}
        assert type(m).from_config(config).get_config() == config
    with pytest.raises(ValueError, match="recall"):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.RecallAtPrecision(0.5, num_thresholds=0)
    tf.keras.backend.clear_session()
    model = tf.keras.Sequential([tf.keras.Input((2,)),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=[metrics.PrecisionAtRecall(0.5), metrics.F1Score(threshold=0.5),
                           metrics.BinaryIoU()])
    x = r.normal(size=(16, 2)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"precision_at_recall", "f1_score", "binary_io_u"} <= set(logs)
    assert all(np.all(np.isfinite(v)) for v in logs.values())


def test_new_metrics_by_name():
    assert isinstance(metrics.get("F1Score"), metrics.F1Score)
    assert isinstance(metrics.get("r2_score"), metrics.R2Score)
    config = metrics.serialize(metrics.OneHotMeanIoU(4))
    assert isinstance(metrics.deserialize(config), metrics.OneHotMeanIoU)
