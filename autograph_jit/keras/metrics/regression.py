"""Regression and probabilistic metrics (Keras 3): MeanSquaredError, MeanAbsoluteError,
MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError, LogCoshError,
CosineSimilarity and the cross-entropy / hinge / divergence metrics, each the weighted mean of a
per-sample loss function."""
from ...ops import math_ops as M
from ...tensor import convert_to_tensor
from .. import losses as L
from .base import Mean, MeanMetricWrapper
from .doc_examples import with_example

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError",
           "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge",
           "KLDivergence", "Poisson"]


def _wrapper(cls_name, fn, default_name, doc, params=()):
    """A MeanMetricWrapper subclass over `fn` whose keyword `params` (name, default) pass to fn."""
    names = [p for p, _ in params]

    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(names)
        if unknown:
            raise TypeError(f"{cls_name}() got unexpected keyword arguments {sorted(unknown)}")
        values = dict(params)
        values.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)
        for p, v in values.items():
            setattr(self, p, v)

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__,
                                                 "__doc__": with_example(cls_name, doc),
                                                 "__module__": __name__})


MeanSquaredError = _wrapper("MeanSquaredError", L.mean_squared_error, "mean_squared_error",
                            "The mean over samples of mean((y_true - y_pred)^2, axis=-1).")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", L.mean_absolute_error, "mean_absolute_error",
                             "The mean over samples of mean(|y_true - y_pred|, axis=-1).")
MeanAbsolutePercentageError = _wrapper(
    "MeanAbsolutePercentageError", L.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "The mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper(
    "MeanSquaredLogarithmicError", L.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "The mean squared logarithmic error.")
LogCoshError = _wrapper("LogCoshError", L.log_cosh, "logcosh", "The mean of log(cosh(error)).")
CosineSimilarity = _wrapper(
    "CosineSimilarity", lambda t, p, axis=-1: M.negative(L.cosine_similarity(t, p, axis)),
    "cosine_similarity", "The mean cosine similarity (+1 for identical directions).",
    (("axis", -1),))
BinaryCrossentropy = _wrapper(
    "BinaryCrossentropy", L.binary_crossentropy, "binary_crossentropy",
    "The mean binary cross-entropy.", (("from_logits", False), ("label_smoothing", 0.0)))
CategoricalCrossentropy = _wrapper(
    "CategoricalCrossentropy", L.categorical_crossentropy, "categorical_crossentropy",
    "The mean categorical cross-entropy.",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", L.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", "The mean sparse categorical cross-entropy.",
    (("from_logits", False), ("ignore_class", None), ("axis", -1)))
Hinge = _wrapper("Hinge", L.hinge, "hinge", "The mean hinge loss.")
SquaredHinge = _wrapper("SquaredHinge", L.squared_hinge, "squared_hinge",
                        "The mean squared hinge loss.")
CategoricalHinge = _wrapper("CategoricalHinge", L.categorical_hinge, "categorical_hinge",
                            "The mean categorical hinge loss.")
KLDivergence = _wrapper("KLDivergence", L.kl_divergence, "kl_divergence",
                        "The mean Kullback-Leibler divergence.")
Poisson = _wrapper("Poisson", L.poisson, "poisson", "The mean Poisson loss.")


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of squared errors over every element.

    >>> m = tf.keras.metrics.RootMeanSquaredError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    >>> round(float(m.result()), 4)
    0.7071
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = L.squeeze_or_expand_to_same_rank(
            M.cast(convert_to_tensor(y_true), self.dtype),
            M.cast(convert_to_tensor(y_pred), self.dtype))
        super().update_state(M.square(M.subtract(y_pred, y_true)), sample_weight)

    def result(self):
        return M.sqrt(super().result())
