"""Accuracy metrics (Keras 3): Accuracy, BinaryAccuracy, CategoricalAccuracy,
SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy and their
per-sample function forms."""
from ... import dtypes as _dtypes
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops.gather_ops import one_hot
from ...tensor import convert_to_tensor
from ..losses import squeeze_or_expand_to_same_rank
from .base import MeanMetricWrapper

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"]


def _f32(x):
    return M.cast(x, _dtypes.float32)


def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true exactly, else 0.0 (per element).

    >>> tf.keras.metrics.accuracy([[1], [2]], [[1], [3]]).numpy()
    array([[1.],
           [0.]], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _f32(M.equal(M.cast(y_true, y_pred.dtype), y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where y_true == (y_pred > threshold), element by element (Keras 3 keeps the shape:
    no mean over the last axis).

    >>> tf.keras.metrics.binary_accuracy([[1], [0]], [[0.9], [0.7]]).numpy()
    array([[1.],
           [0.]], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = M.cast(M.greater(y_pred, M.cast(threshold, y_pred.dtype)), y_true.dtype)
    return _f32(M.equal(y_true, predicted))


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(one-hot y_true).

    >>> tf.keras.metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]).numpy()
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    return _f32(M.equal(M.argmax(y_true, axis=-1), M.argmax(y_pred, axis=-1)))


def _labels(y_true, y_pred):
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
            y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = A.squeeze(y_true, [-1])
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label y_true.

    >>> tf.keras.metrics.sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]).numpy()
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    y_true = _labels(y_true, y_pred)
    predicted = M.argmax(y_pred, axis=-1)
    return _f32(M.equal(M.cast(y_true, predicted.dtype), predicted))


def _in_top_k(scores, labels, k):
    """True where the label's score is beaten by fewer than k scores (ties count as in)."""
    depth = scores.shape[-1]
    if depth is None:
        raise ValueError("top-k accuracy: the class axis of y_pred must have a known size")
    target = M.reduce_sum(M.multiply(scores, one_hot(M.cast(labels, _dtypes.int64), depth,
                                                     dtype=scores.dtype)),
                          axis=-1, keepdims=True)
    beaten = M.reduce_sum(_f32(M.greater(scores, target)), axis=-1)
    return _f32(M.less(beaten, float(k)))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the k highest predictions.

    >>> tf.keras.metrics.top_k_categorical_accuracy([[0, 0, 1], [1, 0, 0]], [[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]], k=2).numpy()
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    return _in_top_k(y_pred, M.argmax(y_true, axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the k highest predictions; with
    `from_sorted_ids=True`, `y_pred` holds the top category ids, best first (Keras 3), and the
    label must be among its first `k`.

    >>> tf.keras.metrics.sparse_top_k_categorical_accuracy([2, 0], [[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]], k=2).numpy()
    array([1., 0.], dtype=float32)
    >>> tf.keras.metrics.sparse_top_k_categorical_accuracy([2, 1], [[1, 0, 3], [1, 2, 3]], k=1, from_sorted_ids=True).numpy()
    array([0., 1.], dtype=float32)
    """
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    if not from_sorted_ids:
        return _in_top_k(y_pred, _labels(y_true, y_pred), k)
    shape = A.shape(y_true)
    ids = A.reshape(y_pred, [-1, y_pred.shape[-1]]) if (y_pred.shape.rank or 0) > 2 else y_pred
    labels = M.cast(A.reshape(y_true, [-1]), ids.dtype)
    top = ids[:, :k]
    matches = _f32(M.reduce_any(M.equal(A.expand_dims(labels, 1), top), axis=1))
    return A.reshape(matches, shape) if (y_true.shape.rank or 0) > 1 else matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    >>> m = tf.keras.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> round(float(m.result()), 4)
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches binary labels: `BinaryAccuracy(threshold=0.5)`.

    >>> m = tf.keras.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]])
    >>> round(float(m.result()), 4)
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches one-hot labels.

    >>> m = tf.keras.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred, -1) equals the integer label y_true.

    >>> m = tf.keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is in the top `k` (5) predictions.

    >>> m = tf.keras.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is in the top `k` (5) predictions.

    >>> m = tf.keras.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = super().get_config()
        if not self.from_sorted_ids:   # (as Keras 3: only written when set)
            config.pop("from_sorted_ids", None)
        return config
