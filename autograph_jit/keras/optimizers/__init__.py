"""`tf.keras.optimizers`: SGD, Adam, AdamW, Nadam, RMSprop, Adagrad, Adadelta, Adamax, Ftrl,
Lion, Adafactor, LossScaleOptimizer, the base
`Optimizer`, schedules, and
`get`/`serialize`/`deserialize` by name or config."""
from . import schedules
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .ftrl import Ftrl
from .lion import Lion
from .loss_scale_optimizer import LossScaleOptimizer
from .nadam import Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Nadam", "RMSprop", "Adagrad", "Adadelta",
           "Adamax", "Ftrl", "Lion", "Adafactor", "LossScaleOptimizer",
           "schedules", "get", "serialize", "deserialize"]

_ALL_OBJECTS = {cls.__name__: cls for cls in (Optimizer, SGD, Adam, AdamW, Nadam, RMSprop,
                                              Adagrad, Adadelta, Adamax, Ftrl, Lion,
                                              Adafactor, LossScaleOptimizer)}
_ALL_OBJECTS.update({name.lower(): cls for name, cls in list(_ALL_OBJECTS.items())})


def serialize(optimizer):
    """Keras 3's dict form: `{"module", "class_name", "config", "registered_name"}`.

    >>> tf.keras.optimizers.serialize(tf.keras.optimizers.SGD(0.5))['class_name']
    'SGD'
    """
    if optimizer is None:
        return None
    if not isinstance(optimizer, Optimizer):
        raise ValueError("Could not serialize optimizer: expected an Optimizer instance, got "
                         f"{optimizer!r}")
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None, **kwargs):
    """Build an optimizer from `serialize`'s dict (class names are matched case-insensitively).

    >>> config = tf.keras.optimizers.serialize(tf.keras.optimizers.SGD(0.5))
    >>> float(tf.keras.optimizers.deserialize(config).learning_rate)
    0.5
    """
    classes = dict(_ALL_OBJECTS, **(custom_objects or {}))
    name = config["class_name"]
    cls = classes.get(name, classes.get(name.lower()))
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {name!r}. Known names: "
                         f"{sorted(n for n in _ALL_OBJECTS if n.islower())}")
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """An optimizer from an instance, a name ('sgd', 'adam', ...) or a config dict.

    >>> type(tf.keras.optimizers.get('adam')).__name__
    'Adam'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
