"""The `Loss` base class (Keras 3: `reduction`, `sample_weight`, Keras masks),
`LossFunctionWrapper`, and the loss classes (`MeanSquaredError()`, ...) built on the function
forms of functions.py."""
from ... import dtypes as _dtypes
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...tensor import convert_to_tensor
from .doc_examples import with_example
from .functions import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity,
    hinge, huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
    squared_hinge, squeeze_or_expand_to_same_rank)
from ..backend import get_keras_mask

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity",
    "reduce_values", "REDUCTIONS"]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


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
        mask = M.multiply(mask, M.divide_no_nan(total, M.reduce_sum(mask)))   # (valid may be 0)
    if sample_weight is None:
        return mask
    sample_weight = M.cast(convert_to_tensor(sample_weight), values.dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return M.multiply(sample_weight, mask)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Keras 3's weighting (sample weights and an optional mask) and reduction of per-sample
    loss values.

    >>> float(tf.keras.losses.reduce_values(tf.constant([1.0, 2.0, 3.0]), reduction="sum"))
    6.0
    """
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

    >>> class Mae(tf.keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    >>> round(float(Mae()([[1.0, 2.0]], [[2.0, 4.0]])), 4)
    1.5
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
        mask = get_keras_mask(y_pred)
        y_pred = convert_to_tensor(y_pred)
        if y_pred.dtype.is_floating and y_pred.dtype != self._dtype:
            y_pred = M.cast(y_pred, self._dtype)
        losses = self.call(y_true, y_pred)
        out_mask = get_keras_mask(losses)   # (set by e.g. sparse CE's ignore_class)
        if out_mask is not None:
            mask = out_mask if mask is None else M.logical_and(
                M.cast(mask, "bool"), M.cast(out_mask, "bool"))
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
    """A `Loss` around a function form `fn(y_true, y_pred, **kwargs)`.

    >>> loss = tf.keras.losses.LossFunctionWrapper(lambda t, p: tf.abs(t - p), name='abs')
    >>> round(float(loss([1.0, 2.0], [2.0, 4.0])), 4)
    1.5
    """

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
        "__init__": __init__, "__doc__": with_example(cls_name, doc),
        "from_config": classmethod(from_config),
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
