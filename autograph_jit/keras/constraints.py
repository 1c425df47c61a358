"""`tf.keras.constraints` (Keras 3): MaxNorm, NonNeg, UnitNorm, MinMaxNorm and `get`.

A constraint maps a weight to its projected value; the optimizer applies it after each update
(`Layer.add_weight(constraint=...)`). Norms are taken along `axis` (0 for a Dense kernel's
input axis, as Keras), with epsilon 1e-7 guarding the division.

    >>> tf.keras.constraints.NonNeg()(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""
from ..ops import math_ops as M
from ..tensor import convert_to_tensor
from . import identifiers

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]

_EPSILON = 1e-7


def _norms(w, axis):
    return M.sqrt(M.reduce_sum(M.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: `__call__(w)` returns the constrained weight; the default leaves it unchanged.

    >>> class Clip(tf.keras.constraints.Constraint):
    ...     def __call__(self, w):
    ...         return tf.clip_by_value(w, -1.0, 1.0)
    >>> Clip()(tf.constant([-3.0, 0.5])).numpy()
    array([-1. ,  0.5], dtype=float32)
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each slice along `axis` whose L2 norm exceeds `max_value` (default 2).

    >>> w = tf.constant([[3.0], [4.0]])
    >>> tf.keras.constraints.MaxNorm(max_value=1.0)(w).numpy()
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = M.clip_by_value(norms, 0.0, float(self.max_value))
        return M.multiply(w, M.divide(desired, M.add(norms, _EPSILON)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes negative weights.

    >>> tf.keras.constraints.NonNeg()(tf.constant([-1.0, 2.0])).numpy()
    array([-0.,  2.], dtype=float32)
    """

    def __call__(self, w):
        w = convert_to_tensor(w)
        return M.multiply(w, M.cast(M.greater_equal(w, 0.0), w.dtype))


class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit L2 norm.

    >>> tf.keras.constraints.UnitNorm()(tf.constant([[3.0], [4.0]])).numpy()
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = convert_to_tensor(w)
        return M.divide(w, M.add(_norms(w, self.axis), _EPSILON))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps each slice's norm in [min_value, max_value], moving it there at `rate` (1 = fully).

    >>> w = tf.constant([[3.0], [4.0]])
    >>> np.round(tf.keras.constraints.MinMaxNorm(min_value=0.0, max_value=2.0)(w).numpy(), 4)
    array([[1.2],
           [1.6]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = convert_to_tensor(w)
        norms = _norms(w, self.axis)
        clipped = M.clip_by_value(norms, float(self.min_value), float(self.max_value))
        desired = M.add(M.multiply(clipped, float(self.rate)),
                        M.multiply(norms, 1.0 - float(self.rate)))
        return M.multiply(w, M.divide(desired, M.add(norms, _EPSILON)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_CLASSES = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
            "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm}


def serialize(constraint):
    """Keras 3's dict for a constraint object.

    >>> tf.keras.constraints.serialize(tf.keras.constraints.MaxNorm(2.0))['class_name']
    'MaxNorm'
    """
    return identifiers.serialize(constraint, "keras.constraints")


def deserialize(config, custom_objects=None):
    """The constraint a name or serialized dict stands for.

    >>> config = tf.keras.constraints.serialize(tf.keras.constraints.MaxNorm(2.0))
    >>> tf.keras.constraints.deserialize(config).get_config()['max_value']
    2.0
    """
    return identifiers.deserialize(config, _CLASSES, "constraint", "or pass a callable(weight) -> weight", custom_objects)


def get(identifier):
    """Resolve a `kernel_constraint=`-style argument: None, a name, a dict, or a callable.

    >>> type(tf.keras.constraints.get('non_neg')).__name__
    'NonNeg'
    """
    return identifiers.get(identifier, deserialize, "constraint")
