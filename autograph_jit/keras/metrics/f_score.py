"""Keras 3's `FBetaScore` and `F1Score` (per-class or averaged F-scores from thresholded or
argmax predictions) and `R2Score` (the coefficient of determination, optionally adjusted)."""
import warnings

from ...ops import array_ops as A
from ...ops import math_ops as M
from ...tensor import convert_to_tensor
from ...tracing.context import current_builder
from ..losses.functions import squeeze_or_expand_to_same_rank
from .base import Metric

__all__ = ["FBetaScore", "F1Score", "R2Score"]

_EPSILON = 1e-7


def _check_2d(who, y_true_shape, y_pred_shape):
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
        raise ValueError(f"{who} expects 2D inputs with shape (batch_size, output_dim). Received "
                         f"input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                         f"y_true.shape={tuple(y_true_shape)}.")
    if y_pred_shape[-1] is None or y_true_shape[-1] is None:
        raise ValueError(f"{who} expects 2D inputs with shape (batch_size, output_dim), with "
                         "output_dim fully defined (not None). Received input shapes: "
                         f"y_pred.shape={tuple(y_pred_shape)} and "
                         f"y_true.shape={tuple(y_true_shape)}.")


class FBetaScore(Metric):
    """The F-beta score `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`:
    `FBetaScore(average=None, beta=1.0, threshold=None, name='fbeta_score', dtype=None)`.

    Inputs are (batch, classes). A prediction is positive above `threshold`, or (None) where it
    is the row's maximum. `average`: None (one score per class), 'micro' (from the global
    counts), 'macro' (the mean of the per-class scores), 'weighted' (their mean weighted by the
    number of true instances of each class).

    >>> m = tf.keras.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32))
    >>> np.round(m.result().numpy(), 4)
    array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < "
                                 f"threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        _check_2d(type(self).__name__ if type(self) is F1Score else "FBetaScore",
                  y_true_shape, y_pred_shape)
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_weight(shape=shape, name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = M.cast(convert_to_tensor(y_true), self.dtype)
        y_pred = M.cast(convert_to_tensor(y_pred), self.dtype)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        if self.threshold is None:
            top = M.reduce_max(y_pred, axis=-1, keepdims=True)
            y_pred = M.logical_and(M.greater_equal(y_pred, top),
                                   M.greater(M.abs(y_pred), 1e-9))
        else:
            y_pred = M.greater(y_pred, self.threshold)
        y_pred = M.cast(y_pred, self.dtype)
        weight = None if sample_weight is None else A.expand_dims(
            M.cast(convert_to_tensor(sample_weight), self.dtype), 1)

        def total(value):
            if weight is not None:
                value = M.multiply(value, weight)
            return M.reduce_sum(value, axis=self.axis)
        self.true_positives.assign_add(total(M.multiply(y_pred, y_true)))
        self.false_positives.assign_add(total(M.multiply(y_pred, M.subtract(1.0, y_true))))
        self.false_negatives.assign_add(total(M.multiply(M.subtract(1.0, y_pred), y_true)))
        self.intermediate_weights.assign_add(total(y_true))

    def result(self):
        if not self._built:
            return A.constant(0.0, dtype=self.dtype)
        tp = self.true_positives.read_value()
        precision = M.divide(tp, tp + self.false_positives.read_value() + _EPSILON)
        recall = M.divide(tp, tp + self.false_negatives.read_value() + _EPSILON)
        b2 = self.beta ** 2
        score = M.divide(precision * recall, b2 * precision + recall + _EPSILON) * (1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.read_value()
            return M.reduce_sum(score * M.divide(w, M.reduce_sum(w) + _EPSILON))
        if self.average is not None:
            return M.reduce_mean(score)
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = super().get_config()
        config.update(average=self.average, beta=self.beta, threshold=self.threshold)
        return config


class F1Score(FBetaScore):
    """The F1 score `2 * precision * recall / (precision + recall)`: `F1Score(average=None,
    threshold=None, name='f1_score', dtype=None)` (FBetaScore with beta=1).

    >>> m = tf.keras.metrics.F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32))
    >>> np.round(m.result().numpy(), 4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """The coefficient of determination `1 - SS_res / SS_tot` per output column:
    `R2Score(class_aggregation='uniform_average', num_regressors=0, name='r2_score',
    dtype=None)`. `class_aggregation`: None (one score per column), 'uniform_average' or
    'variance_weighted_average'; with `num_regressors` p > 0 the adjusted score
    `1 - (1 - r2) * (n - 1) / (n - p - 1)` (n the number of values seen).

    >>> m = tf.keras.metrics.R2Score()
    >>> m.update_state(np.array([[1.0], [4.0], [3.0]]), np.array([[2.0], [4.0], [4.0]]))
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= "
                             f"0. Received: num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_weight(name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        _check_2d("R2Score", y_true_shape, y_pred_shape)
        n = y_pred_shape[-1]
        self.squared_sum = self.add_weight(shape=(n,), name="squared_sum")
        self.sum = self.add_weight(shape=(n,), name="sum")
        self.total_mse = self.add_weight(shape=(n,), name="residual")
        self.count = self.add_weight(shape=(n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = M.cast(convert_to_tensor(y_true), self.dtype)
        y_pred = M.cast(convert_to_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        w = M.cast(convert_to_tensor(1.0 if sample_weight is None else sample_weight),
                   self.dtype)
        if w.shape.rank == 1:
            w = A.expand_dims(w, 1)
        w = M.add(w, A.zeros_like(y_true))
        weighted = M.multiply(y_true, w)
        self.sum.assign_add(M.reduce_sum(weighted, axis=0))
        self.squared_sum.assign_add(M.reduce_sum(M.multiply(y_true, weighted), axis=0))
        self.total_mse.assign_add(M.reduce_sum(M.square(y_true - y_pred) * w, axis=0))
        self.count.assign_add(M.reduce_sum(w, axis=0))
        self.num_samples.assign_add(M.cast(A.size(y_true), self.dtype))

    def result(self):
        if not self._built:
            return A.constant(0.0, dtype=self.dtype)
        s = self.sum.read_value()
        mean = M.divide(s, self.count.read_value())
        total = self.squared_sum.read_value() - s * mean
        raw = 1 - M.divide(self.total_mse.read_value(), total)
        raw = M.where(M.is_inf(raw), A.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = M.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = M.divide(M.reduce_sum(total * raw), M.reduce_sum(total))
        else:
            r2 = raw
        if self.num_regressors != 0:
            n = self.num_samples.read_value()
            p = float(self.num_regressors)
            if current_builder() is None and p >= float(n.numpy()) - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score." if p > float(n.numpy())
                              - 1 else "Division by zero in Adjusted R2 score. Falling back "
                              "to standard R2 score.", stacklevel=2)
            adjusted = 1 - (1 - r2) * M.divide_no_nan(n - 1, n - p - 1)
            r2 = M.where(M.less(p, n - 1), adjusted, r2)
        return r2

    def reset_state(self):
        if self._built:
            super().reset_state()
        else:
            self.num_samples.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config.update(class_aggregation=self.class_aggregation,
                      num_regressors=self.num_regressors)
        return config
