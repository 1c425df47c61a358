"""Keras 3's intersection-over-union metrics, accumulated in a (num_classes, num_classes)
confusion matrix (rows: true class, columns: predicted class; int64 by default, as Keras, so
fractional sample weights truncate): `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`,
`OneHotMeanIoU`. IoU of a class = TP / (TP + FP + FN); the result is the mean over the target
classes that occur (a class never seen counts as absent, not as 0)."""
from ... import dtypes as _dtypes
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops.gather_ops import gather, one_hot
from ...tensor import convert_to_tensor
from .base import Metric

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]

_EPSILON = 1e-7


class _IoUBase(Metric):
    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int64")
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_weight(shape=(num_classes, num_classes),
                                        name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = M.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = M.argmax(y_pred, axis=self.axis)
        y_true = A.reshape(M.cast(y_true, self.dtype), [-1])
        y_pred = A.reshape(M.cast(y_pred, self.dtype), [-1])
        weight = M.cast(convert_to_tensor(1 if sample_weight is None else sample_weight),
                        self.dtype)
        weight = M.add(A.reshape(weight, [-1]) if weight.shape.rank else weight,
                       A.zeros_like(y_true))
        n = self.num_classes
        valid = M.logical_and(
            M.logical_and(M.greater_equal(y_true, 0), M.less(y_true, n)),
            M.logical_and(M.greater_equal(y_pred, 0), M.less(y_pred, n)))
        if self.ignore_class is not None:
            valid = M.logical_and(valid, M.not_equal(y_true, self.ignore_class))
        zero = A.zeros_like(y_true)
        y_true, y_pred = M.where(valid, y_true, zero), M.where(valid, y_pred, zero)
        weight = M.where(valid, weight, A.zeros_like(weight))
        work = _dtypes.float64 if self.dtype.is_integer else self.dtype
        rows = M.multiply(one_hot(M.cast(y_true, "int32"), n, dtype=work),
                          A.expand_dims(M.cast(weight, work), -1))
        cm = M.matmul(rows, one_hot(M.cast(y_pred, "int32"), n, dtype=work), transpose_a=True)
        self.total_cm.assign_add(M.cast(M.round(cm) if self.dtype.is_integer else cm,
                                        self.dtype))

    def _mean_iou(self, target_class_ids):
        cm = self.total_cm.read_value()
        sum_rows = M.cast(M.reduce_sum(cm, axis=0), "float32")
        sum_cols = M.cast(M.reduce_sum(cm, axis=1), "float32")
        # the diagonal as a masked row sum (lowers to native code, unlike diag_part)
        tp = M.reduce_sum(M.multiply(M.cast(cm, "float32"), A.eye(self.num_classes)), axis=1)
        ids = A.constant(list(target_class_ids), dtype="int32")
        denominator = gather(sum_rows + sum_cols - tp, ids)
        tp = gather(tp, ids)
        valid = M.greater(denominator, 1e-9)
        iou = M.where(valid, M.divide(tp, denominator + _EPSILON), A.zeros_like(tp))
        return M.divide(M.reduce_sum(iou), M.reduce_sum(M.cast(valid, "float32")) + _EPSILON)


class IoU(_IoUBase):
    """The mean IoU of the classes `target_class_ids`: `IoU(num_classes, target_class_ids,
    name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
    axis=-1)`. Labels and predictions are class ids (or, with `sparse_y_*=False`, scores whose
    argmax along `axis` is the class); `ignore_class` leaves out the samples of that label.

    >>> m = tf.keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which "
                             f"is [0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        return self._mean_iou(self.target_class_ids)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU for binary labels, predictions thresholded at `threshold` (class 1 when
    `y_pred >= threshold`): `BinaryIoU(target_class_ids=(0, 1), threshold=0.5, name=None,
    dtype=None)`.

    >>> m = tf.keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = M.cast(convert_to_tensor(y_pred), "float32")
        y_pred = M.cast(M.greater_equal(y_pred, self.threshold), self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype.name}


class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes: `MeanIoU(num_classes, name=None,
    dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1)`.

    >>> m = tf.keras.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype.name,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU of one-hot labels and score predictions (both reduced by argmax over `axis`):
    `OneHotIoU(num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
    sparse_y_pred=False, axis=-1)`.

    >>> m = tf.keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]),
    ...                np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                          [0.1, 0.4, 0.5]]))
    >>> round(float(m.result()), 4)
    0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype.name, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """The mean IoU over all classes of one-hot labels and score predictions:
    `OneHotMeanIoU(num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
    axis=-1)`.

    >>> m = tf.keras.metrics.OneHotMeanIoU(num_classes=2)
    >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> round(float(m.result()), 4)
    0.25
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype.name,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
