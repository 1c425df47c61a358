"""`tf.keras.losses` (Keras 3): the `Loss` base class (reduction, sample_weight), the loss classes,
their function forms, and `get`.

A function form (`mean_squared_error(y_true, y_pred)`) returns one value per sample (reduced over
the last axis); a `Loss` object weights those values by `sample_weight` and reduces them:
'sum_over_batch_size' (the default: the sum divided by the number of values), 'sum', 'mean'
('sum_over_batch_size'), 'mean_with_sample_weight' (divided by the sum of the weights) or
'none'/None. Everything is composed from differentiable ops, so losses run under GradientTape and
inside `tf.function` alike.

    >>> tf.keras.losses.MeanSquaredError()([[0., 1.]], [[1., 1.]]).numpy()
    0.5
"""
import math

from .. import dtypes as _dtypes
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..ops import nn_ops as N
from ..tensor import convert_to_tensor
from . import activations as _activations

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "poisson", "cosine_similarity", "get", "serialize",
    "deserialize"]

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
    """Keras's rank matching: a trailing size-1 axis is squeezed (or a rank-1 tensor expanded)."""
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


def _check_categorical(who, y_true, y_pred):
    """One-hot losses given integer class labels: say which loss to use instead."""
    t, p = _dims(y_true), _dims(y_pred)
    if t is None or p is None or not p or p[-1] in (None, 1):
        return
    sparse = len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1)
    if sparse:
        raise ValueError(
            f"{who}: y_true has shape {tuple(t)} but y_pred has shape {tuple(p)}: the labels look "
            f"like integer class indices, while this loss expects one-hot labels of the same "
            f"shape as y_pred. Use SparseCategoricalCrossentropy (loss="
            f"'sparse_categorical_crossentropy') for integer labels, or one-hot encode them with "
            f"tf.keras.utils.to_categorical.")
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
    from ..tracing.symbolic import SymbolicTensor
    return SymbolicTensor(node.inputs[0], y_pred._builder)


# --- function forms ------------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1). Alias `mse`."""
    y_true, y_pred = _matched("mean_squared_error", *_pair(y_true, y_pred))
    return M.reduce_mean(M.square(M.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1). Alias `mae`."""
    y_true, y_pred = _matched("mean_absolute_error", *_pair(y_true, y_pred))
    return M.reduce_mean(M.abs(M.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1). Alias `mape`."""
    y_true, y_pred = _matched("mean_absolute_percentage_error", *_pair(y_true, y_pred))
    diff = M.abs(M.divide(M.subtract(y_true, y_pred), M.maximum(M.abs(y_true), EPSILON)))
    return M.multiply(M.reduce_mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), -1). Alias `msle`."""
    y_true, y_pred = _matched("mean_squared_logarithmic_error", *_pair(y_true, y_pred))
    first = M.log(M.add(M.maximum(y_pred, EPSILON), 1.0))
    second = M.log(M.add(M.maximum(y_true, EPSILON), 1.0))
    return M.reduce_mean(M.square(M.subtract(first, second)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond; averaged over the last axis."""
    y_true, y_pred = _matched("huber", *_pair(y_true, y_pred))
    error = M.subtract(y_pred, y_true)
    abs_error = M.abs(error)
    quadratic = M.multiply(M.square(error), 0.5)
    linear = M.subtract(M.multiply(abs_error, float(delta)), 0.5 * float(delta) ** 2)
    return M.reduce_mean(M.where(M.less_equal(abs_error, float(delta)), quadratic, linear),
                         axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), -1), computed as x + softplus(-2x) - log(2)."""
    y_true, y_pred = _matched("log_cosh", *_pair(y_true, y_pred))
    x = M.subtract(y_pred, y_true)
    value = M.subtract(M.add(x, N.softplus(M.multiply(x, -2.0))), math.log(2.0))
    return M.reduce_mean(value, axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over `axis`; labels smoothed towards 0.5."""
    y_true, y_pred = _matched("binary_crossentropy", *_pair(y_true, y_pred))
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
    """Cross-entropy between one-hot `y_true` and probabilities (or logits) `y_pred`."""
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("categorical_crossentropy", y_true, y_pred)
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

    Labels equal to `ignore_class` contribute 0. Only `axis=-1` is supported, as in Keras 3.
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
    labels = M.cast(y_true, _dtypes.int64) if y_true.dtype.is_floating else y_true
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
    return loss


