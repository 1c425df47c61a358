"""The function forms of the Keras 3 losses (`mean_squared_error(y_true, y_pred)`, ...): one
value per sample, reduced over the last axis, composed from differentiable ops; plus the shape
checks that name the right loss when labels and predictions disagree, and the use of the logits
behind softmax/sigmoid outputs (as Keras does) for the cross-entropies."""
import math

from ... import dtypes as _dtypes
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import nn_ops as N
from ...tensor import convert_to_tensor
from .. import activations as _activations
from ...tracing.symbolic import SymbolicTensor
from ..backend import set_keras_mask

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "poisson", "cosine_similarity",
    "squeeze_or_expand_to_same_rank", "EPSILON"]

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# --- shape handling ------------------------------------------------------------------------------


def _pair(y_true, y_pred, dtype=None):
    """y_pred as a float tensor (of `dtype` when given) and y_true cast to its dtype."""
    y_pred = convert_to_tensor(y_pred)
    if dtype is not None:
        y_pred = M.cast(y_pred, dtype)
    elif not y_pred.dtype.is_floating:
        y_pred = M.cast(y_pred, _dtypes.float32)
    y_true = M.cast(convert_to_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def _dims(t):
    return None if t.shape.rank is None else t.shape.as_list()


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank matching: a trailing size-1 axis is squeezed (or a rank-1 tensor expanded).

    >>> a, b = tf.keras.losses.squeeze_or_expand_to_same_rank(tf.ones([4, 1]), tf.ones([4]))
    >>> a.shape, b.shape
    (TensorShape([4, 1]), TensorShape([4, 1]))
    """
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 is None or r2 is None or r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, A.expand_dims(x2, -1)
        return A.squeeze(x1, [-1]), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return A.expand_dims(x1, -1), x2
        return x1, A.squeeze(x2, [-1])
    return x1, x2


def _check_compatible(who, y_true, y_pred):
    t, p = _dims(y_true), _dims(y_pred)
    if t is None or p is None:
        return
    if len(t) != len(p):
        bad = True
    else:
        bad = any(a is not None and b is not None and a != b and a != 1 and b != 1
                  for a, b in zip(t, p))
    if bad:
        raise ValueError(f"{who}: y_true and y_pred shapes disagree: y_true.shape="
                         f"{tuple(t)}, y_pred.shape={tuple(p)}. Give labels with the same shape as "
                         f"the predictions.")


def _check_categorical(who, y_true, y_pred, strict=False):
    """One-hot losses given integer class labels: say which loss to use instead; `strict`
    then requires Keras 3's exact same shape (its backend categorical cross-entropy)."""
    t, p = _dims(y_true), _dims(y_pred)
    if t is None or p is None or not p or p[-1] in (None, 1):
        if strict and t is not None and p is not None and len(t) == len(p):
            check_same_shape(y_true, y_pred)
        return
    sparse = len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1)
    if sparse:
        raise ValueError(
            f"{who}: y_true has shape {tuple(t)} but y_pred has shape {tuple(p)}: the labels look "
            f"like integer class indices, while this loss expects one-hot labels of the same "
            f"shape as y_pred. Use SparseCategoricalCrossentropy (loss="
            f"'sparse_categorical_crossentropy') for integer labels, or one-hot encode them with "
            f"tf.keras.utils.to_categorical.")
    if strict:
        check_same_shape(y_true, y_pred)
        return
    _check_compatible(who, y_true, y_pred)


def _check_sparse(who, y_true, y_pred):
    t, p = _dims(y_true), _dims(y_pred)
    if t is None or p is None:
        return
    if len(t) == len(p) and p and t[-1] not in (None, 1):
        raise ValueError(
            f"{who}: y_true has shape {tuple(t)}, the same as y_pred {tuple(p)}: the labels look "
            f"one-hot, while this loss expects integer class indices of shape y_pred.shape[:-1]. "
            f"Use CategoricalCrossentropy (loss='categorical_crossentropy') for one-hot labels, "
            f"or pass tf.argmax(y_true, axis=-1).")
    if len(t) not in (len(p), len(p) - 1):
        raise ValueError(f"{who}: y_true of shape {tuple(t)} cannot index classes of y_pred of "
                         f"shape {tuple(p)}: expected shape {tuple(p[:-1])}.")


