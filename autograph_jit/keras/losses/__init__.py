"""`tf.keras.losses` (Keras 3): the `Loss` base class (reduction, sample_weight), the loss classes,
their function forms, and `get`/`serialize`/`deserialize`.

A function form (`mean_squared_error(y_true, y_pred)`, functions.py) returns one value per sample
(reduced over the last axis); a `Loss` object (loss.py) weights those values by `sample_weight`
and reduces them: 'sum_over_batch_size' (the default: the sum divided by the number of values),
'sum', 'mean' ('sum_over_batch_size'), 'mean_with_sample_weight' (divided by the sum of the
weights) or 'none'/None. Everything is composed from differentiable ops, so losses run under
GradientTape and inside `tf.function` alike.

    >>> tf.keras.losses.MeanSquaredError()([[0., 1.]], [[1., 1.]]).numpy()
    0.5
"""
from .functions import (  # noqa: F401
    EPSILON, KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, categorical_crossentropy,
    categorical_hinge, cosine_similarity, hinge, huber, huber_loss, kl_divergence, kld,
    kullback_leibler_divergence, log_cosh, logcosh, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse,
    msle, poisson, sparse_categorical_crossentropy, squared_hinge,
    squeeze_or_expand_to_same_rank)
from .loss import (  # noqa: F401
    REDUCTIONS, BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity,
    Hinge, Huber, KLDivergence, LogCosh, Loss, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge, _snake, reduce_values)

from .focal import (
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, binary_focal_crossentropy,
    categorical_focal_crossentropy)

_CLASSES = {c.__name__: c for c in (
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
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
    "cosine_similarity": cosine_similarity,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy}


def serialize(loss):
    """Keras 3's dict for a Loss object (a function form serializes to its name).

    >>> tf.keras.losses.serialize(tf.keras.losses.Huber(delta=2.0))['config']['delta']
    2.0
    """
    if isinstance(loss, Loss):
        config = loss.get_config()
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": config,
                "registered_name": None}
    return getattr(loss, "__name__", loss)


def deserialize(config, custom_objects=None):
    """The loss a name (function form or class name) or serialized dict stands for.

    >>> config = tf.keras.losses.serialize(tf.keras.losses.Huber(delta=2.0))
    >>> tf.keras.losses.deserialize(config).get_config()['delta']
    2.0
    """
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

    >>> tf.keras.losses.get('mse').__name__
    'mean_squared_error'
    >>> type(tf.keras.losses.get('binary_crossentropy')).__name__
    'function'
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