def _hinge_labels(y_true):
    """Keras converts 0/1 labels to -1/1 (labels already in -1/1 pass unchanged)."""
    binary = M.reduce_all(M.logical_or(M.equal(y_true, 0.0), M.equal(y_true, 1.0)))
    return M.where(binary, M.subtract(M.multiply(y_true, 2.0), 1.0), y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), -1); labels in {-1, 1} (or {0, 1}, converted)."""
    y_true, y_pred = _matched("hinge", *_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    return M.reduce_mean(M.maximum(M.subtract(1.0, M.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(square(max(1 - y_true * y_pred, 0)), -1)."""
    y_true, y_pred = _matched("squared_hinge", *_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    margin = M.maximum(M.subtract(1.0, M.multiply(y_true, y_pred)), 0.0)
    return M.reduce_mean(M.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) with one-hot labels."""
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("categorical_hinge", y_true, y_pred)
    pos = M.reduce_sum(M.multiply(y_true, y_pred), axis=-1)
    neg = M.reduce_max(M.multiply(M.subtract(1.0, y_true), y_pred), axis=-1)
    return M.maximum(M.add(M.subtract(neg, pos), 1.0), 0.0)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), -1) with both clipped to [epsilon, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    _check_categorical("kl_divergence", y_true, y_pred)
    y_true = M.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = M.clip_by_value(y_pred, EPSILON, 1.0)
    return M.reduce_sum(M.multiply(y_true, M.log(M.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), -1)."""
    y_true, y_pred = _matched("poisson", *_pair(y_true, y_pred))
    return M.reduce_mean(M.subtract(y_pred, M.multiply(y_true, M.log(M.add(y_pred, EPSILON)))),
                         axis=-1)


def _l2_normalize(x, axis):
    sq = M.reduce_sum(M.square(x), axis=axis, keepdims=True)
    return M.multiply(x, M.rsqrt(M.maximum(sq, 1e-12)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for identical directions."""
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


# --- Loss objects --------------------------------------------------------------------------------


def _weighted(values, sample_weight):
    sample_weight = M.cast(convert_to_tensor(sample_weight), values.dtype)
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight, False)
    vr, wr = values.shape.rank, sample_weight.shape.rank
    while vr is not None and wr is not None and wr < vr:  # per-sample weights on per-step values
        sample_weight = A.expand_dims(sample_weight, -1)
        wr += 1
    return M.multiply(values, sample_weight), sample_weight


def _apply_mask(values, sample_weight, mask, reduction):
    """Keras 3: a mask becomes sample weights; for the mean reductions valid entries weigh
    total / valid, so the result averages over the unmasked entries only."""
    mask = M.cast(convert_to_tensor(mask), values.dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = M.cast(A.size(mask), values.dtype)
        mask = M.multiply(mask, M.divide(total, M.add(M.reduce_sum(mask), EPSILON)))
    if sample_weight is None:
        return mask
    sample_weight = M.cast(convert_to_tensor(sample_weight), values.dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return M.multiply(sample_weight, mask)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Keras 3's weighting (sample weights and an optional mask) and reduction of per-sample
    loss values."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}. Expected one "
                         f"of {list(REDUCTIONS)}")
    if mask is not None:
        sample_weight = _apply_mask(values, sample_weight, mask, reduction)
    if sample_weight is not None:
        values, sample_weight = _weighted(values, sample_weight)
    if reduction in (None, "none"):
        return values
    total = M.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = M.reduce_sum(M.add(sample_weight, A.zeros_like(values)))
    else:
        divisor = M.cast(A.size(values), values.dtype)
    return M.divide_no_nan(total, divisor)


class Loss:
    """Base class: subclasses define `call(y_true, y_pred)` returning per-sample values; calling
    the object applies `sample_weight` and `reduction`.

    Example:
        class MyLoss(tf.keras.losses.Loss):
            def call(self, y_true, y_pred):
                return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}. Expected "
                             f"one of {list(REDUCTIONS)}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self._dtype = _dtypes.as_dtype(dtype or "float32")

    @property
    def dtype(self):
        return self._dtype.name

    def __call__(self, y_true, y_pred, sample_weight=None):
        from .backend import get_keras_mask
        mask = get_keras_mask(y_pred)
        y_pred = convert_to_tensor(y_pred)
        if y_pred.dtype.is_floating and y_pred.dtype != self._dtype:
            y_pred = M.cast(y_pred, self._dtype)
        losses = self.call(y_true, y_pred)
        losses = convert_to_tensor(losses)
        if losses.dtype != self._dtype and losses.dtype.is_floating:
            losses = M.cast(losses, self._dtype)
        return reduce_values(losses, sample_weight, self.reduction, mask=mask)

    def call(self, y_true, y_pred):
        raise TypeError(f"{type(self).__name__} must define call(y_true, y_pred) returning "
                        f"per-sample loss values")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class LossFunctionWrapper(Loss):
    """A `Loss` around a function form `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _loss_class(cls_name, fn, default_name, doc, params=()):
    """A Loss subclass whose constructor takes `params` (name, default) and passes them to `fn`."""

    def __init__(self, *args, **kwargs):
        values = dict(params)
        names = [p for p, _ in params]
        positional = names + ["reduction", "name", "dtype"]
        if len(args) > len(positional):
            raise TypeError(f"{cls_name}() takes at most {len(positional)} positional arguments")
        given = dict(zip(positional, args))
        for k in kwargs:
            if k in given:
                raise TypeError(f"{cls_name}() got multiple values for argument {k!r}")
        given.update(kwargs)
        unknown = set(given) - set(positional)
        if unknown:
            raise TypeError(f"{cls_name}() got unexpected keyword arguments {sorted(unknown)}; "
                            f"it accepts {positional}")
        for p in names:
            if p in given:
                values[p] = given[p]
        LossFunctionWrapper.__init__(self, fn, reduction=given.get("reduction",
                                                                   "sum_over_batch_size"),
                                     name=given.get("name") or default_name,
                                     dtype=given.get("dtype"), **values)
        for p in names:
            setattr(self, p, values[p])

    def from_config(cls, config):
        return cls(**config)

    return type(cls_name, (LossFunctionWrapper,), {
        "__init__": __init__, "__doc__": doc, "from_config": classmethod(from_config),
        "__module__": __name__})


MeanSquaredError = _loss_class(
    "MeanSquaredError", mean_squared_error, "mean_squared_error",
    "Mean of squares of errors: `MeanSquaredError(reduction=..., name=...)`.")
MeanAbsoluteError = _loss_class(
    "MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean(|error| / |y_true|).")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared error of log(1 + y).")
Huber = _loss_class("Huber", huber, "huber_loss",
                    "Huber loss: `Huber(delta=1.0)`.", (("delta", 1.0),))
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh", "Mean of log(cosh(error)).")
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    "`BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)`.",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    "`CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)` on one-hot "
    "labels.", (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "`SparseCategoricalCrossentropy(from_logits=False, ignore_class=None)` on integer labels.",
    (("from_logits", False), ("ignore_class", None)))
Hinge = _loss_class("Hinge", hinge, "hinge", "mean(max(1 - y_true * y_pred, 0)).")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge",
                           "mean(max(1 - y_true * y_pred, 0) ** 2).")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                               "Hinge loss on one-hot labels.")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence",
                           "Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)).")
Poisson = _loss_class("Poisson", poisson, "poisson", "mean(y_pred - y_true * log(y_pred)).")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                               "Negative cosine similarity: `CosineSimilarity(axis=-1)`.",
                               (("axis", -1),))

_CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
    CosineSimilarity)}
_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "MAE": mean_absolute_error, "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "huber": huber, "huber_loss": huber, "log_cosh": log_cosh, "logcosh": log_cosh,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "hinge": hinge,
    "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence, "poisson": poisson,
    "cosine_similarity": cosine_similarity}


def serialize(loss):
    """Keras 3's dict for a Loss object (a function form serializes to its name)."""
    if isinstance(loss, Loss):
        config = loss.get_config()
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": config,
                "registered_name": None}
    return getattr(loss, "__name__", loss)


def deserialize(config, custom_objects=None):
    """The loss a name (function form or class name) or serialized dict stands for."""
    if isinstance(config, dict):
        name, kwargs = config["class_name"], dict(config.get("config") or {})
        if custom_objects and name in custom_objects:
            return custom_objects[name].from_config(kwargs)
        if name in _CLASSES:
            return _CLASSES[name].from_config(kwargs)
        if name in _FUNCTIONS:
            return _FUNCTIONS[name]
    else:
        name = config
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        if name in _FUNCTIONS:
            return _FUNCTIONS[name]
        if name in _CLASSES:
            return _CLASSES[name]()
    raise ValueError(f"Unknown loss function: {name!r}. Valid names are "
                     f"{sorted(set(_FUNCTIONS) | set(_CLASSES))} (or pass a Loss or a "
                     f"callable(y_true, y_pred)).")


def get(identifier):
    """Resolve `compile(loss=...)`-style arguments: None, a name, a dict, a Loss or a callable.

    Example: `get("mse") is mean_squared_error`; `get("MeanSquaredError")` is an instance.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
