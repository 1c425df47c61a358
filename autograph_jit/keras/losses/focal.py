"""Keras 3's focal losses (Lin et al., 2018), which down-weight easy examples: the function
forms `binary_focal_crossentropy` and `categorical_focal_crossentropy` (one value per sample)
and the `Loss` classes `BinaryFocalCrossentropy` and `CategoricalFocalCrossentropy`."""
import warnings

from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import nn_ops as N
from .functions import (EPSILON, _matched, _pair, check_same_shape,
                        squeeze_or_expand_to_same_rank)
from .loss import LossFunctionWrapper

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy",
           "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"]


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal cross-entropy averaged over `axis`: the binary cross-entropy times
    `(1 - p_t) ** gamma` (p_t the probability given to the true class), times `alpha` for
    class 1 and `1 - alpha` for class 0 when `apply_class_balancing`; labels smoothed towards
    0.5 by `label_smoothing`.

    Args:
      y_true: labels in [0, 1], shape (batch, d0, ..., dN).
      y_pred: probabilities (logits with `from_logits=True`), the same shape.
      apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis: as above.

    Returns:
      The loss per sample, shape (batch, d0, ..., dN-1).

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.binary_focal_crossentropy(y_true, y_pred, gamma=2).numpy(), 3)
    array([0.33 , 0.206], dtype=float32)
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    check_same_shape(y_true, y_pred)
    if label_smoothing:
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = M.sigmoid(y_pred)
    p = M.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
    bce = M.negative(M.add(M.multiply(y_true, M.log(p)),
                           M.multiply(M.subtract(1.0, y_true), M.log(M.subtract(1.0, p)))))
    p_t = M.add(M.multiply(y_true, y_pred),
                M.multiply(M.subtract(1.0, y_true), M.subtract(1.0, y_pred)))
    focal = M.multiply(M.pow(M.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        weight = M.add(M.multiply(y_true, alpha), M.multiply(M.subtract(1.0, y_true), 1 - alpha))
        focal = M.multiply(weight, focal)
    return M.reduce_mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical focal cross-entropy: `sum(alpha * (1 - p) ** gamma * -y_true * log(p))` over
    `axis`, p the predictions normalized to sum to 1 and clipped to [1e-7, 1 - 1e-7].

    Args:
      y_true: one-hot labels (batch, ..., classes), smoothed by `label_smoothing`.
      y_pred: probabilities (logits with `from_logits=True`, softmaxed over `axis`).

    Returns:
      The loss per sample.

    >>> y_true, y_pred = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    >>> np.round(tf.keras.losses.categorical_focal_crossentropy(y_true, y_pred).numpy(), 4)
    array([0.    , 0.4663], dtype=float32)
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    y_true, y_pred = _matched("categorical_focal_crossentropy", *_pair(y_true, y_pred))
    if y_pred.shape.rank and y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_focal_crossentropy, expected y_pred.shape to be "
                      "(batch_size, num_classes) with num_classes > 1. Received: "
                      f"y_pred.shape={tuple(y_pred.shape.as_list())}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning,
                      stacklevel=2)
    if label_smoothing:
        classes = y_true.shape[-1]
        share = label_smoothing / classes if classes is not None else M.divide(
            label_smoothing, M.cast(A.shape(y_true)[-1], y_pred.dtype))
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), share)
    if from_logits:
        y_pred = N.softmax(y_pred, axis=axis)
    output = M.divide(y_pred, M.reduce_sum(y_pred, axis=axis, keepdims=True))
    output = M.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    cce = M.multiply(M.negative(y_true), M.log(output))
    focal = M.multiply(M.multiply(M.pow(M.subtract(1.0, output), gamma), alpha), cce)
    return M.reduce_sum(focal, axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """`BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0,
    from_logits=False, label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size',
    name='binary_focal_crossentropy', dtype=None)`: `binary_focal_crossentropy` weighted and
    reduced.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> loss = tf.keras.losses.BinaryFocalCrossentropy(gamma=2.0, apply_class_balancing=True)
    >>> round(float(loss(y_true, y_pred)), 4)
    0.1596
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """`CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size',
    name='categorical_focal_crossentropy', dtype=None)` on one-hot labels.

    >>> y_true, y_pred = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    >>> loss = tf.keras.losses.CategoricalFocalCrossentropy()
    >>> round(float(loss(y_true, y_pred)), 4)
    0.2332
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.alpha, self.gamma, self.from_logits = alpha, gamma, from_logits
        self.label_smoothing, self.axis = label_smoothing, axis

    @classmethod
    def from_config(cls, config):
        return cls(**config)
