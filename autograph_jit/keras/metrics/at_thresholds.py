"""Keras 3's metrics that read one rate at the best threshold meeting a constraint on another:
`PrecisionAtRecall`, `RecallAtPrecision`, `SensitivityAtSpecificity`,
`SpecificityAtSensitivity`. Each counts TP/FP/TN/FN at `num_thresholds` evenly spaced
thresholds in [0, 1] (one, 0.5, when `num_thresholds=1`); a prediction is positive when above
the threshold, except that with evenly spaced thresholds a prediction of exactly 0 counts above
the threshold 0, as Keras's bucketed counting does."""
from ...ops import math_ops as M
from .base import Metric
from .confusion import confusion_counts

__all__ = ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity"]

_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


class _AtThreshold(Metric):
    """The four counts per threshold and the constrained maximum."""

    _VALUE = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._VALUE}` must be in the range [0, 1]. Received: "
                             f"{self._VALUE}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._VALUE, value)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._compare = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._compare = [-1e-7] + inner + [1.0]
        for name_ in _COUNTS:
            setattr(self, name_, self.add_weight(shape=(len(self.thresholds),), name=name_))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self._compare, sample_weight, self.class_id)
        for name_, value in counts.items():
            getattr(self, name_).assign_add(M.cast(value, self.dtype))

    def _rates(self):
        tp, fp = self.true_positives.read_value(), self.false_positives.read_value()
        tn, fn = self.true_negatives.read_value(), self.false_negatives.read_value()
        return {"recall": M.divide_no_nan(tp, tp + fn), "precision": M.divide_no_nan(tp, tp + fp),
                "specificity": M.divide_no_nan(tn, tn + fp)}

    def _max_where(self, constrained, dependent):
        feasible = M.greater_equal(constrained, self.value)
        return M.maximum(M.reduce_max(M.where(feasible, dependent, dependent * 0.0)), 0.0)

    def get_config(self):
        config = super().get_config()
        config.update({"class_id": self.class_id, "num_thresholds": self.num_thresholds,
                       self._VALUE: self.value})
        return config


class PrecisionAtRecall(_AtThreshold):
    """The best precision at thresholds where recall >= `recall`:
    `PrecisionAtRecall(recall, num_thresholds=200, class_id=None, name=None, dtype=None)`.

    >>> m = tf.keras.metrics.PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _VALUE = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._max_where(r["recall"], r["precision"])


class RecallAtPrecision(_AtThreshold):
    """The best recall at thresholds where precision >= `precision`:
    `RecallAtPrecision(precision, num_thresholds=200, class_id=None, name=None, dtype=None)`.

    >>> m = tf.keras.metrics.RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.5
    """

    _VALUE = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._max_where(r["precision"], r["recall"])


class SensitivityAtSpecificity(_AtThreshold):
    """The best sensitivity (recall) at thresholds where specificity >= `specificity`:
    `SensitivityAtSpecificity(specificity, num_thresholds=200, class_id=None, name=None,
    dtype=None)`.

    >>> m = tf.keras.metrics.SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _VALUE = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._max_where(r["specificity"], r["recall"])


class SpecificityAtSensitivity(_AtThreshold):
    """The best specificity at thresholds where sensitivity (recall) >= `sensitivity`:
    `SpecificityAtSensitivity(sensitivity, num_thresholds=200, class_id=None, name=None,
    dtype=None)`.

    >>> m = tf.keras.metrics.SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _VALUE = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._max_where(r["recall"], r["specificity"])
