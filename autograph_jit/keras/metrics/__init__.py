"""`tf.keras.metrics` (Keras 3): the `Metric` base class and the built-in metrics, `get`, and
`resolve_metric`, which `Model.compile` uses to turn `metrics=[...]` entries into Metric objects
(resolving 'accuracy'/'acc' from the label and prediction shapes, or from the loss, as Keras does).

    >>> m = tf.keras.metrics.BinaryAccuracy()
    >>> m([[1.0], [0.0]], [[0.9], [0.7]]).numpy()
    0.5
"""
import re

from .. import losses as _losses
from .accuracy import (  # noqa: F401 (the functions are keras.metrics' public API)
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy)
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .confusion import (
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives)
from .regression import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    KLDivergence, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError,
    SparseCategoricalCrossentropy, SquaredHinge)

from .f_score import F1Score, FBetaScore, R2Score
from .iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .at_thresholds import (
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity)

# the per-sample functions Keras 3 exports from keras.metrics
from ..losses import (  # noqa: F401 (public API, re-exported)
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

_CLASSES = {c.__name__: c for c in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, AUC, Precision, Recall,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, LogCoshError, CosineSimilarity, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, F1Score, FBetaScore, R2Score, IoU, MeanIoU,
    BinaryIoU, OneHotIoU, OneHotMeanIoU, PrecisionAtRecall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity)}


def _to_snake_case(name):
    """Keras 3's `naming._to_snake_case`: 'AUC' -> 'auc', 'R2Score' -> 'r2_score',
    '<lambda>' -> 'lambda'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# Keras 3's `ALL_OBJECTS_DICT`: every class by its name and its snake-case name, and the
# abbreviations; `get` makes an instance of the class a string names ('mae' ->
# MeanAbsoluteError(), 'accuracy' -> Accuracy()). 'logcosh'/'log_cosh' are not names in Keras 3
# (`'log_cosh_error'` is).
_BY_NAME = dict(_CLASSES)
_BY_NAME.update({_to_snake_case(n): c for n, c in _CLASSES.items()})
_BY_NAME.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                 "mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError})


def _valid_names():
    return sorted(_BY_NAME)


def serialize(metric):
    """Keras 3's dict for a Metric object.

    >>> tf.keras.metrics.serialize(tf.keras.metrics.AUC(num_thresholds=50))['config']['num_thresholds']
    50
    """
    return {"module": "keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The metric class instance or function a name or serialized dict stands for.

    >>> config = tf.keras.metrics.serialize(tf.keras.metrics.AUC(num_thresholds=50))
    >>> tf.keras.metrics.deserialize(config).num_thresholds
    50
    """
    if isinstance(config, dict):
        name, kwargs = config["class_name"], dict(config.get("config") or {})
        cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
        if cls is None:
            raise ValueError(f"Unknown metric: {name!r}. Valid names are {_valid_names()}")
        return cls.from_config(kwargs)
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    if config in _BY_NAME:
        return _BY_NAME[config]()
    raise ValueError(f"Unknown metric function: {config!r}. Valid names are {_valid_names()} "
                     f"(or pass a Metric or a callable(y_true, y_pred)).")


def get(identifier):
    """As Keras 3: a name (class name, its snake case, or an abbreviation) -> an instance of
    the class; a Metric class -> an instance; a Metric or callable -> itself. 'accuracy' alone is
    the exact-match Accuracy(); `compile` calls `resolve_metric` instead, which picks the
    accuracy that fits the labels.

    >>> type(tf.keras.metrics.get('accuracy')).__name__
    'Accuracy'
    >>> tf.keras.metrics.get('mae').name
    'mean_absolute_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def _rank_and_last(value):
    shape = getattr(value, "shape", None)
    if shape is None:
        return None, None
    dims = list(shape.as_list() if hasattr(shape, "as_list") else shape)
    return len(dims), (dims[-1] if dims else None)


def _accuracy_kind(loss, y_true, y_pred):
    """'binary' | 'sparse' | 'categorical' for `metrics=['accuracy']`."""
    if y_pred is not None:
        pr, plast = _rank_and_last(y_pred)
        if pr is not None:
            if pr == 0 or plast == 1:
                return "binary"
            if y_true is not None:
                tr, tlast = _rank_and_last(y_true)
                if tr is not None and (tr < pr or tlast == 1):
                    return "sparse"
                return "categorical"
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", None) or \
        type(loss).__name__
    snake = _losses._snake(name) if name and not name.islower() else (name or "")
    if "sparse_categorical" in snake:
        return "sparse"
    if "binary" in snake or "hinge" in snake and "categorical" not in snake:
        return "binary"
    if "categorical" in snake or "kl_divergence" in snake:
        return "categorical"
    return None


def resolve_metric(identifier, loss=None, y_true=None, y_pred=None):
    """The Metric object `compile(metrics=[identifier])` tracks, named as Keras 3 logs it.

    'accuracy'/'acc' (and 'crossentropy'/'ce') become Binary-, SparseCategorical- or
    CategoricalAccuracy named as given: chosen from the shapes of `y_true`/`y_pred` when known
    (Keras 3), else from the loss (a name, function or Loss object); with neither, exact-match
    Accuracy. Function names ('mae') become a MeanMetricWrapper named as given; class names
    ('AUC') an instance with its default name; a callable a wrapper named after it.

    Example: `resolve_metric('accuracy', loss='sparse_categorical_crossentropy')` is a
    SparseCategoricalAccuracy named 'accuracy'.

    >>> m = tf.keras.metrics.resolve_metric("accuracy", loss="sparse_categorical_crossentropy")
    >>> type(m).__name__
    'SparseCategoricalAccuracy'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        kind = _accuracy_kind(loss, y_true, y_pred)
        cls = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
               "categorical": CategoricalAccuracy, None: Accuracy}[kind]
        return cls(name=identifier)
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        kind = _accuracy_kind(loss, y_true, y_pred)
        cls = {"binary": BinaryCrossentropy, "sparse": SparseCategoricalCrossentropy,
               "categorical": CategoricalCrossentropy, None: CategoricalCrossentropy}[kind]
        return cls(name=identifier)
    resolved = get(identifier)
    if isinstance(identifier, str):   # Keras 3 names it as written: 'AUC', 'mae'
        resolved._name = identifier
        return resolved
    if isinstance(resolved, Metric):
        return resolved
    # a function: its snake-case name ('lambda' for a lambda), as Keras's get_object_name
    name = _to_snake_case(getattr(resolved, "__name__", None) or type(resolved).__name__)
    return MeanMetricWrapper(resolved, name=name)
