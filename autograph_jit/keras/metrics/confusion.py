"""Confusion-matrix metrics (Keras 3): TruePositives/FalsePositives/TrueNegatives/FalseNegatives,
Precision, Recall and AUC (ROC or PR, Riemann sums over fixed thresholds).

Each accumulates weighted counts per threshold in non-trainable variables: a prediction counts as
positive when it is strictly greater than the threshold.
"""
from ... import dtypes as _dtypes
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...tensor import convert_to_tensor
from .base import Metric
from .doc_examples import with_example

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
           "Recall", "AUC"]

_EPSILON = 1e-7
_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _thresholds_list(thresholds, default):
    if thresholds is None:
        return [default], True
    if isinstance(thresholds, (int, float)):
        values, scalar = [float(thresholds)], True
    else:
        values, scalar = [float(t) for t in thresholds], False
    for t in values:
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {t}")
    return values, scalar


def _top_k_mask(y_pred, k):
    """1.0 for each row's k highest predictions (ties at the k-th value included), else 0."""
    beaten = M.reduce_sum(M.cast(M.greater(A.expand_dims(y_pred, -2), A.expand_dims(y_pred, -1)),
                                 y_pred.dtype), axis=-1)
    return M.less(beaten, float(k))


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, class_id=None, top_k=None,
                     which=_COUNTS, per_label=False):
    """Weighted TP/FP/TN/FN per threshold, each of shape (len(thresholds),) — or
    (len(thresholds), labels) with `per_label` (the last axis holds the labels)."""
    y_pred = M.cast(convert_to_tensor(y_pred), _dtypes.float32)
    y_true = M.cast(convert_to_tensor(y_true), _dtypes.float32)
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
            y_true.shape.rank == y_pred.shape.rank + 1 and y_true.shape[-1] == 1:
        y_true = A.squeeze(y_true, [-1])
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
            y_pred.shape.rank == y_true.shape.rank + 1 and y_pred.shape[-1] == 1:
        y_pred = A.squeeze(y_pred, [-1])
    weights = None
    if sample_weight is not None:
        weights = M.cast(convert_to_tensor(sample_weight), _dtypes.float32)
        while weights.shape.rank is not None and y_pred.shape.rank is not None and \
                weights.shape.rank < y_pred.shape.rank:
            weights = A.expand_dims(weights, -1)
        weights = M.add(weights, A.zeros_like(y_pred))
    if top_k is not None:
        keep = _top_k_mask(y_pred, top_k)
        y_pred = M.where(keep, y_pred, A.zeros_like(y_pred) - 1.0)  # never above a threshold
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        if weights is not None:
            weights = weights[..., class_id]
    labels = y_pred.shape[-1] if per_label else 1
    pred = A.reshape(y_pred, [-1, 1, labels])
    true = A.reshape(y_true, [-1, 1, labels])
    thr = A.reshape(A.constant([float(t) for t in thresholds], dtype=_dtypes.float32),
                    [1, -1, 1])
    above = M.cast(M.greater(pred, thr), _dtypes.float32)
    below = M.subtract(1.0, above)
    pos = true
    neg = M.subtract(1.0, true)
    w = 1.0 if weights is None else A.reshape(weights, [-1, 1, labels])
    table = {"true_positives": (pos, above), "false_positives": (neg, above),
             "true_negatives": (neg, below), "false_negatives": (pos, below)}
    out = {}
    for name in which:
        label, decision = table[name]
        count = M.reduce_sum(M.multiply(M.multiply(label, decision), w), axis=0)
        out[name] = count if per_label else A.reshape(count, [-1])
    return out


class _Counts(Metric):
    """Accumulates some of TP/FP/TN/FN per threshold."""

    _USES = _COUNTS

    def __init__(self, thresholds=None, name=None, dtype=None, default=0.5, labels=None):
        super().__init__(dtype=dtype, name=name)
        self._per_label = labels is not None or getattr(self, "multi_label", False)
        self.init_thresholds = thresholds
        if default is None:  # AUC: its own, already-checked list (with the epsilon ends)
            self.thresholds, self._scalar = list(thresholds), True
        else:
            self.thresholds, self._scalar = _thresholds_list(thresholds, default)
        self._built_counts = False
        if not self._per_label or labels is not None:
            self._make_counts(labels)

    def _make_counts(self, labels):
        shape = (len(self.thresholds),) + ((labels,) if self._per_label else ())
        for count in self._USES:
            setattr(self, count, self.add_weight(shape=shape, name=count))
        self._built_counts = True

    def _update(self, y_true, y_pred, sample_weight=None, class_id=None, top_k=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, class_id,
                                  top_k, self._USES, per_label=self._per_label)
        for name, value in counts.items():
            getattr(self, name).assign_add(M.cast(value, self.dtype))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update(y_true, y_pred, sample_weight)

    def _shaped(self, value):
        return value[0] if self._scalar else value

    def get_config(self):
        config = super().get_config()
        config["thresholds"] = self.init_thresholds
        return config


def _single_count(cls_name, count, doc):
    def __init__(self, thresholds=None, name=None, dtype=None):
        _Counts.__init__(self, thresholds, name=name, dtype=dtype)

    def result(self):
        return self._shaped(getattr(self, count).read_value())

    return type(cls_name, (_Counts,), {"_USES": (count,), "__init__": __init__,
                                       "result": result,
                                       "__doc__": with_example(cls_name, doc),
                                       "__module__": __name__})