def check_same_shape(y_true, y_pred):
    """Keras 3's check in its backend cross-entropies (binary, binary focal, categorical): the
    labels (after the rank fix-up) must have exactly the predictions' shape, no broadcasting."""
    t, p = _dims(y_true), _dims(y_pred)
    if t is None or p is None:
        return
    if len(t) != len(p):
        raise ValueError("Arguments `target` and `output` must have the same rank (ndim). "
                         f"Received: target.shape={tuple(t)}, output.shape={tuple(p)}")
    if any(a is not None and b is not None and a != b for a, b in zip(t, p)):
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={tuple(t)}, output.shape={tuple(p)}")


def _matched(who, y_true, y_pred):
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_compatible(who, y_true, y_pred)
    return y_true, y_pred


# --- logits behind probabilities -----------------------------------------------------------------


def _logits_behind(y_pred, op_name):
    """The logits a probability tensor was computed from, when known (else None).

    Keras computes a cross-entropy on probabilities from the logits when it can see them: in a
    graph, when y_pred is the direct output of a softmax/sigmoid op; eagerly, when it came from
    `keras.activations.softmax`/`sigmoid` (e.g. `Dense(10, activation="softmax")`). That avoids
    the epsilon clipping, so training matches TF's numbers.
    """
    logits = _activations.logits_of(y_pred, op_name)
    if logits is not None:
        return logits
    if not getattr(y_pred, "_is_symbolic", False):
        return None
    node = y_pred.op
    if node is None or getattr(node.op, "name", None) != op_name or len(node.inputs) != 1:
        return None
    if op_name == "softmax":
        rank = y_pred.shape.rank
        axis = node.attrs.get("axis", -1)
        if rank is None or axis not in (-1, rank - 1):
            return None
    return SymbolicTensor(node.inputs[0], y_pred._builder)


# --- function forms ------------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1). Alias `mse`.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.mean_squared_error(y_true, y_pred).numpy(), 4)
    array([0.36, 0.26], dtype=float32)
    """
    y_true, y_pred = _matched("mean_squared_error", *_pair(y_true, y_pred))
    return M.reduce_mean(M.square(M.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1). Alias `mae`.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.mean_absolute_error(y_true, y_pred).numpy(), 4)
    array([0.6, 0.5], dtype=float32)
    """
    y_true, y_pred = _matched("mean_absolute_error", *_pair(y_true, y_pred))
    return M.reduce_mean(M.abs(M.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1). Alias `mape`.

    >>> np.round(tf.keras.losses.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]).numpy(), 4)
    array([37.5], dtype=float32)
    """
    y_true, y_pred = _matched("mean_absolute_percentage_error", *_pair(y_true, y_pred))
    diff = M.abs(M.divide(M.subtract(y_true, y_pred), M.maximum(M.abs(y_true), EPSILON)))
    return M.multiply(M.reduce_mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), -1). Alias `msle`.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.mean_squared_logarithmic_error(y_true, y_pred).numpy(), 4)
    array([0.1741, 0.1671], dtype=float32)
    """
    y_true, y_pred = _matched("mean_squared_logarithmic_error", *_pair(y_true, y_pred))
    first = M.log(M.add(M.maximum(y_pred, EPSILON), 1.0))
    second = M.log(M.add(M.maximum(y_true, EPSILON), 1.0))
    return M.reduce_mean(M.square(M.subtract(first, second)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond; averaged over the last axis.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.huber(y_true, y_pred).numpy(), 4)
    array([0.18, 0.13], dtype=float32)
    """
    y_true, y_pred = _matched("huber", *_pair(y_true, y_pred))
    error = M.subtract(y_pred, y_true)
    abs_error = M.abs(error)
    quadratic = M.multiply(M.square(error), 0.5)
    linear = M.subtract(M.multiply(abs_error, float(delta)), 0.5 * float(delta) ** 2)
    return M.reduce_mean(M.where(M.less_equal(abs_error, float(delta)), quadratic, linear),
                         axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), -1), computed as x + softplus(-2x) - log(2).

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.log_cosh(y_true, y_pred).numpy(), 4)
    array([0.1701, 0.124 ], dtype=float32)
    """
    y_true, y_pred = _matched("log_cosh", *_pair(y_true, y_pred))
    x = M.subtract(y_pred, y_true)
    value = M.subtract(M.add(x, N.softplus(M.multiply(x, -2.0))), math.log(2.0))
    return M.reduce_mean(value, axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over `axis`; labels smoothed towards 0.5.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.binary_crossentropy(y_true, y_pred).numpy(), 4)
    array([0.9163, 0.7136], dtype=float32)
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    check_same_shape(y_true, y_pred)
    if not from_logits:
        logits = _logits_behind(y_pred, "sigmoid")
        if logits is not None:
            y_pred, from_logits = logits, True
    if label_smoothing:
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_true = M.add(y_true, A.zeros_like(y_pred))
        y_pred = M.add(y_pred, A.zeros_like(y_true))
        per = N.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = M.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
        per = M.negative(M.add(M.multiply(y_true, M.log(p)),
                               M.multiply(M.subtract(1.0, y_true), M.log(M.subtract(1.0, p)))))
    return M.reduce_mean(per, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot `y_true` and probabilities (or logits) `y_pred`.

    >>> np.round(tf.keras.losses.categorical_crossentropy([[0.0, 1.0]], [[0.1, 0.9]]).numpy(), 4)
    array([0.1054], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("categorical_crossentropy", y_true, y_pred, strict=True)
    if not from_logits and axis in (-1, y_pred.shape.rank and y_pred.shape.rank - 1):
        logits = _logits_behind(y_pred, "softmax")
        if logits is not None:
            y_pred, from_logits = logits, True
    if label_smoothing:
        classes = y_pred.shape[axis]
        if classes is None:
            share = M.divide(M.cast(label_smoothing, y_pred.dtype),
                             M.cast(A.shape(y_pred)[axis], y_pred.dtype))
        else:
            share = float(label_smoothing) / classes
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), share)
    if from_logits:
        y_true = M.add(y_true, A.zeros_like(y_pred))
        return N.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = M.divide(y_pred, M.reduce_sum(y_pred, axis=axis, keepdims=True))
    p = M.clip_by_value(p, EPSILON, 1.0 - EPSILON)
    return M.negative(M.reduce_sum(M.multiply(y_true, M.log(p)), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy between integer labels `y_true` and probabilities (or logits) `y_pred`.

    Labels equal to `ignore_class` contribute 0 and are masked out of a `Loss`'s mean
    (`SparseCategoricalCrossentropy(ignore_class=...)` averages over the other labels). Only `axis=-1` is supported, as in Keras 3.

    >>> np.round(tf.keras.losses.sparse_categorical_crossentropy([1], [[0.1, 0.9]]).numpy(), 4)
    array([0.1054], dtype=float32)
    """
    if axis not in (-1, None):
        y_rank = convert_to_tensor(y_pred).shape.rank
        if y_rank is None or axis != y_rank - 1:
            raise ValueError(f"sparse_categorical_crossentropy: only axis=-1 is supported, got "
                             f"axis={axis}")
    y_pred = convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = M.cast(y_pred, _dtypes.float32)
    y_true = convert_to_tensor(y_true)
    _check_sparse("sparse_categorical_crossentropy", y_true, y_pred)
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
            y_true.shape.rank == y_pred.shape.rank:
        y_true = A.squeeze(y_true, [-1])
    labels = y_true if y_true.dtype in (_dtypes.int32, _dtypes.int64) else \
        M.cast(y_true, _dtypes.int64)   # float or uint8 labels (MNIST's) as Keras casts them
    valid = None
    if ignore_class is not None:
        valid = M.not_equal(labels, M.cast(convert_to_tensor(ignore_class), labels.dtype))
        labels = M.where(valid, labels, A.zeros_like(labels))
    if not from_logits:
        logits = _logits_behind(y_pred, "softmax")
        if logits is not None:
            y_pred, from_logits = logits, True
    if from_logits:
        loss = N.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    else:  # as TF's Keras backend: the clipped log-probabilities taken as logits
        p = M.divide(y_pred, M.reduce_sum(y_pred, axis=-1, keepdims=True))
        logp = M.log(M.clip_by_value(p, EPSILON, 1.0 - EPSILON))
        loss = N.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logp)
    if valid is not None:
        loss = M.multiply(loss, M.cast(valid, loss.dtype))
        # as Keras 3: the ignored labels are masked out, so the Loss's mean reductions divide
        # by the number of labels kept, not by all labels
        set_keras_mask(loss, valid)
    return loss


def _hinge_labels(y_true):
    """Keras converts 0/1 labels to -1/1 (labels already in -1/1 pass unchanged)."""
    binary = M.reduce_all(M.logical_or(M.equal(y_true, 0.0), M.equal(y_true, 1.0)))
    return M.where(binary, M.subtract(M.multiply(y_true, 2.0), 1.0), y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), -1); labels in {-1, 1} (or {0, 1}, converted).

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.hinge(y_true, y_pred).numpy(), 4)
    array([1.1, 1.5], dtype=float32)
    """
    y_true, y_pred = _matched("hinge", *_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    return M.reduce_mean(M.maximum(M.subtract(1.0, M.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(square(max(1 - y_true * y_pred, 0)), -1).

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.squared_hinge(y_true, y_pred).numpy(), 4)
    array([1.46, 2.26], dtype=float32)
    """
    y_true, y_pred = _matched("squared_hinge", *_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    margin = M.maximum(M.subtract(1.0, M.multiply(y_true, y_pred)), 0.0)
    return M.reduce_mean(M.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) with one-hot labels.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.categorical_hinge(y_true, y_pred).numpy(), 4)
    array([1.2, 1.6], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("categorical_hinge", y_true, y_pred)
    pos = M.reduce_sum(M.multiply(y_true, y_pred), axis=-1)
    neg = M.reduce_max(M.multiply(M.subtract(1.0, y_true), y_pred), axis=-1)
    return M.maximum(M.add(M.subtract(neg, pos), 1.0), 0.0)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), -1) with both clipped to [epsilon, 1].

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.kl_divergence(y_true, y_pred).numpy(), 4)
    array([ 0.9163, -0.    ], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("kl_divergence", y_true, y_pred)
    y_true = M.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = M.clip_by_value(y_pred, EPSILON, 1.0)
    return M.reduce_sum(M.multiply(y_true, M.log(M.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), -1).

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.poisson(y_true, y_pred).numpy(), 4)
    array([0.9581, 0.5   ], dtype=float32)
    """
    y_true, y_pred = _matched("poisson", *_pair(y_true, y_pred))
    return M.reduce_mean(M.subtract(y_pred, M.multiply(y_true, M.log(M.add(y_pred, EPSILON)))),
                         axis=-1)


def _l2_normalize(x, axis):
    sq = M.reduce_sum(M.square(x), axis=axis, keepdims=True)
    return M.multiply(x, M.rsqrt(M.maximum(sq, 1e-12)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for identical directions.

    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    >>> np.round(tf.keras.losses.cosine_similarity(y_true, y_pred).numpy(), 4)
    array([-0.5547, -0.    ], dtype=float32)
    """
    y_true, y_pred = _matched("cosine_similarity", *_pair(y_true, y_pred))
    return M.negative(M.reduce_sum(M.multiply(_l2_normalize(y_true, axis),
                                              _l2_normalize(y_pred, axis)), axis=axis))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