TruePositives = _single_count("TruePositives", "true_positives",
                              "The weighted count of true positives per threshold (0.5).")
FalsePositives = _single_count("FalsePositives", "false_positives",
                               "The weighted count of false positives per threshold (0.5).")
TrueNegatives = _single_count("TrueNegatives", "true_negatives",
                              "The weighted count of true negatives per threshold (0.5).")
FalseNegatives = _single_count("FalseNegatives", "false_negatives",
                               "The weighted count of false negatives per threshold (0.5).")


class Precision(_Counts):
    """TP / (TP + FP): `Precision(thresholds=None, top_k=None, class_id=None)`.

    With `top_k`, only each row's k highest predictions may count as positive (threshold 0 by
    default, as in Keras); `class_id` restricts the metric to one class column.

    >>> m = tf.keras.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _USES = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype,
                         default=0.5 if top_k is None else 0.0)
        self.top_k, self.class_id = top_k, class_id

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update(y_true, y_pred, sample_weight, self.class_id, self.top_k)

    def result(self):
        tp = self.true_positives.read_value()
        return self._shaped(M.divide_no_nan(tp, M.add(tp, self.false_positives.read_value())))

    def get_config(self):
        config = super().get_config()
        config.update(top_k=self.top_k, class_id=self.class_id)
        return config


class Recall(Precision):
    """TP / (TP + FN): `Recall(thresholds=None, top_k=None, class_id=None)`.

    >>> m = tf.keras.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _USES = ("true_positives", "false_negatives")

    def result(self):
        tp = self.true_positives.read_value()
        return self._shaped(M.divide_no_nan(tp, M.add(tp, self.false_negatives.read_value())))


class AUC(_Counts):
    """Area under the ROC or PR curve, from counts at `num_thresholds` (200) evenly spaced
    thresholds: `AUC(num_thresholds=200, curve='ROC', summation_method='interpolation',
    thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False)`.
    Multi-column inputs are flattened (multi_label=False), or with `multi_label=True` scored per
    column (the last axis) and averaged, weighted by `label_weights` when given.

    >>> m = tf.keras.metrics.AUC()
    >>> m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
    >>> round(float(m.result()), 4)
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve = curve.upper() if isinstance(curve, str) else curve
        if curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             f'["ROC", "PR"]')
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             f'Expected values are ["interpolation", "majoring", "minoring"]')
        if thresholds is not None:
            inner = sorted(_thresholds_list(thresholds, 0.5)[0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        values = [0.0 - _EPSILON] + inner + [1.0 + _EPSILON]
        self.num_thresholds = len(values)
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.from_logits = multi_label, from_logits
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in
                                                                 label_weights]
        self._init_thresholds = None if thresholds is None else list(thresholds)
        super().__init__(values, name=name, dtype=dtype, default=None,
                         labels=num_labels if multi_label else None)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = convert_to_tensor(y_pred)
        if self.from_logits:
            y_pred = M.sigmoid(y_pred)
        if self.multi_label and not self._built_counts:
            labels = y_pred.shape[-1] if y_pred.shape.rank else None
            if labels is None:
                raise ValueError("AUC(multi_label=True): the label axis of y_pred must have a "
                                 "known size (or pass num_labels=)")
            self._make_counts(labels)
        self._update(y_true, y_pred, sample_weight)

    def _average(self, per_label):
        """Per-label areas -> one number (label_weights, or the plain mean), as Keras."""
        if not self.multi_label:
            return per_label
        if self.label_weights is None:
            return M.reduce_mean(per_label)
        w = A.constant(self.label_weights, dtype=per_label.dtype)
        return M.divide_no_nan(M.reduce_sum(M.multiply(per_label, w)), M.reduce_sum(w))

    def _interpolate_pr_auc(self, tp, fp, fn):
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = M.divide_no_nan(dtp, M.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = M.logical_and(M.greater(p[:n - 1], 0.0), M.greater(p[1:], 0.0))
        ratio = M.where(both, M.divide_no_nan(p[:n - 1], M.maximum(p[1:], 0.0)),
                        A.ones_like(p[1:]))
        increment = M.divide_no_nan(slope * (dtp + intercept * M.log(ratio)),
                                    M.maximum(tp[1:] + fn[1:], 0.0))
        return self._average(M.reduce_sum(increment, axis=0))

    def result(self):
        if not self._built_counts:
            return A.constant(0.0, dtype=self.dtype)
        tp, fp = self.true_positives.read_value(), self.false_positives.read_value()
        tn, fn = self.true_negatives.read_value(), self.false_negatives.read_value()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = M.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = M.divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, M.divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = M.minimum(y[:n - 1], y[1:])
        else:
            heights = M.maximum(y[:n - 1], y[1:])
        return self._average(M.reduce_sum((x[:n - 1] - x[1:]) * heights, axis=0))

    def get_config(self):
        config = Metric.get_config(self)
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, multi_label=self.multi_label,
                      from_logits=self.from_logits, thresholds=self._init_thresholds,
                      num_labels=self.num_labels, label_weights=self.label_weights)
        if self._init_thresholds is not None:
            del config["num_thresholds"]
        return config


